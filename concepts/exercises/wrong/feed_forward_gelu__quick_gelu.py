"""Computes "quick GELU", x * sigmoid(1.702 x), for the exact form: off by up to 0.02."""

import numpy as np

EXPECTED_FAILURE = "check_gelu_exact"


def gelu(x, *, approximate="none"):
    x = np.asarray(x, dtype=np.float64)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))
    if approximate != "none":
        raise ValueError(f"approximate must be 'none' or 'tanh'; got {approximate!r}")
    return x / (1.0 + np.exp(-1.702 * x))
