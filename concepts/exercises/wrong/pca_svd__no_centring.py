"""Takes the SVD of the raw data without centring it: the first axis points at the mean."""

import numpy as np

EXPECTED_FAILURE = "check_ignores_a_shift"


def pca_components(X, n_components):
    X = np.asarray(X, dtype=np.float64)
    _, s, Vt = np.linalg.svd(X, full_matrices=False)
    return Vt[:n_components], (s**2 / (s**2).sum())[:n_components]
