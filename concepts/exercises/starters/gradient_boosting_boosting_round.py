"""Exercise gradient_boosting.boosting-round: one round of gradient boosting on squared loss.

Run ``python -m quiz check gradient_boosting.boosting-round gradient_boosting_boosting_round.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def boosting_round(
    X: ArrayLike, y: ArrayLike, pred: ArrayLike, *, learning_rate: float = 0.1, max_depth: int = 1
) -> np.ndarray:
    """Fit a least-squares regression tree to the residuals ``y - pred`` and take one shrunken step along it.

    Specification:

    - ``X`` has shape ``(n_samples, n_features)``; ``y`` and the current predictions ``pred``
      have shape ``(n_samples,)``. Lists are accepted; compute in float64.
    - The residual ``r = y - pred`` is the negative gradient of the loss ``1/2 (y - pred)²``.
    - Grow a regression tree on ``(X, r)`` to depth ``max_depth`` (1 is a stump, the root
      is depth 0). At each node try every feature and every threshold halfway between two
      neighbouring **distinct** values of that feature; rows with ``x <= threshold`` go
      left. Keep the split with the smallest summed squared error of the two children
      around their means (on a tie, the first feature, then the smallest threshold). A node
      whose rows all share one value of every feature, or at depth ``max_depth``, is a leaf;
      a leaf predicts the mean residual of its rows.
    - Return ``pred + learning_rate * tree(X)``, shape ``(n_samples,)``.

    >>> X, y = [[1.0], [2.0], [3.0], [4.0]], [1.0, 1.0, 5.0, 7.0]
    >>> boosting_round(X, y, [3.5] * 4, learning_rate=0.5).tolist()  # residual means -2.5 and 2.5
    [2.25, 2.25, 4.75, 4.75]
    """
    raise NotImplementedError("write this function")
