"""Exercise sampling.temperature-top-k: the distribution a sampler draws from after temperature and top-k.

Run ``python -m quiz check sampling.temperature-top-k sampling_temperature_top_k.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def top_k_distribution(logits: ArrayLike, k: int, *, temperature: float = 1.0) -> np.ndarray:
    """``softmax(z / T)`` kept on the ``k`` most probable tokens, renormalised.

    Specification:

    - ``logits`` has shape ``(..., vocab)`` (a list is fine); every row is handled on its own.
      Return float64 probabilities of the same shape, each row summing to 1.
    - Divide the logits by ``temperature`` (``T > 0``): ``T < 1`` sharpens, ``T > 1`` flattens.
    - Keep the ``k`` most probable tokens of each row and every token tied with the k-th one
      (as Hugging Face's ``TopKLogitsWarper`` does); a ``k`` above the vocabulary keeps all.
      Dropped tokens get probability exactly 0, and the kept ones are renormalised.
    - Subtract the row maximum before exponentiating, so large logits do not overflow.

    >>> import numpy as np
    >>> np.round(top_k_distribution(np.log([0.4, 0.3, 0.2, 0.1]), 2), 4).tolist()
    [0.5714, 0.4286, 0.0, 0.0]
    """
    raise NotImplementedError("write this function")
