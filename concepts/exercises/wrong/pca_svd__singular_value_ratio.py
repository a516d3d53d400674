"""Computes the ratios from the singular values s_j instead of the variances s_j**2."""

import numpy as np

EXPECTED_FAILURE = "check_explained_variance_ratio"


def pca_components(X, n_components):
    X = np.asarray(X, dtype=np.float64)
    _, s, Vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    return Vt[:n_components], (s / s.sum())[:n_components]
