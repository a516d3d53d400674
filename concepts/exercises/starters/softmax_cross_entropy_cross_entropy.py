"""Exercise softmax_cross_entropy.cross-entropy: the mean cross-entropy loss and its gradient.

Run ``python -m quiz check softmax_cross_entropy.cross-entropy softmax_cross_entropy_cross_entropy.py``
to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def cross_entropy_with_grad(
    logits: ArrayLike, target: ArrayLike, *, ignore_index: int = -100, label_smoothing: float = 0.0
) -> tuple[float, np.ndarray]:
    """``F.cross_entropy(logits, target, ignore_index=..., label_smoothing=...)`` and its gradient.

    Specification (PyTorch's conventions, reduction ``"mean"``, no class weights):

    - ``logits`` has shape ``(batch, num_classes)`` and ``target`` shape ``(batch,)``
      with integer class indices, or ``ignore_index`` for a position that must not count.
    - With ``p = softmax(z)`` the loss of one example is ``-sum_c q_c log p_c``, where the
      smoothed target is ``q = (1 - eps) * onehot(t) + eps / num_classes``: every class,
      the target included, receives ``eps / num_classes``.
    - The loss is the mean over the targets that are NOT ignored (an ignored target
      contributes nothing, to the sum or to the count).
    - The gradient with respect to ``logits`` has the shape of ``logits``: ``(p - q)``
      divided by the number of kept targets, and a zero row for an ignored target.
    - Logits of 1000 must not overflow.
    - Return ``(loss, grad)``: a float and a float64 array.

    >>> import numpy as np
    >>> loss, grad = cross_entropy_with_grad(np.log([[1.0, 1.0, 2.0]]), [2])  # p = (1/4, 1/4, 1/2)
    >>> round(loss, 4), np.round(grad, 4).tolist()  # -log(1/2) and p - onehot(2)
    (0.6931, [[0.25, 0.25, -0.5]])
    """
    raise NotImplementedError("write this function")
