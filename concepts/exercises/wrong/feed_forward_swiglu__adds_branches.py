"""Adds the two branches, act(x W) + x V, instead of multiplying them."""

import numpy as np

EXPECTED_FAILURE = "check_swiglu_hand_worked"


def gated_feed_forward(x, w, v, w2, *, activation="silu"):
    x, w, v, w2 = (np.asarray(a, dtype=np.float64) for a in (x, w, v, w2))
    h = x @ w
    return (h / (1.0 + np.exp(-h)) + x @ v) @ w2
