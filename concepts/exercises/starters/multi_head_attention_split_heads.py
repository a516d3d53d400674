"""Exercise multi_head_attention.split-heads: cut the model width into heads.

Check your solution with ``python -m quiz check multi_head_attention.split-heads <this file>``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def split_heads(x: ArrayLike, num_heads: int) -> np.ndarray:
    """``(batch, seq, d_model) -> (batch, num_heads, seq, d_head)`` with ``d_head = d_model / num_heads``.

    Head ``i`` gets the ``i``-th contiguous block of features of every token: features
    ``i * d_head`` to ``(i + 1) * d_head - 1`` (the layout of ``nn.MultiheadAttention`` and of
    every ``nn.Linear``-based attention). Tokens must not mix: ``out[b, i, t]`` comes from
    ``x[b, t]`` only.

    :param x: array-like of shape ``(batch, seq, d_model)``.
    :param num_heads: the number of heads; must divide ``d_model``.
    :returns: a float array of shape ``(batch, num_heads, seq, d_head)``.
    :raises ValueError: when ``num_heads`` does not divide ``d_model``.

    >>> x = np.arange(8.0).reshape(1, 2, 4)  # 2 tokens, d_model = 4
    >>> split_heads(x, 2).tolist()  # head 0 gets features 0-1, head 1 gets features 2-3
    [[[[0.0, 1.0], [4.0, 5.0]], [[2.0, 3.0], [6.0, 7.0]]]]
    """
    raise NotImplementedError("write this function")
