"""Zeroes the tokens outside the top k but forgets to renormalise the ones it keeps."""

import numpy as np

EXPECTED_FAILURE = "check_top_k_hand_worked"


def top_k_distribution(logits, k, *, temperature=1.0):
    z = np.asarray(logits, dtype=np.float64) / temperature
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    kth = -np.sort(-p, axis=-1)[..., min(k, p.shape[-1]) - 1 : min(k, p.shape[-1])]
    return np.where(p >= kth, p, 0.0)
