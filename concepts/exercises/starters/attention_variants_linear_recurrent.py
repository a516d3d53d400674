"""Exercise attention_variants.linear-recurrent: causal linear attention computed as an RNN.

Run ``python -m quiz check attention_variants.linear-recurrent attention_variants_linear_recurrent.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def linear_attention_recurrent(q: ArrayLike, k: ArrayLike, v: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Causal linear attention (Katharopoulos et al., 2020) one token at a time, with a fixed-size state.

    Specification:

    - ``q`` and ``k`` have shape ``(seq_len, d_k)``, ``v`` has shape ``(seq_len, d_v)``; compute in float64.
    - The feature map is ``phi(x) = elu(x) + 1``, elementwise: ``x + 1`` for ``x > 0``, ``exp(x)`` otherwise.
    - Keep a state ``S`` of shape ``(d_k, d_v)`` and a normaliser ``z`` of shape ``(d_k,)``, both
      starting at zero. For each token ``i`` in order: first add ``phi(k_i) v_i^T`` to ``S`` and
      ``phi(k_i)`` to ``z`` (so a token sees itself), then output
      ``out_i = phi(q_i)^T S / (phi(q_i)^T z)``.
    - Return ``(out, S, z)``: the ``(seq_len, d_v)`` outputs and the final state and normaliser.
    - The result must equal the parallel form
      ``out_i = sum_{j <= i} (phi(q_i) . phi(k_j)) v_j / sum_{j <= i} phi(q_i) . phi(k_j)``.

    >>> out, S, z = linear_attention_recurrent(np.zeros((3, 2)), np.zeros((3, 2)), [[1.0], [3.0], [5.0]])
    >>> out.tolist(), S.tolist(), z.tolist()  # phi(0) = 1: a running mean of the values
    ([[1.0], [2.0], [3.0]], [[9.0], [9.0]], [3.0, 3.0])
    """
    raise NotImplementedError("write this function")
