"""Exercise batch_norm.fold: fold an evaluation-mode batch norm into the linear layer before it.

Run ``python -m quiz check batch_norm.fold batch_norm_fold.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def fold_into_linear(
    W: ArrayLike,
    b: ArrayLike | None,
    gamma: ArrayLike,
    beta: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    *,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(W', b')`` such that ``x @ W' + b'`` equals the linear layer followed by batch norm.

    Specification:

    - The linear layer computes ``h = x @ W + b`` with ``W`` of shape ``(d_in, C)`` (the
      NumPy layout; an ``nn.Linear`` weight is its transpose) and ``b`` of shape ``(C,)``,
      or ``b = None`` for a layer without bias (treat it as zeros).
    - The batch norm is in evaluation mode: ``y = gamma * (h - running_mean) /
      sqrt(running_var + eps) + beta``, every vector of shape ``(C,)``.
    - Return ``W'`` of shape ``(d_in, C)`` and ``b'`` of shape ``(C,)``, in float64.

    >>> import numpy as np
    >>> Wf, bf = fold_into_linear([[2.0], [0.0]], [1.0], [3.0], [0.5], [3.0], [4.0], eps=1e-12)
    >>> np.round(Wf, 4).tolist(), np.round(bf, 4).tolist()  # s = 3 / sqrt(4) = 1.5; b' = 1.5 * (1 - 3) + 0.5
    ([[3.0], [0.0]], [-2.5])
    """
    raise NotImplementedError("write this function")
