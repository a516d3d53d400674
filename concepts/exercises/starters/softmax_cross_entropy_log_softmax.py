"""Exercise softmax_cross_entropy.log-softmax: a log-softmax that neither overflows nor underflows.

Run ``python -m quiz check softmax_cross_entropy.log-softmax softmax_cross_entropy_log_softmax.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def log_softmax(x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    """``log softmax(x)_j = x_j - log(sum_l exp(x_l))`` along ``axis``, computed stably.

    Specification:

    - ``x`` is any array-like of real numbers (a list too) with at least one axis; compute
      in float64 and return a NumPy array of the same shape; ``exp`` of the result sums to
      1 along ``axis``.
    - Logits of 1000 must not overflow: ``np.exp(1000.0)`` is ``inf``. The log-sum-exp
      does not change its meaning if you pull the maximum out first:
      ``log sum exp(x) = m + log sum exp(x - m)``.
    - Tiny probabilities keep their exact log: for ``x = [0, -1000]`` the answer is
      ``[0, -1000]``, although ``softmax(x)[1] = e^-1000`` rounds to 0 in float64, so
      ``np.log(softmax(x))`` gives ``-inf`` there.

    >>> import numpy as np
    >>> np.round(log_softmax([1000.0, 1000.0]), 4).tolist()  # log(1/2) twice
    [-0.6931, -0.6931]
    """
    raise NotImplementedError("write this function")
