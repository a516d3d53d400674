"""Exercise feed_forward.swiglu: the gated feed-forward network of Llama, SwiGLU by default.

Run ``python -m quiz check feed_forward.swiglu feed_forward_swiglu.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def gated_feed_forward(
    x: ArrayLike, w: ArrayLike, v: ArrayLike, w2: ArrayLike, *, activation: str = "silu"
) -> np.ndarray:
    """``FFN(x) = (act(x W) * (x V)) W2``, applied to every position; no biases.

    Specification:

    - ``x`` has shape ``(..., d_model)``; ``w`` (the gate, Llama's ``gate_proj``) and ``v``
      (Llama's ``up_proj``) have shape ``(d_model, d_ff)``; ``w2`` (``down_proj``) has shape
      ``(d_ff, d_out)``. Weights multiply from the right, ``x @ w``: ``nn.Linear`` stores
      the transpose. Return float64 of shape ``(..., d_out)``.
    - ``act`` is applied to ``x @ w`` only, and the result multiplies ``x @ v`` elementwise.
    - ``activation`` names the gate: ``"silu"`` (``x * sigmoid(x)``, SwiGLU, the default),
      ``"gelu"`` (exact, GEGLU), ``"relu"`` (ReGLU), ``"sigmoid"`` (Dauphin's GLU).

    >>> import numpy as np
    >>> w, v, w2 = np.eye(2), np.ones((2, 2)), np.eye(2)
    >>> np.round(gated_feed_forward([[1.0, 0.0]], w, v, w2), 4).tolist()  # silu(1) = 0.7311
    [[0.7311, 0.0]]
    """
    raise NotImplementedError("write this function")
