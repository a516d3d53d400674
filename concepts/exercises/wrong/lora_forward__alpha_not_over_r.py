"""Scales the update by alpha instead of alpha / r: r times too strong (and tied to the rank)."""

import numpy as np

EXPECTED_FAILURE = "check_plain_scaling"


def lora_forward(x, W, A, B, alpha, *, use_rslora=False):
    x, W, A, B = (np.asarray(t, dtype=np.float64) for t in (x, W, A, B))
    r = A.shape[1]
    s = alpha / np.sqrt(r) if use_rslora else alpha
    return x @ W + (x @ A) @ B * s
