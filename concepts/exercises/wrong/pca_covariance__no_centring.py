"""Forgets to centre: X.T @ X / (n - 1) is a second moment about the origin, not a covariance."""

import numpy as np

EXPECTED_FAILURE = "check_covariance_ignores_a_shift"


def covariance_matrix(X):
    X = np.asarray(X, dtype=np.float64)
    return X.T @ X / (X.shape[0] - 1)
