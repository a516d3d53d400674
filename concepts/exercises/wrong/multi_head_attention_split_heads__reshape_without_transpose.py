"""Reshapes straight to (batch, heads, seq, d_head): the right shape, but tokens' features mix."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EXPECTED_FAILURE = "check_against_torch"


def split_heads(x: ArrayLike, num_heads: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    batch, seq, d = x.shape
    if d % num_heads:
        raise ValueError(f"num_heads must divide d_model; got {num_heads} and {d}")
    return x.reshape(batch, num_heads, seq, d // num_heads)
