"""Momentum the wrong way round (Keras's meaning): keeps ``momentum`` of the old value, not of the new batch."""

import numpy as np

EXPECTED_FAILURE = "check_running_mean"


def batch_norm_train(x, running_mean, running_var, gamma, beta, *, momentum=0.1, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    y = np.asarray(gamma) * (x - mean) / np.sqrt(var + eps) + np.asarray(beta)
    new_mean = momentum * np.asarray(running_mean) + (1 - momentum) * mean
    new_var = momentum * np.asarray(running_var) + (1 - momentum) * var * n / (n - 1)
    return y, new_mean, new_var
