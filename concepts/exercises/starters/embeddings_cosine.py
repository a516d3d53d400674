"""Exercise embeddings.cosine: cosine similarity along the last axis, all pairs by broadcasting.

Run ``python -m quiz check embeddings.cosine embeddings_cosine.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def cosine_similarity(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``cos(a, b) = a . b / (|a| |b|)`` along the last axis ``d``; the leading axes broadcast.

    Specification:

    - ``a`` has shape ``(..., d)`` and ``b`` a shape whose leading axes broadcast against
      ``a``'s, with the same ``d``. Array-likes (lists) are accepted; compute in float64 and
      return an array of the broadcast leading shape (a 0-d array for two vectors).
    - ``A[:, None, :]`` against ``B[None, :, :]`` must give the ``(n, m)`` matrix of all
      pairs, so write it with broadcasting, not a loop over rows.
    - Vectors as small as 1e-200 or as large as 1e200 must keep their angle: their squared
      norms underflow to 0 or overflow to inf. Divide each vector by its largest absolute
      entry first (that changes no angle).
    - A zero vector has no direction: raise ``ValueError`` (PyTorch and scikit-learn return
      0, which reads as "orthogonal").

    >>> import numpy as np
    >>> round(float(cosine_similarity([1.0, 2.0, 2.0], [2.0, 2.0, 1.0])), 4)  # 8 / 9
    0.8889
    """
    raise NotImplementedError("write this function")
