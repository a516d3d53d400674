"""Exercise normalization.layer-norm-backward: LayerNorm's gradients by hand, as autograd computes them.

Run ``python -m quiz check normalization.layer-norm-backward normalization_layer_norm_backward.py``
to grade it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def layer_norm_backward(
    grad_out: np.ndarray,
    x: np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: np.ndarray | None = None,
    *,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Given ``dL/dy`` for ``y = LayerNorm(x) * weight + bias``, return ``(dL/dx, dL/dweight, dL/dbias)``.

    Specification:

    - The forward pass is ``nn.LayerNorm``'s: over the trailing ``normalized_shape`` dims of
      ``x`` (an int or a tuple), ``mu`` is the mean, ``var`` the *biased* variance (divide by
      N), ``x_hat = (x - mu) / sqrt(var + eps)`` and ``y = weight * x_hat + bias``.
      ``weight=None`` means ones. The bias does not change any gradient but its own.
    - ``grad_out`` has the shape of ``x``. Return ``dx`` of the shape of ``x``, and
      ``dweight``, ``dbias`` of shape ``normalized_shape`` (summed over the leading dims).
    - The gradient flows through ``mu`` and ``var`` too: with ``g = grad_out * weight``,
      ``r = 1 / sqrt(var + eps)`` and ``N`` the number of normalised entries,
      ``dx = r / N * (N g - sum(g) - x_hat * sum(g * x_hat))``, sums over the token's dims.

    >>> import numpy as np
    >>> dx, dw, db = layer_norm_backward(np.ones((1, 3)), np.array([[1.0, 2.0, 3.0]]), 3)
    >>> np.round(dx, 4).tolist(), np.round(db, 4).tolist()
    ([[0.0, 0.0, 0.0]], [1.0, 1.0, 1.0])
    """
    raise NotImplementedError("write this function")
