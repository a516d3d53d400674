"""Exercise positional_encoding.rope: rotary position embedding on queries or keys.

Check your solution with ``python -m quiz check positional_encoding.rope <this file>``.
"""

from __future__ import annotations

import numpy as np


def rope(
    x: np.ndarray,
    positions: np.ndarray | None = None,
    *,
    base: float = 10000.0,
    pairing: str = "half",
    scale: float = 1.0,
) -> np.ndarray:
    """Rotate each feature pair of ``x`` by the angle ``(m / scale) * theta_i`` of its position ``m``.

    Specification:

    - ``x`` has shape ``(..., seq, d)`` with ``d`` even (queries or keys of one head, after
      the projection); ``positions`` are integers of shape ``(seq,)``, ``0, 1, ..., seq-1``
      when omitted. Return an array of the same shape as ``x``.
    - Pair ``i = 0, ..., d/2 - 1`` turns at ``theta_i = base^(-2i/d)``, by the angle
      ``a = (m / scale) * theta_i``: ``(x1, x2) -> (x1 cos a - x2 sin a, x1 sin a + x2 cos a)``.
    - ``pairing="half"`` pairs feature ``i`` with ``i + d/2`` (GPT-NeoX, Hugging Face
      ``rotate_half``); ``pairing="interleaved"`` pairs ``2i`` with ``2i + 1`` (the RoFormer
      paper, Meta's Llama code). ``x1`` is the first member of the pair, ``x2`` the second.
    - ``scale`` is linear position interpolation: positions are divided by it.

    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0, 0.0, 0.0]])  # one token at position 1, d = 4
    >>> np.round(rope(x, np.array([1]), pairing="half"), 4).tolist()
    [[0.5403, 0.0, 0.8415, 0.0]]
    """
    raise NotImplementedError("write this function")
