"""Attends only over the new tokens' keys and values: the cached positions are never read."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EXPECTED_FAILURE = "check_decode_equals_full_recompute"


def decode_step(
    q: ArrayLike, k_new: ArrayLike, v_new: ArrayLike, k_cache: ArrayLike, v_cache: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q, k_new, v_new = (np.asarray(a, dtype=float) for a in (q, k_new, v_new))
    g = q.shape[1] // k_new.shape[1]
    kk, vv = np.repeat(k_new, g, axis=1), np.repeat(v_new, g, axis=1)
    scores = q @ kk.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    t = scores.shape[-1]
    scores = np.where(np.tril(np.ones((t, t), dtype=bool)), scores, -np.inf)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    k = np.concatenate([np.asarray(k_cache, dtype=float), k_new], axis=2)
    v = np.concatenate([np.asarray(v_cache, dtype=float), v_new], axis=2)
    return w @ vv, k, v
