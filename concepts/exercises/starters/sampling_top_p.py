"""Exercise sampling.top-p: nucleus (top-p) filtering after temperature, renormalised.

Run ``python -m quiz check sampling.top-p sampling_top_p.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def top_p_distribution(logits: ArrayLike, top_p: float, *, temperature: float = 1.0) -> np.ndarray:
    """``softmax(z / T)`` kept on the nucleus of mass ``top_p``, renormalised.

    Specification:

    - ``logits`` has shape ``(..., vocab)`` (a list is fine); every row is handled on its own.
      Return float64 probabilities of the same shape, each row summing to 1.
    - Apply the temperature first: ``p = softmax(z / T)``.
    - The nucleus is the smallest set of most probable tokens whose probabilities add up to
      ``top_p`` or more (Holtzman et al., 2020). It includes the token whose probability
      makes the running sum cross ``top_p``, so it always holds at least the top token.
      Equivalently: keep token ``i`` when the tokens strictly more probable than it hold
      less than ``top_p`` in total (a tie with the last token admitted is admitted too).
      ``top_p = 1`` keeps every token.
    - Dropped tokens get probability exactly 0; renormalise the kept ones to sum to 1.

    >>> import numpy as np
    >>> np.round(top_p_distribution(np.log([0.5, 0.3, 0.15, 0.05]), 0.75), 4).tolist()
    [0.625, 0.375, 0.0, 0.0]
    """
    raise NotImplementedError("write this function")
