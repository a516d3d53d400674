"""Exercise grouped_query_attention.repeat-kv: expand key/value heads so an MHA kernel can run GQA.

Check your solution with ``python -m quiz check grouped_query_attention.repeat-kv <this file>``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def repeat_kv(kv: ArrayLike, n_rep: int) -> np.ndarray:
    """``(..., g, seq, d) -> (..., g * n_rep, seq, d)``: each key/value head copied ``n_rep`` times in place.

    The copies of head ``j`` must sit together, at heads ``j * n_rep`` to
    ``j * n_rep + n_rep - 1``, so that query head ``i`` meets key/value head
    ``i // n_rep``: the grouping of PyTorch's SDPA with ``enable_gqa=True`` and of Hugging
    Face's ``repeat_kv``. Any leading (batch) axes are kept.

    :param kv: keys or values, shape ``(..., num_kv_heads, seq, d)``, at least 3-D.
    :param n_rep: copies per head, ``num_heads // num_kv_heads``; a positive integer.
    :returns: a float array of shape ``(..., num_kv_heads * n_rep, seq, d)``.

    >>> kv = np.array([[[1.0]], [[2.0]]])  # 2 heads, 1 position, d = 1
    >>> repeat_kv(kv, 2)[:, 0, 0].tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    raise NotImplementedError("write this function")
