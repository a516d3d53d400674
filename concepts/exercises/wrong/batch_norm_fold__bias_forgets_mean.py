"""Forgets the running mean in the folded bias: b' = s * b + beta instead of s * (b - mean) + beta."""

import numpy as np

EXPECTED_FAILURE = "check_fold_against_torch"


def fold_into_linear(W, b, gamma, beta, running_mean, running_var, *, eps=1e-5):
    W = np.asarray(W, dtype=np.float64)
    b = np.zeros(W.shape[1]) if b is None else np.asarray(b, dtype=np.float64)
    s = np.asarray(gamma) / np.sqrt(np.asarray(running_var) + eps)
    return W * s, s * b + np.asarray(beta)
