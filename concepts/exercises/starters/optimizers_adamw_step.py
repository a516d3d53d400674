"""Exercise optimizers.adamw-step: one step of AdamW (decoupled weight decay), as torch.optim.AdamW.

Run ``python -m quiz check optimizers.adamw-step optimizers_adamw_step.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def adamw_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> tuple[np.ndarray, dict]:
    """One AdamW step on the parameter vector ``param`` (shape ``(d,)``), given its gradient ``grad``.

    Specification (PyTorch's ``torch.optim.AdamW``, float64):

    - ``state`` is ``{}`` before the first step; return ``(new_param, new_state)`` and feed
      ``new_state`` back in at the next step. Do not modify the inputs.
    - First decay the parameter: ``param * (1 - lr * weight_decay)``. The decay never
      enters the gradient, so the moments see the raw ``grad``.
    - Then take Adam's step from the decayed parameter: ``t`` counts from 1,
      ``m = b1 * m + (1 - b1) * grad``, ``v = b2 * v + (1 - b2) * grad**2``,
      ``m_hat = m / (1 - b1**t)``, ``v_hat = v / (1 - b2**t)``, and subtract
      ``lr * m_hat / (sqrt(v_hat) + eps)``.
    - The default ``weight_decay`` is PyTorch's, 0.01.

    >>> p, _ = adamw_step(np.array([2.0]), np.array([0.0]), {}, lr=0.1, weight_decay=0.1)
    >>> np.round(p, 6).tolist()  # 2 * (1 - 0.1 * 0.1); a zero gradient takes no Adam step
    [1.98]
    """
    raise NotImplementedError("write this function")
