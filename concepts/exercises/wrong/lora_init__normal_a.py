"""Draws A from a standard normal: entries far outside +-1/sqrt(d_in), so the first updates explode."""

import numpy as np

EXPECTED_FAILURE = "check_a_is_random"


def lora_init(d_in, d_out, r, *, rng=None):
    rng = np.random.default_rng(rng)
    return rng.standard_normal((d_in, r)), np.zeros((r, d_out))
