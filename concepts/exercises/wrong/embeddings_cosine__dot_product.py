"""Returns the dot product without dividing by the norms: right only for unit vectors."""

import numpy as np

EXPECTED_FAILURE = "check_cosine_values"


def cosine_similarity(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if (np.abs(a).max(axis=-1) == 0).any() or (np.abs(b).max(axis=-1) == 0).any():
        raise ValueError("cosine similarity is undefined for a zero vector")
    return (a * b).sum(-1)
