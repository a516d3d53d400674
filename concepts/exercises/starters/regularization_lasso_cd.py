"""Exercise regularization.lasso-cd: the Lasso by cyclic coordinate descent with soft-thresholding.

Run ``python -m quiz check regularization.lasso-cd regularization_lasso_cd.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def lasso_coordinate_descent(
    X: ArrayLike, y: ArrayLike, alpha: float, *, max_sweeps: int = 10_000, tol: float = 1e-12
) -> np.ndarray:
    """Minimise scikit-learn's Lasso objective ``(1/(2n)) ||y - Xw||² + alpha ||w||_1``, no intercept.

    Specification:

    - ``X`` has shape ``(n_samples, n_features)``, ``y`` shape ``(n_samples,)``; ``n`` is
      ``n_samples``. Lists are accepted; compute in float64. Return ``w``, shape
      ``(n_features,)``, with exact zeros where the penalty wins.
    - Start from ``w = 0``. A sweep visits ``j = 0, 1, ..., n_features - 1`` and sets ``w_j``
      to the exact minimiser of the objective with the other coordinates fixed (use the
      soft-threshold ``S(z, t) = sign(z) max(|z| - t, 0)``; derive the threshold from the
      objective above, minding its ``1/(2n)``). Skip a column that is all zeros.
    - Stop after a sweep in which no coefficient changed by more than ``tol``, or after
      ``max_sweeps`` sweeps.

    >>> lasso_coordinate_descent([[1.0, 0.0], [0.0, 1.0]], [3.0, 0.5], 0.5).tolist()
    [2.0, 0.0]
    """
    raise NotImplementedError("write this function")
