"""Divides by ||x_j||² before thresholding at alpha: S(x_jᵀr_j / ||x_j||², alpha), right only when ||x_j||² = n."""

import numpy as np

EXPECTED_FAILURE = "check_orthogonal_closed_form"


def lasso_coordinate_descent(X, y, alpha, *, max_sweeps=10_000, tol=1e-12):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w, r = np.zeros(X.shape[1]), y.copy()
    col_sq = (X * X).sum(axis=0)
    for _ in range(max_sweeps):
        largest = 0.0
        for j in range(X.shape[1]):
            if col_sq[j] == 0:
                continue
            z = (X[:, j] @ r + col_sq[j] * w[j]) / col_sq[j]
            new = np.sign(z) * max(abs(z) - alpha, 0.0)
            r -= X[:, j] * (new - w[j])
            largest, w[j] = max(largest, abs(new - w[j])), new
        if largest <= tol:
            break
    return w
