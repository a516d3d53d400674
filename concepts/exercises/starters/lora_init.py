"""Exercise lora.init: initialise a LoRA adapter as peft does, so training starts from the base model.

Run ``python -m quiz check lora.init lora_init.py`` to grade it.
"""

from __future__ import annotations

import numpy as np


def lora_init(
    d_in: int, d_out: int, r: int, *, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The starting ``(A, B)`` of a rank-``r`` adapter on a ``(d_in, d_out)`` weight.

    Specification:

    - ``A`` has shape ``(d_in, r)`` and ``B`` shape ``(r, d_out)`` (the ``x @ W`` layout).
    - One factor is random and the other zero, chosen so that the adapted layer equals the
      base layer at step 0 and gradient still flows: draw the random one uniformly from
      ``(-1/sqrt(d_in), 1/sqrt(d_in))`` (what ``peft``'s ``kaiming_uniform_(a=sqrt(5))``
      gives), using ``np.random.default_rng(rng)`` when ``rng`` is an int or None.
    - Return the tuple ``(A, B)`` in float64.

    >>> A, B = lora_init(4, 3, 2, rng=0)
    >>> A.shape, B.shape, float(abs(B).max())
    ((4, 2), (2, 3), 0.0)
    """
    raise NotImplementedError("write this function")
