"""Exercise regularization.adam-decay: one Adam step with an L2 penalty or with decoupled weight decay.

Run ``python -m quiz check regularization.adam-decay regularization_adam_decay.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def adam_step(
    w: ArrayLike,
    grad: ArrayLike,
    state: dict,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled: bool = False,
) -> np.ndarray:
    """Return the weights after one Adam step; ``state`` (a dict, empty at the start) is yours to update.

    Specification (PyTorch's conventions, float64):

    - ``w`` and ``grad`` have the same shape; ``grad`` is the loss gradient at ``w``. The
      caller passes the same ``state`` dict on every call: keep the step count and both
      moment estimates in it. Do not modify ``w`` in place.
    - ``decoupled=False`` is ``torch.optim.Adam(weight_decay=λ)``: add ``λ w`` to the
      gradient, then take the Adam step.
    - ``decoupled=True`` is ``torch.optim.AdamW(weight_decay=λ)``: first multiply ``w`` by
      ``1 - lr λ``, then take the Adam step on the gradient alone.
    - The Adam step: ``m = β1 m + (1 - β1) g``, ``v = β2 v + (1 - β2) g²``,
      ``m̂ = m / (1 - β1^t)``, ``v̂ = v / (1 - β2^t)`` with ``t`` counted from 1, and
      ``w - lr m̂ / (sqrt(v̂) + eps)``.

    >>> round(float(adam_step([1.0], [0.5], {}, lr=0.1)[0]), 6)  # the first step has size lr
    0.9
    """
    raise NotImplementedError("write this function")
