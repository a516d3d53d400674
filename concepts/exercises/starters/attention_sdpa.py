"""Exercise attention.sdpa: scaled dot-product attention with masks, as PyTorch's SDPA defines it.

Run ``python -m quiz check attention.sdpa attention_sdpa.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def scaled_dot_product_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``softmax(q k^T * scale + M) v``, returned with the weights, in float64.

    Shapes: ``q`` is ``(..., seq_q, d_k)``, ``k`` is ``(..., seq_k, d_k)``, ``v`` is
    ``(..., seq_k, d_v)``; the leading axes (batch, heads) broadcast. Return
    ``(output, weights)`` of shapes ``(..., seq_q, d_v)`` and ``(..., seq_q, seq_k)``.

    Conventions (those of ``torch.nn.functional.scaled_dot_product_attention``):

    - ``scale`` defaults to ``1 / sqrt(d_k)``.
    - ``mask`` broadcasts to ``(..., seq_q, seq_k)``. A boolean mask: ``True`` means the
      query may attend to the key; ``False`` removes the key (weight exactly 0). A floating
      mask is *added* to the scaled scores (``-inf`` removes a key).
    - ``is_causal=True`` lets query ``i`` see keys ``j <= i`` (aligned top-left, even when
      ``seq_q != seq_k``); it is never combined with ``mask``.
    - The softmax runs over the keys and must not overflow for scores of order 1e4.
    - A query whose every key is removed gets weights 0 and output 0, not NaN.

    >>> import numpy as np
    >>> x = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])  # 2 tokens, d_k = 4
    >>> out, w = scaled_dot_product_attention(x, x, np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> np.round(w, 4).tolist()  # scores x x^T / 2 = [[1, 0], [0, 1]]
    [[0.7311, 0.2689], [0.2689, 0.7311]]
    """
    raise NotImplementedError("write this function")
