"""Exercise pca.svd: PCA by the SVD of the centred data, returning the axes and their share of variance.

Run ``python -m quiz check pca.svd pca_svd.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def pca_components(X: ArrayLike, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """The top ``n_components`` principal axes of ``X`` and their explained variance ratios.

    Specification:

    - ``X`` has shape ``(n_samples, n_features)``; lists are accepted; compute in float64.
      ``1 <= n_components <= min(n_samples, n_features)``.
    - Use the SVD of the centred data (``np.linalg.svd(Xc, full_matrices=False)``), not the
      covariance matrix.
    - Return ``(components, explained_variance_ratio)``: ``components`` of shape
      ``(n_components, n_features)``, unit rows, largest variance first (the sign of each
      row is free: the checks accept either); ``explained_variance_ratio`` of shape
      ``(n_components,)``, each component's variance over the total variance of all
      components.

    >>> import numpy as np
    >>> V, ratio = pca_components([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]], 1)
    >>> np.round(np.abs(V), 4).tolist(), np.round(ratio, 4).tolist()  # the axis (3, 1) / sqrt(10)
    ([[0.9487, 0.3162]], [0.75])
    """
    raise NotImplementedError("write this function")
