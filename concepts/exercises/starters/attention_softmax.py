"""Exercise attention.softmax: a softmax that cannot overflow.

Run ``python -m quiz check attention.softmax attention_softmax.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def softmax(x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    """Softmax of ``x`` along ``axis``: ``exp(x_j) / sum_l exp(x_l)``, computed so it never overflows.

    Specification:

    - ``x`` is any array-like of real numbers (a list too) with at least one axis; compute
      in float64 and return a NumPy array of the same shape, non-negative, summing to 1
      along ``axis``.
    - Scores of 1000 or more must not overflow: ``np.exp(1000.0)`` is ``inf``. Softmax does
      not change when the same constant is added to every entry; use that.
    - An entry of ``-inf`` gets weight exactly 0 (as long as its slice has a finite entry).

    >>> import numpy as np
    >>> np.round(softmax([1000.0, 1000.0 + np.log(3.0)]), 4).tolist()
    [0.25, 0.75]
    """
    raise NotImplementedError("write this function")
