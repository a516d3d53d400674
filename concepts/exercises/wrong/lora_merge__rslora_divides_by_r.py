"""Uses alpha / r even when use_rslora is set: an rsLoRA adapter merged sqrt(r) times too weak."""

import numpy as np

EXPECTED_FAILURE = "check_merged_rslora"


def lora_merge(W, A, B, alpha, *, use_rslora=False):
    W, A, B = (np.asarray(t, dtype=np.float64) for t in (W, A, B))
    return W + alpha / A.shape[1] * (A @ B)
