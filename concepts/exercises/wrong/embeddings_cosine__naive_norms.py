"""Computes the norms from the raw squares, which underflow to 0 at 1e-200 and overflow to inf at 1e200."""

import numpy as np

EXPECTED_FAILURE = "check_cosine_extreme_scales"


def cosine_similarity(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if (np.abs(a).max(axis=-1) == 0).any() or (np.abs(b).max(axis=-1) == 0).any():
        raise ValueError("cosine similarity is undefined for a zero vector")
    return (a * b).sum(-1) / (np.sqrt((a * a).sum(-1)) * np.sqrt((b * b).sum(-1)))
