"""Reads p as the probability of KEEPING a unit (TensorFlow 1's keep_prob): keeps with probability p, scales by 1/p."""

import numpy as np

EXPECTED_FAILURE = "check_statistics_match_torch"


def dropout(x, p=0.5, *, training=True, mask=None, rng=None):
    x = np.asarray(x, dtype=np.float64)
    if not training or p == 1.0:
        return x.copy()
    if p == 0.0:
        return x * 0.0
    keep = np.random.default_rng(rng).random(x.shape) < p if mask is None else np.asarray(mask)
    return x * keep / p
