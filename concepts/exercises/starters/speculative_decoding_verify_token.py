"""Exercise speculative_decoding.verify-token: the acceptance test and the residual for one drafted token.

Run ``python -m quiz check speculative_decoding.verify-token speculative_decoding_verify_token.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def verify_token(p: ArrayLike, q: ArrayLike, token: int) -> tuple[float, np.ndarray]:
    """Judge one token that a draft model sampled from ``q``, for a target model with distribution ``p``.

    ``p`` and ``q`` are probability vectors of shape ``(V,)`` over the same vocabulary
    (the target's and the draft's next-token distributions at this position); ``token`` is
    the drafted token, an int in ``[0, V)`` with ``q[token] > 0``. Return, in float64,
    ``(accept, residual)``:

    - ``accept``: the probability of keeping the token, ``min(1, p[token] / q[token])``;
    - ``residual``: the distribution to sample from if it is rejected, ``max(0, p - q)``
      normalised to sum to 1, shape ``(V,)``. When ``p == q`` that is all zeros (a rejection
      never happens); return ``p`` then.

    >>> accept, residual = verify_token([0.5, 0.3, 0.2], [0.2, 0.6, 0.2], 1)
    >>> round(float(accept), 4), np.round(residual, 4).tolist()
    (0.5, [1.0, 0.0, 0.0])
    """
    raise NotImplementedError("write this function")
