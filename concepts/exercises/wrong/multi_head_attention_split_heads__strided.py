"""Deals features out to heads in turn (head i gets features i, i + h, ...), not in contiguous blocks."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EXPECTED_FAILURE = "check_contiguous_blocks"


def split_heads(x: ArrayLike, num_heads: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    batch, seq, d = x.shape
    if d % num_heads:
        raise ValueError(f"num_heads must divide d_model; got {num_heads} and {d}")
    return x.reshape(batch, seq, d // num_heads, num_heads).transpose(0, 3, 1, 2)
