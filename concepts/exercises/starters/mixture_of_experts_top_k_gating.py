"""Exercise mixture_of_experts.top-k-gating: Mixtral's router gates, softmax then top-k then renormalise.

Run ``python -m quiz check mixture_of_experts.top-k-gating mixture_of_experts_top_k_gating.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def top_k_gating(router_logits: ArrayLike, top_k: int, *, renormalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The gates of each token's ``top_k`` experts.

    Specification:

    - ``router_logits`` is an array-like of shape ``(..., num_experts)`` (a list too); compute
      in float64. ``1 <= top_k <= num_experts``.
    - First ``p = softmax(router_logits)`` over *all* experts (the last axis), computed so that
      logits near 1000 do not overflow. Then keep the ``top_k`` largest probabilities of each
      token, largest first.
    - ``renormalize=True`` (Mixtral): divide the kept probabilities by their sum, so each
      token's gates sum to 1. ``renormalize=False`` (Switch Transformer): return them as they are.
    - Return ``(weights, indices)``, both of shape ``(..., top_k)``: the gates (float64) and the
      expert ids (integers) they belong to, in the same order.

    >>> import numpy as np
    >>> w, i = top_k_gating(np.log([[0.1, 0.5, 0.3, 0.1]]), 2)
    >>> i.tolist(), np.round(w, 4).tolist()
    ([[1, 2]], [[0.625, 0.375]])
    """
    raise NotImplementedError("write this function")
