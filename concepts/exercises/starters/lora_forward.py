"""Exercise lora.forward: a LoRA linear layer's forward pass, with plain or rank-stabilised scaling.

Run ``python -m quiz check lora.forward lora_forward.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def lora_forward(
    x: ArrayLike, W: ArrayLike, A: ArrayLike, B: ArrayLike, alpha: float, *, use_rslora: bool = False
) -> np.ndarray:
    """The output of a frozen linear layer ``W`` plus a rank-``r`` adapter ``A B``.

    Specification:

    - The ``x @ W`` layout: ``x`` has shape ``(..., d_in)``, ``W`` ``(d_in, d_out)``,
      ``A`` ``(d_in, r)``, ``B`` ``(r, d_out)``; the rank ``r`` is ``A.shape[1]``. Lists are
      accepted; compute in float64.
    - Return ``y = x W + s (x A) B`` of shape ``(..., d_out)``, where the scaling is
      ``s = alpha / r``, or ``s = alpha / sqrt(r)`` when ``use_rslora`` is true (``peft``'s
      ``LoraConfig(use_rslora=True)``).
    - Multiply ``(x A)`` first: it is only ``(..., r)`` wide.

    >>> import numpy as np
    >>> W, A, B = np.eye(2), [[1.0], [0.0]], [[0.0, 1.0]]  # r = 1
    >>> lora_forward([[3.0, 4.0]], W, A, B, alpha=2.0).tolist()  # (3, 4) + (0, 3) * 2 / 1
    [[3.0, 10.0]]
    """
    raise NotImplementedError("write this function")
