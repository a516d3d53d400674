"""Merges W + alpha A B instead of W + (alpha / r) A B: the merged model no longer matches the trained one."""

import numpy as np

EXPECTED_FAILURE = "check_merged_forward"


def lora_merge(W, A, B, alpha, *, use_rslora=False):
    W, A, B = (np.asarray(t, dtype=np.float64) for t in (W, A, B))
    s = alpha / np.sqrt(A.shape[1]) if use_rslora else alpha
    return W + s * (A @ B)
