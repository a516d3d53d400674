"""Divides by the running variance instead of its square root: s = gamma / (var + eps)."""

import numpy as np

EXPECTED_FAILURE = "check_fold_against_torch"


def fold_into_linear(W, b, gamma, beta, running_mean, running_var, *, eps=1e-5):
    W = np.asarray(W, dtype=np.float64)
    b = np.zeros(W.shape[1]) if b is None else np.asarray(b, dtype=np.float64)
    s = np.asarray(gamma) / (np.asarray(running_var) + eps)
    return W * s, s * (b - np.asarray(running_mean)) + np.asarray(beta)
