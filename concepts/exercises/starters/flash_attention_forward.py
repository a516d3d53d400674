"""Exercise flash_attention.forward: exact attention in tiles, with the online softmax.

Run ``python -m quiz check flash_attention.forward flash_attention_forward.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def flash_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
    block_q: int = 64,
    block_k: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """``softmax(q k^T * scale + M) v`` computed one ``(block_q, block_k)`` tile of scores at a time.

    Specification:

    - Shapes: ``q`` is ``(..., seq_q, d_k)``, ``k`` is ``(..., seq_k, d_k)``, ``v`` is
      ``(..., seq_k, d_v)``; leading axes broadcast. Compute in float64.
    - Never build the ``(seq_q, seq_k)`` score matrix: loop over tiles of ``block_q`` queries
      and ``block_k`` keys (the last tile of each may be shorter: the block sizes need not
      divide the lengths). Keep per query row a running maximum ``m``, a running sum ``l``
      of ``exp(s - m)`` and an unnormalised output; divide by ``l`` once, at the end.
    - ``scale`` defaults to ``1 / sqrt(d_k)``. ``mask`` broadcasts to ``(..., seq_q, seq_k)``:
      boolean, ``True`` = may attend; floating, added to the scaled scores.
      ``is_causal=True`` lets query ``i`` see keys ``j <= i`` (top-left); never with ``mask``.
    - Return ``(output, lse)`` of shapes ``(..., seq_q, d_v)`` and ``(..., seq_q)``, where
      ``lse = log sum_j exp(s_j)`` over the row's visible scaled scores ``s``.
    - A query that sees no key gets output 0 and ``lse = -inf``, never NaN.
    - Scores of order 1000 must not overflow, wherever the row's maximum lies.

    >>> import numpy as np
    >>> x = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])  # scores x x^T / 2 = [[1, 0], [0, 1]]
    >>> out, lse = flash_attention(x, x, np.array([[1.0, 2.0], [3.0, 4.0]]), block_q=1, block_k=1)
    >>> np.round(out, 4).tolist()
    [[1.5379, 2.5379], [2.4621, 3.4621]]
    >>> np.round(lse, 4).tolist()  # log(e + 1)
    [1.3133, 1.3133]
    """
    raise NotImplementedError("write this function")
