"""Expands KV heads by tiling (query head i reads KV head i % h_kv) instead of consecutive groups."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EXPECTED_FAILURE = "check_grouped_kv_heads"


def decode_step(
    q: ArrayLike, k_new: ArrayLike, v_new: ArrayLike, k_cache: ArrayLike, v_cache: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = np.asarray(q, dtype=float)
    k = np.concatenate([np.asarray(k_cache, dtype=float), np.asarray(k_new, dtype=float)], axis=2)
    v = np.concatenate([np.asarray(v_cache, dtype=float), np.asarray(v_new, dtype=float)], axis=2)
    g = q.shape[1] // k.shape[1]
    kk, vv = np.tile(k, (1, g, 1, 1)), np.tile(v, (1, g, 1, 1))  # the mistake: tile, not repeat
    scores = q @ kk.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    t_q, t_k = scores.shape[-2:]
    allowed = np.tril(np.ones((t_q, t_k), dtype=bool), k=t_k - t_q)
    scores = np.where(allowed, scores, -np.inf)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return w @ vv, k, v
