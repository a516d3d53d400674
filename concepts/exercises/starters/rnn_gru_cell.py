"""Exercise rnn.gru-cell: one GRU step, as nn.GRUCell computes it.

Run ``python -m quiz check rnn.gru-cell rnn_gru_cell.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def gru_cell(
    x: ArrayLike,
    h: ArrayLike,
    W_ih: ArrayLike,
    W_hh: ArrayLike,
    b_ih: ArrayLike | None = None,
    b_hh: ArrayLike | None = None,
) -> np.ndarray:
    """One GRU step with PyTorch's equations and gate order r (reset), z (update), n (candidate).

    Specification:

    - ``x`` is ``(batch, d_in)`` and ``h`` is ``(batch, d_h)``.
    - ``W_ih`` is ``(d_in, 3 d_h)`` and ``W_hh`` is ``(d_h, 3 d_h)`` in the ``x @ W`` layout
      (the transposes of ``nn.GRUCell``'s weights); their columns hold the blocks r, z, n
      in that order. ``b_ih`` and ``b_hh`` are ``(3 d_h,)`` each, or None for no bias.
    - With ``gi = x W_ih + b_ih`` and ``gh = h W_hh + b_hh`` split into blocks:
      ``r = sigmoid(gi_r + gh_r)``, ``z = sigmoid(gi_z + gh_z)``,
      ``n = tanh(gi_n + r * gh_n)`` (the reset gate scales ``h W_hn + b_hn``, after the
      product, as PyTorch and cuDNN do), and ``h' = (1 - z) * n + z * h``.
    - Return ``h'`` of shape ``(batch, d_h)``.

    >>> import numpy as np
    >>> W_ih, W_hh = np.array([[0.0, 0.0, 1.0]]), np.array([[0.0, 0.0, 2.0]])
    >>> round(float(gru_cell([[0.5]], [[1.0]], W_ih, W_hh, [0.0, -100.0, 0.0])[0, 0]), 4)  # z = 0: tanh(1.5)
    0.9051
    """
    raise NotImplementedError("write this function")
