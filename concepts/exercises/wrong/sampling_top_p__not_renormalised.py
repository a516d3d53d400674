"""Finds the right nucleus but samples from the kept probabilities as they are, without renormalising."""

import numpy as np

EXPECTED_FAILURE = "check_top_p_hand_worked"


def top_p_distribution(logits, top_p, *, temperature=1.0):
    z = np.asarray(logits, dtype=np.float64) / temperature
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    s = -np.sort(-p, axis=-1)
    n = (np.cumsum(s, axis=-1) < top_p - 1e-12).sum(axis=-1, keepdims=True) + 1
    tau = np.take_along_axis(s, np.minimum(n, p.shape[-1]) - 1, axis=-1)
    return np.where(p >= tau, p, 0.0)
