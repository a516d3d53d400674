"""Normalises over the queries (axis -2) instead of the keys: columns sum to 1, rows do not."""

import math

import numpy as np

EXPECTED_FAILURE = "check_against_torch"


def scaled_dot_product_attention(q, k, v, *, mask=None, is_causal=False, scale=None):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))
    if mask is not None:
        mask = np.asarray(mask)
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    dead = np.all(scores == -np.inf, axis=-2, keepdims=True)
    scores = np.where(dead, 0.0, scores)
    e = np.exp(scores - scores.max(-2, keepdims=True))
    weights = np.where(dead, 0.0, e / e.sum(-2, keepdims=True))
    return weights @ v, weights
