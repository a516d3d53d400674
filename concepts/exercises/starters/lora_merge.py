"""Exercise lora.merge: fold a trained LoRA adapter into the frozen weight for zero added latency.

Run ``python -m quiz check lora.merge lora_merge.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def lora_merge(W: ArrayLike, A: ArrayLike, B: ArrayLike, alpha: float, *, use_rslora: bool = False) -> np.ndarray:
    """The merged weight ``W'`` with ``x W' = x W + s (x A) B`` for every ``x``.

    Specification:

    - The ``x @ W`` layout: ``W`` has shape ``(d_in, d_out)``, ``A`` ``(d_in, r)``, ``B``
      ``(r, d_out)``, with ``r = A.shape[1]``. Lists are accepted; compute in float64.
    - The scaling ``s`` is ``alpha / r``, or ``alpha / sqrt(r)`` when ``use_rslora`` is true.
    - Return a new array of shape ``(d_in, d_out)``; leave ``W``, ``A`` and ``B`` unchanged
      (the caller may want to unmerge, or merge another adapter into the same ``W``).

    >>> W, A, B = [[1.0, 0.0], [0.0, 1.0]], [[1.0], [0.0]], [[0.0, 1.0]]  # r = 1
    >>> lora_merge(W, A, B, alpha=2.0).tolist()
    [[1.0, 2.0], [0.0, 1.0]]
    """
    raise NotImplementedError("write this function")
