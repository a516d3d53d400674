"""Uses the top-left causal mask (SDPA's is_causal) over the cache: one new query sees only position 0."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EXPECTED_FAILURE = "check_decode_equals_full_recompute"


def decode_step(
    q: ArrayLike, k_new: ArrayLike, v_new: ArrayLike, k_cache: ArrayLike, v_cache: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = np.asarray(q, dtype=float)
    k = np.concatenate([np.asarray(k_cache, dtype=float), np.asarray(k_new, dtype=float)], axis=2)
    v = np.concatenate([np.asarray(v_cache, dtype=float), np.asarray(v_new, dtype=float)], axis=2)
    g = q.shape[1] // k.shape[1]
    kk, vv = np.repeat(k, g, axis=1), np.repeat(v, g, axis=1)
    scores = q @ kk.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    t_q, t_k = scores.shape[-2:]
    allowed = np.tril(np.ones((t_q, t_k), dtype=bool))  # the mistake: query i sees keys 0..i
    scores = np.where(allowed, scores, -np.inf)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return w @ vv, k, v
