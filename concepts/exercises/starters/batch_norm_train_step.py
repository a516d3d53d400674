"""Exercise batch_norm.train-step: one training step of batch norm, with its running statistics.

Run ``python -m quiz check batch_norm.train-step batch_norm_train_step.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def batch_norm_train(
    x: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    *,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch norm of ``x`` in training mode, as ``torch.nn.BatchNorm1d`` computes it.

    Specification:

    - ``x`` has shape ``(N, C)``: ``N`` examples, ``C`` channels; every other argument has
      shape ``(C,)``. Compute in float64; lists are accepted.
    - Normalise each channel with the mean and the *biased* variance (divide by ``N``) of
      this batch: ``y = gamma * (x - mean) / sqrt(var + eps) + beta``.
    - Return ``(y, new_running_mean, new_running_var)`` without modifying the inputs, where
      ``new = (1 - momentum) * old + momentum * batch_statistic`` (PyTorch's convention:
      ``momentum`` is the weight of the new batch), and the running variance receives the
      *unbiased* batch variance (divide by ``N - 1``).

    >>> import numpy as np
    >>> y, rm, rv = batch_norm_train([[1.0], [2.0], [3.0]], [0.0], [1.0], [1.0], [0.0])
    >>> np.round(y, 4).tolist(), np.round(rm, 4).tolist(), np.round(rv, 4).tolist()
    ([[-1.2247], [0.0], [1.2247]], [0.2], [1.0])
    """
    raise NotImplementedError("write this function")
