"""Exercise backpropagation.linear-backward: the three gradients of a linear layer, given the one above it.

Run ``python -m quiz check backpropagation.linear-backward backpropagation_linear_backward.py``
to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def linear_backward(grad_out: ArrayLike, x: ArrayLike, W: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Given ``dL/dy`` for ``y = x @ W + b``, return ``(dL/dx, dL/dW, dL/db)``.

    Specification:

    - The layout is NumPy's ``x @ W``: ``W`` has shape ``(d_in, d_out)`` (not ``nn.Linear``'s
      ``(d_out, d_in)``). ``x`` has shape ``(..., d_in)``: any number of leading axes
      (batch, sequence, ...), and ``grad_out`` has shape ``(..., d_out)`` with the same ones.
    - Return float64 arrays, each of the shape of what it differentiates: ``dx`` of shape
      ``(..., d_in)``, ``dW`` of shape ``(d_in, d_out)``, ``db`` of shape ``(d_out,)``.
    - Every row of every leading axis used the same ``W`` and ``b``, so their
      contributions to ``dW`` and ``db`` are summed (not averaged: any averaging belongs
      to the loss, which already put it into ``grad_out``).
    - The bias does not enter any gradient, so it is not an argument.

    >>> import numpy as np
    >>> dx, dW, db = linear_backward([[1.0, 1.0, 1.0]], [[1.0, 2.0]], [[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    >>> dx.tolist(), dW.tolist(), db.tolist()
    ([[0.0, 3.0]], [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], [1.0, 1.0, 1.0])
    """
    raise NotImplementedError("write this function")
