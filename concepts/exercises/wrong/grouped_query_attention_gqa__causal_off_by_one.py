"""Off-by-one causal mask: query i sees keys 0 .. i - 1, not itself (the first query sees nothing)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EXPECTED_FAILURE = "check_causal"


def grouped_query_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    h, g = q.shape[1], k.shape[1]
    k, v = np.repeat(k, h // g, axis=1), np.repeat(v, h // g, axis=1)
    scores = q @ k.swapaxes(-1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    seq_q, seq_k = scores.shape[-2:]
    allowed = np.ones(scores.shape, dtype=bool) if mask is None else np.broadcast_to(mask, scores.shape)
    if is_causal:
        allowed = allowed & np.tril(np.ones((seq_q, seq_k), dtype=bool), k=-1)  # the mistake
    scores = np.where(allowed, scores, -np.inf)
    with np.errstate(invalid="ignore"):  # the first query's row is all -inf: NaN, which the check reports
        w = np.exp(scores - scores.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
    return w @ v, w
