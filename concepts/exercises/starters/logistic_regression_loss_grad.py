"""Exercise logistic_regression.loss-grad: the L2-regularised logistic loss and its gradient.

Run ``python -m quiz check logistic_regression.loss-grad logistic_regression_loss_grad.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def logistic_loss_grad(
    w: ArrayLike, b: float, X: ArrayLike, y: ArrayLike, *, l2: float = 0.0
) -> tuple[float, np.ndarray, float]:
    """The mean cross-entropy of a logistic model plus an L2 penalty on ``w``, and its gradient.

    Specification:

    - ``X`` has shape ``(n_samples, n_features)``, ``w`` shape ``(n_features,)``, ``b`` is
      the intercept (a float), ``y`` holds labels 0 and 1, shape ``(n_samples,)``. Lists
      are accepted; compute in float64.
    - With ``z = X @ w + b`` and ``p = sigmoid(z)``, the loss is
      ``mean(-y log p - (1 - y) log(1 - p)) + l2 / 2 * ||w||²``. The intercept is **not**
      penalised (scikit-learn's convention).
    - Compute ``log p`` and ``log(1 - p)`` without forming ``p`` first, so that scores
      like ``z = -1000`` give a finite loss (hint: ``log sigmoid(z) = -np.logaddexp(0, -z)``
      and ``1 - sigmoid(z) = sigmoid(-z)``).
    - Return ``(loss, grad_w, grad_b)``: the float loss, its gradient in ``w`` (shape
      ``(n_features,)``) and in ``b`` (a float).

    >>> loss, gw, gb = logistic_loss_grad([0.0], 0.0, [[1.0], [-1.0]], [1, 0])  # p = 0.5 everywhere
    >>> round(loss, 4), [float(g) for g in gw], float(gb)  # log 2; ((0.5-1)*1 + (0.5-0)*(-1)) / 2; mean(p - y)
    (0.6931, [-0.5], 0.0)
    """
    raise NotImplementedError("write this function")
