"""Exercise mixture_of_experts.balance-loss: Switch Transformer's load-balancing loss, as transformers counts it.

Run ``python -m quiz check mixture_of_experts.balance-loss mixture_of_experts_balance_loss.py`` to grade it.
"""

from __future__ import annotations

import numpy as np  # noqa: F401 (you will need it)
from numpy.typing import ArrayLike


def load_balancing_loss(router_logits: ArrayLike, *, top_k: int = 1, mask: ArrayLike | None = None) -> float:
    """The auxiliary loss ``N * sum_i f_i * P_i`` that pushes a router to spread tokens evenly.

    Specification:

    - ``router_logits`` has shape ``(tokens, N)`` for one layer, or ``(num_layers, tokens, N)``;
      several layers are pooled into one list of tokens (not averaged layer by layer). Compute
      in float64; ``N`` is the number of experts.
    - ``P_i``: the mean over tokens of ``softmax(router_logits)[..., i]`` (softmax over all experts).
    - ``f_i``: the fraction of tokens that have expert ``i`` among their ``top_k`` most probable
      experts. A token counts once for each of its ``top_k`` experts, so ``sum_i f_i = top_k``.
    - ``mask``: ``None``, or ``tokens`` booleans (any shape, e.g. ``(batch, seq_len)``) with
      ``True`` for real tokens; the same mask applies to every layer, and padding enters
      neither ``f`` nor ``P``.
    - Return ``N * sum_i f_i P_i`` as a Python float. Even routing gives ``top_k``.

    >>> import numpy as np
    >>> round(load_balancing_loss(np.log([[0.7, 0.1, 0.1, 0.1]] * 4)), 6)
    2.8
    """
    raise NotImplementedError("write this function")
