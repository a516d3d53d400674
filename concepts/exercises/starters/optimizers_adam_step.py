"""Exercise optimizers.adam-step: one step of Adam with bias correction, as torch.optim.Adam.

Run ``python -m quiz check optimizers.adam-step optimizers_adam_step.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def adam_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, dict]:
    """One Adam step on the parameter vector ``param`` (shape ``(d,)``), given its gradient ``grad``.

    Specification (PyTorch's ``torch.optim.Adam``, float64):

    - ``state`` is ``{}`` before the first step; return ``(new_param, new_state)`` and feed
      ``new_state`` back in at the next step. Keep in it what you need (the step count ``t``
      and the two moment vectors ``m`` and ``v``, zeros before the first step). Do not
      modify ``param``, ``grad`` or the arrays inside ``state``.
    - The step count ``t`` is 1 at the first step.
    - ``g = grad + weight_decay * param`` (Adam's weight decay is L2, inside the gradient).
    - ``m = b1 * m + (1 - b1) * g`` and ``v = b2 * v + (1 - b2) * g**2``, with ``(b1, b2) = betas``.
    - Bias correction: ``m_hat = m / (1 - b1**t)``, ``v_hat = v / (1 - b2**t)``.
    - ``new_param = param - lr * m_hat / (sqrt(v_hat) + eps)``: eps is added after the root.

    >>> p, s = adam_step(np.array([1.0, 1.0]), np.array([1e-3, 100.0]), {}, lr=0.1)
    >>> np.round(p, 4).tolist()  # the first step is lr * g / (|g| + eps), about lr * sign(g)
    [0.9, 0.9]
    """
    raise NotImplementedError("write this function")
