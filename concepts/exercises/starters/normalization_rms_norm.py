"""Exercise normalization.rms-norm: RMSNorm over the trailing dims, as torch.nn.RMSNorm computes it.

Run ``python -m quiz check normalization.rms-norm normalization_rms_norm.py`` to grade it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rms_norm(
    x: np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: np.ndarray | None = None,
    *,
    eps: float | None = None,
) -> np.ndarray:
    """RMSNorm: ``y = x / sqrt(mean(x^2) + eps) * weight``, the mean over the trailing dims.

    Specification:

    - ``x`` has shape ``(..., *normalized_shape)``; ``normalized_shape`` is an int (one
      trailing dim, e.g. ``d_model``) or a tuple of the trailing sizes. Array-likes (lists)
      are accepted. Return an array of the shape of ``x``.
    - No centring and no bias: unlike LayerNorm, the mean is *not* subtracted, so a token
      of constant features stays constant (its RMS is that constant).
    - ``weight`` (shape ``normalized_shape``) multiplies the result; ``None`` means ones.
    - ``eps`` is added to the mean square, inside the square root. ``eps=None`` copies
      ``nn.RMSNorm``'s default: float16 and float32 inputs are computed in float32 and get
      float32's machine epsilon (``np.finfo(np.float32).eps``, about 1.2e-7); float64
      inputs get float64's (2.2e-16). Not float16's own epsilon (9.8e-4), which would
      swamp a token of size 1e-3. Integer or list input is computed in float64.

    >>> import numpy as np
    >>> np.round(rms_norm([[3.0, 4.0]], 2, eps=0.0), 4).tolist()
    [[0.8485, 1.1314]]
    """
    raise NotImplementedError("write this function")
