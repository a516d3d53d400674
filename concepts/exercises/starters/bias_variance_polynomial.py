"""Exercise bias_variance.polynomial: the Monte Carlo bias-variance decomposition of polynomial regression.

Run ``python -m quiz check bias_variance.polynomial bias_variance_polynomial.py`` to grade it.
"""

from __future__ import annotations

from numpy.typing import ArrayLike


def polynomial_decomposition(
    x_train: ArrayLike, y_train: ArrayLike, x_test: ArrayLike, f_test: ArrayLike, y_test: ArrayLike, degree: int
) -> tuple[float, float, float, float]:
    """Fit one polynomial per training set; return bias squared, variance, noise and the measured error.

    Specification:

    - ``x_train``, ``y_train``: shape ``(n_sets, n_train)``, one training set per row.
      ``x_test``, ``f_test``: shape ``(n_points,)``, the test inputs and the true function
      there. ``y_test``: shape ``(n_sets, n_points)``, fresh noisy targets ``f_test + noise``,
      one draw per training set and test point. Lists are accepted; compute in float64.
    - Fit each training set by ordinary least squares with a polynomial of degree
      ``degree`` (``np.polyfit`` or ``np.linalg.lstsq``) and predict at ``x_test``: an
      array of predictions of shape ``(n_sets, n_points)``.
    - ``bias_sq``: mean over points of (mean over sets of the prediction - f_test) ** 2.
    - ``variance``: mean over points of the variance over sets of the prediction (ddof 0).
    - ``noise``: mean over sets and points of ``(y_test - f_test) ** 2``.
    - ``expected_error``: mean over sets and points of ``(y_test - prediction) ** 2``.
    - Return the four as floats, in that order.

    >>> x = [[-1.0, 1.0], [-1.0, 1.0]]
    >>> y = [[0.0, 2.0], [0.0, 0.0]]  # fits: 1 + x and 0
    >>> [round(t, 6) for t in polynomial_decomposition(x, y, [0.0], [0.0], [[1.0], [-1.0]], 1)]
    [0.25, 0.25, 1.0, 0.5]
    """
    raise NotImplementedError("write this function")
