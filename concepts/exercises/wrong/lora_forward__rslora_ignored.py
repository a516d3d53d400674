"""Ignores use_rslora and always scales by alpha / r, so rank-stabilised LoRA is silently plain LoRA."""

import numpy as np

EXPECTED_FAILURE = "check_rslora_scaling"


def lora_forward(x, W, A, B, alpha, *, use_rslora=False):
    x, W, A, B = (np.asarray(t, dtype=np.float64) for t in (x, W, A, B))
    return x @ W + (x @ A) @ B * (alpha / A.shape[1])
