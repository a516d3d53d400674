"""Exercise transformer.warmup-schedule: the learning-rate schedule of "Attention Is All You Need".

Run ``python -m quiz check transformer.warmup-schedule transformer_warmup_schedule.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def warmup_lr(step: ArrayLike, *, d_model: int = 512, warmup: int = 4000) -> np.ndarray:
    """The paper's learning rate at ``step``: ``d_model^-0.5 * min(step^-0.5, step * warmup^-1.5)``.

    Specification:

    - ``step`` is one step number or an array (or list) of them, counted from 1; return a
      float64 NumPy array of the same shape (a 0-d array for a single step).
    - The rate rises linearly for ``warmup`` steps, peaks at ``step = warmup`` at
      ``1 / sqrt(d_model * warmup)``, then decays like ``1 / sqrt(step)``.

    >>> import numpy as np
    >>> warmup_lr([1, 4, 16], d_model=64, warmup=4).tolist()  # (1/8) * (1/8), (1/8) * (1/2), (1/8) * (1/4)
    [0.015625, 0.0625, 0.03125]
    """
    raise NotImplementedError("write this function")
