"""Multiplies the whole output, base included, by alpha / r: the frozen layer's output changes at step 0."""

import numpy as np

EXPECTED_FAILURE = "check_zero_b_gives_base"


def lora_forward(x, W, A, B, alpha, *, use_rslora=False):
    x, W, A, B = (np.asarray(t, dtype=np.float64) for t in (x, W, A, B))
    r = A.shape[1]
    s = alpha / np.sqrt(r) if use_rslora else alpha / r
    return (x @ W + (x @ A) @ B) * s
