"""Exercise regularization.dropout: inverted dropout, as PyTorch's nn.Dropout computes it.

Run ``python -m quiz check regularization.dropout regularization_dropout.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def dropout(
    x: ArrayLike,
    p: float = 0.5,
    *,
    training: bool = True,
    mask: ArrayLike | None = None,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Inverted dropout on ``x`` (any shape), returned as a float64 array of the same shape.

    Specification:

    - ``p`` is the probability of **dropping** (zeroing) an entry, PyTorch's convention.
    - In training (``training=True``) each entry is kept with probability ``1 - p`` and the
      kept entries are multiplied by ``1 / (1 - p)``, so the expected output equals ``x``.
    - In evaluation (``training=False``) return ``x`` unchanged: no mask, no scaling.
    - ``mask``, when given, is a boolean array of ``x``'s shape with ``True`` = keep; use it
      instead of drawing one. Otherwise draw the mask from ``rng`` (a Generator, an int
      seed or None; ``np.random.default_rng(rng)`` accepts all three, but pass a Generator
      through as it is).
    - Edge cases as in PyTorch: ``p = 0`` returns ``x``; ``p = 1`` returns ``x * 0``.

    >>> dropout([1.0, 2.0, 3.0, 4.0], 0.5, mask=[True, False, True, False]).tolist()
    [2.0, 0.0, 6.0, 0.0]
    """
    raise NotImplementedError("write this function")
