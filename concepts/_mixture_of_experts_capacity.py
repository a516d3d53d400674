"""Expert capacity and the dispatch that drops what does not fit, after GShard (a private helper).

Follows Lepikhin et al. (2020): each expert has ``ceil(capacity_factor * tokens * top_k /
num_experts)`` slots, filled by choice rank and then by order of arrival. Also holds the
``top_k`` check every function of the concept uses. The public names are re-exported by
:mod:`concepts.mixture_of_experts`, which is where the page and the API documentation find
them; this file exists only to keep each module short.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive, require_positive_int

__all__ = [
    "dispatch_with_capacity",
    "expert_capacity",
]


def _check_top_k(top_k: int, num_experts: int) -> int:
    top_k = require_positive_int(top_k, "top_k")
    if top_k > num_experts:
        raise ValueError(f"top_k must be at most num_experts = {num_experts}; got {top_k}")
    return top_k


def expert_capacity(tokens: int, num_experts: int, *, top_k: int = 1, capacity_factor: float = 1.0) -> int:
    """Slots per expert: ``ceil(capacity_factor * tokens * top_k / num_experts)``.

    A perfectly even router sends ``tokens * top_k / num_experts`` assignments to each expert;
    the capacity factor is the slack above that (Switch Transformer tried 1.0 to 2.0).

    >>> from concepts.mixture_of_experts import expert_capacity
    >>> expert_capacity(10, 4, top_k=2, capacity_factor=1.0)  # ceil(20 / 4)
    5
    >>> expert_capacity(10, 4, top_k=2, capacity_factor=1.25)  # ceil(6.25)
    7
    """
    tokens, num_experts = require_positive_int(tokens, "tokens"), require_positive_int(num_experts, "num_experts")
    top_k = _check_top_k(top_k, num_experts)
    capacity_factor = require_positive(capacity_factor, "capacity_factor")
    return math.ceil(
        capacity_factor * tokens * top_k / num_experts - 1e-9
    )  # 1e-9: 1.1 * 10 = 11.000000000000002 gives 11, not 12


def dispatch_with_capacity(indices: ArrayLike, num_experts: int, *, capacity_factor: float = 1.0) -> np.ndarray:
    """Which assignments fit in their expert's capacity; the rest are dropped.

    Priority is by choice, then by order of arrival (GShard's order): every token's first
    choice is placed before any second choice, and within one choice rank the earlier token
    wins. A dropped assignment contributes nothing; if all of a token's assignments are
    dropped, only the residual connection carries it through the layer.

    :param indices: ``(tokens, top_k)`` expert ids from ``top_k_gating``.
    :param num_experts: the number of experts.
    :param capacity_factor: slack over an even share; see ``expert_capacity``.
    :returns: boolean ``(tokens, top_k)``, ``True`` where the assignment is kept.
        ``(~kept).sum()`` counts the dropped assignments.
    :raises ValueError: for a wrong shape or an expert id out of range.

    >>> import numpy as np
    >>> from concepts.mixture_of_experts import dispatch_with_capacity
    >>> idx = np.array([[0], [0], [0], [1]])  # 4 tokens, top-1; capacity ceil(4 / 2) = 2
    >>> dispatch_with_capacity(idx, 2).ravel().tolist()  # the third token to expert 0 is dropped
    [True, True, False, True]
    """
    idx = as_array(indices, "indices", dtype=None)
    num_experts = require_positive_int(num_experts, "num_experts")
    if idx.ndim != 2 or 0 in idx.shape or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"indices must be integers of shape (tokens, top_k); got {idx.dtype} of shape {idx.shape}")
    if idx.min() < 0 or idx.max() >= num_experts:
        raise ValueError(f"indices must lie in [0, {num_experts}); got values from {idx.min()} to {idx.max()}")
    tokens, top_k = idx.shape
    cap = expert_capacity(tokens, num_experts, top_k=top_k, capacity_factor=capacity_factor)
    order = idx.T.ravel()  # choice-major: all first choices (in token order), then all second choices
    one_hot = order[:, None] == np.arange(num_experts)  # (top_k * tokens, num_experts)
    position = (np.cumsum(one_hot, axis=0) - 1)[np.arange(order.size), order]  # slot taken in its expert
    return (position < cap).reshape(top_k, tokens).T
