"""Multiplies the logits by the temperature instead of dividing, so T < 1 flattens and T > 1 sharpens."""

import numpy as np

EXPECTED_FAILURE = "check_top_k_against_torch"


def top_k_distribution(logits, k, *, temperature=1.0):
    z = np.asarray(logits, dtype=np.float64) * temperature
    kth = -np.sort(-z, axis=-1)[..., min(k, z.shape[-1]) - 1 : min(k, z.shape[-1])]
    z = np.where(z >= kth, z, -np.inf)
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)
