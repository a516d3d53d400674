"""Starts A and B at zero: every gradient of A and of B is zero, so the adapter never trains."""

import numpy as np

EXPECTED_FAILURE = "check_a_is_random"


def lora_init(d_in, d_out, r, *, rng=None):
    return np.zeros((d_in, r)), np.zeros((r, d_out))
