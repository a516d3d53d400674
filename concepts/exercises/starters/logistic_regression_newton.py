"""Exercise logistic_regression.newton: fit L2-regularised logistic regression by Newton's method (IRLS).

Run ``python -m quiz check logistic_regression.newton logistic_regression_newton.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def fit_logistic_newton(
    X: ArrayLike, y: ArrayLike, *, l2: float = 0.0, tol: float = 1e-10, max_iter: int = 100
) -> tuple[np.ndarray, float]:
    """Minimise ``mean cross-entropy + l2 / 2 * ||w||²`` (intercept not penalised) by Newton's method.

    Specification:

    - ``X`` has shape ``(n_samples, n_features)``, ``y`` holds labels 0 and 1, shape
      ``(n_samples,)``; lists are accepted; compute in float64. ``l2 >= 0`` is the penalty
      of the *mean* loss (scikit-learn's ``C`` corresponds to ``l2 = 1 / (C * n_samples)``).
    - Start from ``w = 0, b = 0``. At each step compute ``p = sigmoid(X @ w + b)``, the
      gradient ``g`` in ``(w, b)`` and the Hessian
      ``H = X1.T @ diag(p * (1 - p)) @ X1 / n + diag(l2, ..., l2, 0)`` with
      ``X1 = [X, 1]`` (intercept last, unpenalised), then update ``(w, b) -= solve(H, g)``.
    - Stop as soon as every entry of ``g`` is below ``tol`` in absolute value. If that has
      not happened after ``max_iter`` steps, raise ``ValueError``.
    - Return ``(w, b)``: ``w`` of shape ``(n_features,)`` and ``b`` a float.

    >>> w, b = fit_logistic_newton([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1], l2=0.1)
    >>> round(float(w[0]), 4), round(float(b), 4)
    (0.6367, -0.9551)
    """
    raise NotImplementedError("write this function")
