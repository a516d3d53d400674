"""Zeroes units with probability p but never rescales the survivors: the expected output shrinks to (1 - p) x."""

import numpy as np

EXPECTED_FAILURE = "check_statistics_match_torch"


def dropout(x, p=0.5, *, training=True, mask=None, rng=None):
    x = np.asarray(x, dtype=np.float64)
    if not training:
        return x.copy()
    keep = np.random.default_rng(rng).random(x.shape) >= p if mask is None else np.asarray(mask)
    return x * keep
