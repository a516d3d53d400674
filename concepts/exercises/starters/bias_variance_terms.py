"""Exercise bias_variance.terms: bias squared and variance at each point, from predictions over training sets.

Run ``python -m quiz check bias_variance.terms bias_variance_terms.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def bias_variance_terms(predictions: ArrayLike, f_x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Bias squared and variance of a learning algorithm at each test point.

    Specification:

    - ``predictions`` has shape ``(n_sets, n_points)``: row ``r`` holds the predictions, at
      every test point, of the model trained on training set ``r``. ``f_x`` has shape
      ``(n_points,)``: the true (noise-free) function at the same points. Lists are
      accepted; compute in float64.
    - The average model is the mean of the predictions over the training sets (axis 0).
    - ``bias_sq[j] = (average model at j - f_x[j]) ** 2``.
    - ``variance[j]`` = mean over training sets of (prediction - average model at j) ** 2,
      dividing by ``n_sets`` (ddof 0), so that ``bias_sq + variance`` equals the mean over
      sets of ``(prediction - f_x) ** 2`` exactly.
    - Return ``(bias_sq, variance)``, each of shape ``(n_points,)``.

    >>> bias_sq, variance = bias_variance_terms([[1.0, 0.0], [3.0, 0.0]], [0.0, 1.0])
    >>> bias_sq.tolist(), variance.tolist()
    ([4.0, 1.0], [1.0, 0.0])
    """
    raise NotImplementedError("write this function")
