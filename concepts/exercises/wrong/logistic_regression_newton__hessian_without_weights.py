"""Drops the p(1 - p) weights from the Hessian (uses X1^T X1 / n): steps too short, no quadratic convergence."""

import numpy as np

EXPECTED_FAILURE = "check_converges_fast"


def fit_logistic_newton(X, y, *, l2=0.0, tol=1e-10, max_iter=100):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n, d = X.shape
    X1 = np.column_stack([X, np.ones(n)])
    D = np.diag(np.append(np.full(d, l2), 0.0))
    theta = np.zeros(d + 1)
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(-(X1 @ theta)))
        g = X1.T @ (p - y) / n + D @ theta
        if np.abs(g).max() < tol:
            return theta[:-1], float(theta[-1])
        H = X1.T @ X1 / n + D
        theta = theta - np.linalg.solve(H, g)
    raise ValueError(f"did not converge in {max_iter} steps")
