"""Exercise multi_head_attention.forward: a whole multi-head attention layer from its weight matrices.

Check your solution with ``python -m quiz check multi_head_attention.forward <this file>``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def multi_head_attention(
    x_q: ArrayLike,
    x_kv: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    w_o: ArrayLike,
    num_heads: int,
    *,
    biases: tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike] | None = None,
    mask: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``MultiHead(X_q, X_kv) = Concat(head_1, ..., head_h) W_o + b_o``, returned with each head's weights.

    ``head_i = softmax(Q_i K_i^T / sqrt(d_head) + M) V_i`` with ``Q = X_q W_q + b_q``,
    ``K = X_kv W_k + b_k``, ``V = X_kv W_v + b_v``, and ``Q_i`` the ``i``-th contiguous block of
    ``d_head = d_model / num_heads`` columns (likewise ``K_i``, ``V_i``). Weights are
    ``(d_in, d_out)`` matrices applied as ``x @ W``. Work in float64.

    :param x_q: queries' inputs, shape ``(batch, seq_q, d_model)``.
    :param x_kv: keys' and values' inputs, shape ``(batch, seq_k, d_model)``.
    :param w_q: ``(d_model, d_model)``; ``w_k``, ``w_v``, ``w_o`` likewise.
    :param num_heads: ``h``; divides ``d_model``.
    :param biases: ``(b_q, b_k, b_v, b_o)``, each ``(d_model,)``; none when omitted.
    :param mask: boolean, broadcastable to ``(batch, num_heads, seq_q, seq_k)``; ``True`` =
        may attend (SDPA's convention, the opposite of ``nn.MultiheadAttention``'s). A query
        whose every key is masked gets weights 0 (so its output is ``b_o``), not NaN.
    :returns: ``(output, weights)``: ``(batch, seq_q, d_model)`` and
        ``(batch, num_heads, seq_q, seq_k)``.

    >>> eye = np.eye(2)
    >>> x = eye[None]  # 2 tokens, d_model = 2, two heads of width 1: head i sees feature i
    >>> out, w = multi_head_attention(x, x, eye, eye, eye, eye, 2)
    >>> np.round(w[0, 0], 4).tolist()  # head 0's scores are [[1, 0], [0, 0]]
    [[0.7311, 0.2689], [0.5, 0.5]]
    """
    raise NotImplementedError("write this function")
