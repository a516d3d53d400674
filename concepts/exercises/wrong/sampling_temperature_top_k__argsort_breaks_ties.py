"""Keeps exactly k tokens by argsort, so at a tie the token ids decide which of the tied tokens survive."""

import numpy as np

EXPECTED_FAILURE = "check_top_k_ties"


def top_k_distribution(logits, k, *, temperature=1.0):
    z = np.asarray(logits, dtype=np.float64) / temperature
    order = np.argsort(-z, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    z = np.where(keep, z, -np.inf)
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)
