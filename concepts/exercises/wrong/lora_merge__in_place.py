"""Adds the update into W in place: the caller's base weight is changed, so a second merge doubles it."""

import numpy as np

EXPECTED_FAILURE = "check_inputs_untouched"


def lora_merge(W, A, B, alpha, *, use_rslora=False):
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    r = A.shape[1]
    W += (alpha / np.sqrt(r) if use_rslora else alpha / r) * (A @ B)
    return W
