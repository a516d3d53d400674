"""Exercise grouped_query_attention.gqa: grouped-query attention, returned with its weights.

Check your solution with ``python -m quiz check grouped_query_attention.gqa <this file>``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def grouped_query_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``head_i = softmax(scale * Q_i K_j^T + M) V_j`` with ``j = i // (h / g)``, and its weights.

    ``h`` query heads share ``g`` key/value heads (``g`` divides ``h``): consecutive query
    heads form a group, so heads ``0 .. h/g - 1`` read key/value head 0, and so on (SDPA's
    ``enable_gqa=True``). ``g = h`` is multi-head attention, ``g = 1`` multi-query attention.
    Work in float64.

    :param q: queries, shape ``(batch, h, seq_q, d)``.
    :param k: keys, shape ``(batch, g, seq_k, d)``; ``v`` values, the same shape.
    :param mask: boolean, broadcastable to ``(batch, h, seq_q, seq_k)``; ``True`` = may attend.
    :param is_causal: query ``i`` sees keys ``0 .. i`` (top-left aligned, as SDPA's).
    :param scale: the factor on ``q k^T``; ``1 / sqrt(d)`` when ``None``.
    :returns: ``(output, weights)`` of shapes ``(batch, h, seq_q, d)`` and ``(batch, h, seq_q, seq_k)``.

    >>> q = np.array([[[[1.0]], [[-1.0]]]])  # h = 2 heads, 1 query, d = 1
    >>> k = np.array([[[[0.0], [1.0]]]])  # g = 1 (MQA): one key head, 2 keys
    >>> v = np.array([[[[10.0], [20.0]]]])
    >>> out, w = grouped_query_attention(q, k, v)
    >>> np.round(out[0, :, 0, 0], 4).tolist()  # softmax(0, 1) and softmax(0, -1) over (10, 20)
    [17.3106, 12.6894]
    """
    raise NotImplementedError("write this function")
