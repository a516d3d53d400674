"""Tiles the heads (0, 1, 0, 1, ...) instead of repeating each in place: query head i meets KV head i % g."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EXPECTED_FAILURE = "check_head_order"


def repeat_kv(kv: ArrayLike, n_rep: int) -> np.ndarray:
    kv = np.asarray(kv, dtype=float)
    reps = [1] * kv.ndim
    reps[-3] = n_rep
    return np.tile(kv, reps)
