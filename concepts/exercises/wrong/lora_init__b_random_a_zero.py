"""Swaps the roles: B random and A zero. The output still starts at the base, but B is not zero."""

import numpy as np

EXPECTED_FAILURE = "check_b_is_zero"


def lora_init(d_in, d_out, r, *, rng=None):
    rng = np.random.default_rng(rng)
    bound = 1 / np.sqrt(d_in)
    return np.zeros((d_in, r)), rng.uniform(-bound, bound, size=(r, d_out))
