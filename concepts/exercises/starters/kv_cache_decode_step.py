"""Exercise kv_cache.decode-step: one attention step over a KV cache, equal to full recomputation.

Check your solution with ``python -m quiz check kv_cache.decode-step <this file>``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def decode_step(
    q: ArrayLike, k_new: ArrayLike, v_new: ArrayLike, k_cache: ArrayLike, v_cache: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Append the new tokens' keys and values to the cache, then attend their queries over it.

    The cache holds ``T_past`` positions; the ``T_new`` new tokens sit at positions
    ``T_past .. T_past + T_new - 1``. New token ``i`` attends, with scaled dot-product
    attention (scale ``1 / sqrt(d)``), to every cached position and to the new positions up
    to and including its own: the causal mask aligned to the bottom right of the
    ``T_new x (T_past + T_new)`` scores. The result must equal the last ``T_new`` rows of a
    causal pass over the whole sequence. ``T_new = 1`` is one decode step; ``T_past`` may be 0.

    Grouped KV heads: with ``h`` query heads and ``h_kv`` key/value heads (``h_kv`` divides
    ``h``), query head ``i`` reads key/value head ``i // (h // h_kv)``.

    :param q: new queries, shape ``(B, h, T_new, d)``.
    :param k_new: new keys, shape ``(B, h_kv, T_new, d)``; ``v_new`` the same shape.
    :param k_cache: cached keys, shape ``(B, h_kv, T_past, d)``; ``v_cache`` the same shape.
    :returns: ``(output, keys, values)``: the output ``(B, h, T_new, d)`` and the extended
        cache ``(B, h_kv, T_past + T_new, d)`` (old positions first).

    >>> k_cache = v_cache = np.array([[[[1.0], [3.0]]]])  # 2 cached positions, d = 1
    >>> out, k, v = decode_step(np.zeros((1, 1, 1, 1)), [[[[5.0]]]], [[[[5.0]]]], k_cache, v_cache)
    >>> out.tolist(), k.shape  # equal scores: the mean of 1, 3 and 5
    ([[[[3.0]]]], (1, 1, 3, 1))
    """
    raise NotImplementedError("write this function")
