"""Leaves out the d_model^-0.5 factor: the right shape, but a peak sqrt(d_model) times too high."""

import numpy as np

EXPECTED_FAILURE = "check_peak"


def warmup_lr(step, *, d_model=512, warmup=4000):
    step = np.asarray(step, dtype=np.float64)
    return np.minimum(step**-0.5, step * warmup**-1.5)
