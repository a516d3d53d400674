"""Repeats along the sequence axis instead of the head axis: the cache grows in time, not in heads."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EXPECTED_FAILURE = "check_against_torch"


def repeat_kv(kv: ArrayLike, n_rep: int) -> np.ndarray:
    return np.repeat(np.asarray(kv, dtype=float), n_rep, axis=-2)
