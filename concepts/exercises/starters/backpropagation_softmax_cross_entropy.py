"""Exercise backpropagation.softmax-cross-entropy: the loss of a classifier and its gradient, by hand.

Run ``python -m quiz check backpropagation.softmax-cross-entropy backpropagation_softmax_cross_entropy.py``
to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def softmax_cross_entropy_with_grad(logits: ArrayLike, targets: ArrayLike) -> tuple[float, np.ndarray]:
    """Return ``(loss, dL/dlogits)`` for the mean cross-entropy of ``softmax(logits)`` against class indices.

    Specification:

    - ``logits`` has shape ``(batch, num_classes)``, ``targets`` shape ``(batch,)``, integers
      in ``[0, num_classes)``.
    - The loss is ``F.cross_entropy``'s default (``reduction="mean"``):
      ``loss = mean over rows i of (logsumexp(z_i) - z_i[t_i])``, returned as a Python float.
    - The gradient has the shape of ``logits``, float64. Because the loss is a mean, every
      row's gradient is divided by ``batch``.
    - It must stay finite for logits of any size (1000 and more): ``exp(1000)`` overflows
      float64, so shift each row by its maximum before exponentiating.

    >>> import numpy as np
    >>> loss, dz = softmax_cross_entropy_with_grad([[0.0, 0.0]], [0])
    >>> round(loss, 4), dz.tolist()
    (0.6931, [[-0.5, 0.5]])
    """
    raise NotImplementedError("write this function")
