"""Leaves the cubic term out of the tanh form: tanh(sqrt(2/pi) x) instead of tanh(sqrt(2/pi)(x + 0.044715 x^3))."""

import math

import numpy as np

EXPECTED_FAILURE = "check_gelu_tanh"


def gelu(x, *, approximate="none"):
    x = np.asarray(x, dtype=np.float64)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * x))
    if approximate != "none":
        raise ValueError(f"approximate must be 'none' or 'tanh'; got {approximate!r}")
    return x * 0.5 * np.vectorize(math.erfc)(-x / math.sqrt(2.0))
