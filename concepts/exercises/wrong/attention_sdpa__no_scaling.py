"""Forgets to divide the scores by sqrt(d_k), so the softmax is too sharp."""

import numpy as np

EXPECTED_FAILURE = "check_hand_worked_example"


def scaled_dot_product_attention(q, k, v, *, mask=None, is_causal=False, scale=None):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    scores = q @ np.swapaxes(k, -1, -2) * (1.0 if scale is None else scale)
    if is_causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))
    if mask is not None:
        mask = np.asarray(mask)
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    dead = np.all(scores == -np.inf, axis=-1, keepdims=True)
    scores = np.where(dead, 0.0, scores)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    weights = np.where(dead, 0.0, e / e.sum(-1, keepdims=True))
    return weights @ v, weights
