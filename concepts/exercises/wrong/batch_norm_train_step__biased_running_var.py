"""Stores the biased batch variance (divided by N) in the running variance instead of the unbiased one."""

import numpy as np

EXPECTED_FAILURE = "check_running_var"


def batch_norm_train(x, running_mean, running_var, gamma, beta, *, momentum=0.1, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    mean, var = x.mean(axis=0), x.var(axis=0)
    y = np.asarray(gamma) * (x - mean) / np.sqrt(var + eps) + np.asarray(beta)
    new_mean = (1 - momentum) * np.asarray(running_mean) + momentum * mean
    new_var = (1 - momentum) * np.asarray(running_var) + momentum * var  # should be var * N / (N - 1)
    return y, new_mean, new_var
