"""Computes Phi as 0.5 (1 + erf(x / sqrt 2)), which cancels to 0 in the far left tail (x < -8.5)."""

import math

import numpy as np

EXPECTED_FAILURE = "check_gelu_left_tail"


def gelu(x, *, approximate="none"):
    x = np.asarray(x, dtype=np.float64)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))
    if approximate != "none":
        raise ValueError(f"approximate must be 'none' or 'tanh'; got {approximate!r}")
    return x * 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
