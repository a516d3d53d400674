"""Exercise rnn.elman: one Elman RNN layer over a batch of sequences, as nn.RNN(batch_first=True).

Run ``python -m quiz check rnn.elman rnn_elman.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def rnn(
    x: ArrayLike,
    h0: ArrayLike | None,
    W_ih: ArrayLike,
    W_hh: ArrayLike,
    b_ih: ArrayLike | None = None,
    b_hh: ArrayLike | None = None,
    *,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``h_t = f(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)`` for ``t = 1 .. seq``.

    Specification:

    - ``x`` has shape ``(batch, seq, d_in)``; ``h0`` is ``(batch, d_h)`` or None for zeros.
    - Weights use the ``x @ W`` layout: ``W_ih`` is ``(d_in, d_h)`` and ``W_hh`` is
      ``(d_h, d_h)``, the transposes of PyTorch's ``weight_ih_l0`` and ``weight_hh_l0``.
      ``b_ih`` and ``b_hh`` are ``(d_h,)`` each, or None for no bias (``bias=False``).
    - ``nonlinearity`` is ``"tanh"`` (PyTorch's default), ``"relu"`` or ``"identity"``.
    - Return ``(out, h_n)``: every state, ``(batch, seq, d_h)``, and the last one,
      ``(batch, d_h)``. Lists are accepted wherever arrays are.

    >>> import numpy as np
    >>> out, h_n = rnn(np.array([[[1.0], [0.0], [0.0]]]), None, [[1.0]], [[0.5]], nonlinearity="identity")
    >>> out.flatten().tolist(), h_n.tolist()
    ([1.0, 0.5, 0.25], [[0.25]])
    """
    raise NotImplementedError("write this function")
