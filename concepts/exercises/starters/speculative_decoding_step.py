"""Exercise speculative_decoding.step: one draft-then-verify step of speculative sampling.

Run ``python -m quiz check speculative_decoding.step speculative_decoding_step.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def speculative_step(
    p: ArrayLike, q: ArrayLike, draft: ArrayLike, *, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Verify ``g`` drafted tokens against the target and return the tokens the step emits.

    Shapes: ``p`` is ``(g + 1, V)``: row ``i`` is the target's next-token distribution after
    the context and the first ``i`` drafted tokens (row ``g`` follows all of them). ``q`` is
    ``(g, V)``: the draft's distributions, from which ``draft`` (``g`` ints) was sampled.

    Left to right, keep drafted token ``x = draft[i]`` with probability
    ``min(1, p[i, x] / q[i, x])`` (draw ``u = rng.random()`` and keep it when
    ``u < min(1, p/q)``). At the first rejection, sample one token from ``max(0, p[i] - q[i])``
    normalised and stop. If all ``g`` are kept, sample one bonus token from ``p[g]``.
    Return an int array: the kept drafts followed by that one token (length 1 to ``g + 1``).
    Use ``rng`` for every random draw (``np.random.default_rng(rng)`` accepts a Generator,
    an int seed or None).

    >>> p = np.array([[0.0, 1.0], [0.5, 0.5]])  # the target never emits token 0 first
    >>> speculative_step(p, [[1.0, 0.0]], [0], rng=np.random.default_rng(0)).tolist()
    [1]
    """
    raise NotImplementedError("write this function")
