"""Penalises the intercept along with the weights: the mean prediction no longer equals the base rate."""

import numpy as np

EXPECTED_FAILURE = "check_base_rate"


def fit_logistic_newton(X, y, *, l2=0.0, tol=1e-10, max_iter=100):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n, d = X.shape
    X1 = np.column_stack([X, np.ones(n)])
    theta = np.zeros(d + 1)
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(-(X1 @ theta)))
        g = X1.T @ (p - y) / n + l2 * theta
        if np.abs(g).max() < tol:
            return theta[:-1], float(theta[-1])
        H = X1.T @ ((p * (1 - p))[:, None] * X1) / n + l2 * np.eye(d + 1)
        theta = theta - np.linalg.solve(H, g)
    raise ValueError(f"did not converge in {max_iter} steps")
