"""Exercise flash_attention.online-softmax: a softmax's maximum and sum, one block at a time.

Run ``python -m quiz check flash_attention.online-softmax flash_attention_online_softmax.py`` to grade it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike


def online_softmax(blocks: Iterable[ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    """The maximum ``m`` and the normaliser ``l = sum_j exp(x_j - m)`` of scores that arrive in blocks.

    Specification:

    - ``blocks`` is an iterable of array-likes of shape ``(..., block_len)``; every block has
      the same leading shape (one softmax per leading index) and its own ``block_len >= 1``.
      The scores of a row are the concatenation of its blocks along the last axis.
    - Return ``(m, l)``, float64 arrays of the leading shape ``(...)`` (0-d for 1-D blocks):
      ``m`` the row's largest score, ``l`` the sum of ``exp(x_j - m)`` over the whole row,
      so that ``softmax(x)_j = exp(x_j - m) / l``.
    - Read each block once and keep only ``m`` and ``l`` between blocks (no concatenation).
    - Scores near 1000 must not overflow, even when the largest arrives in the last block.
    - ``-inf`` scores contribute 0; a row with no finite score so far has ``m = -inf`` and
      ``l = 0`` and must not turn into NaN when a finite score arrives.

    >>> m, l = online_softmax([[1.0, 2.0], [1000.0]])  # exp(1000) would overflow
    >>> float(m), round(float(l), 4)
    (1000.0, 1.0)
    """
    raise NotImplementedError("write this function")
