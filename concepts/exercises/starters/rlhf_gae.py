"""Exercise rlhf.gae: generalised advantage estimation, with episode ends.

Run ``python -m quiz check rlhf.gae rlhf_gae.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def gae(
    rewards: ArrayLike,
    values: ArrayLike,
    *,
    gamma: float = 1.0,
    lam: float = 0.95,
    dones: ArrayLike | None = None,
    last_value: ArrayLike = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """GAE advantages and returns over the last axis (time).

    Specification:

    - ``rewards`` and ``values`` have shape ``(..., T)``; ``values[..., t]`` is ``V(s_t)``.
      ``last_value`` is ``V`` of the state after the last step (broadcast to ``(...)``).
    - ``dones`` (boolean, same shape, or ``None`` for no episode end): ``dones[..., t]`` is
      True when the episode ended with step ``t``; then step ``t`` neither bootstraps from
      ``V_{t+1}`` nor adds any later TD error.
    - ``delta_t = r_t + gamma * V_{t+1} * (1 - done_t) - V_t`` and
      ``A_t = sum_l (gamma * lam)^l * delta_{t+l}`` within the episode; compute it
      backwards in one pass.
    - Return ``(advantages, returns)``, both float64 of the shape of ``rewards``, with
      ``returns = advantages + values``.

    >>> adv, ret = gae([0.0, 0.0, 1.0], [0.5, 0.5, 0.5], gamma=1.0, lam=0.5)
    >>> adv.tolist(), ret.tolist()
    ([0.125, 0.25, 0.5], [0.625, 0.75, 1.0])
    """
    raise NotImplementedError("write this function")
