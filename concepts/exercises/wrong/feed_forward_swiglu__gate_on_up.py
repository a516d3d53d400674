"""Applies the activation to the up projection x V instead of the gate projection x W."""

import math

import numpy as np

EXPECTED_FAILURE = "check_swiglu_against_llama_module"

_ACT = {
    "silu": lambda z: z / (1.0 + np.exp(-z)),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0.0),
    "gelu": lambda z: z * 0.5 * np.vectorize(math.erfc)(-z / math.sqrt(2.0)),
}


def gated_feed_forward(x, w, v, w2, *, activation="silu"):
    x, w, v, w2 = (np.asarray(a, dtype=np.float64) for a in (x, w, v, w2))
    return ((x @ w) * _ACT[activation](x @ v)) @ w2
