"""Divides by n instead of n - 1: the biased covariance, too small by the factor (n - 1) / n."""

import numpy as np

EXPECTED_FAILURE = "check_covariance_values"


def covariance_matrix(X):
    X = np.asarray(X, dtype=np.float64)
    Xc = X - X.mean(axis=0)
    return Xc.T @ Xc / X.shape[0]
