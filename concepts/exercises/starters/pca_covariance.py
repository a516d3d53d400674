"""Exercise pca.covariance: centre the data and compute the sample covariance matrix.

Run ``python -m quiz check pca.covariance pca_covariance.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def covariance_matrix(X: ArrayLike) -> np.ndarray:
    """The sample covariance of the columns of ``X``, the matrix PCA diagonalises.

    Specification:

    - ``X`` has shape ``(n_samples, n_features)`` with ``n_samples >= 2``; lists are
      accepted. Compute in float64.
    - Centre every feature (subtract its mean over the rows), then return
      ``Xc.T @ Xc / (n_samples - 1)``, shape ``(n_features, n_features)``: what
      ``np.cov(X, rowvar=False)`` gives (do not call it: write it).

    >>> covariance_matrix([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]]).tolist()  # centred rows (-3, -1), (1, 2), (2, -1)
    [[7.0, 1.5], [1.5, 3.0]]
    """
    raise NotImplementedError("write this function")
