"""Divides every head's scores by sqrt(d_model) instead of sqrt(d_head): softmaxes come out too flat."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EXPECTED_FAILURE = "check_self_attention"


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
    x_q, x_kv, w_q, w_k, w_v, w_o = (np.asarray(a, dtype=float) for a in (x_q, x_kv, w_q, w_k, w_v, w_o))
    (batch, seq_q, d), seq_k, h = x_q.shape, x_kv.shape[1], num_heads
    b_q, b_k, b_v, b_o = (np.zeros(d),) * 4 if biases is None else (np.asarray(b, dtype=float) for b in biases)
    q = (x_q @ w_q + b_q).reshape(batch, seq_q, h, d // h).transpose(0, 2, 1, 3)
    k = (x_kv @ w_k + b_k).reshape(batch, seq_k, h, d // h).transpose(0, 2, 1, 3)
    v = (x_kv @ w_v + b_v).reshape(batch, seq_k, h, d // h).transpose(0, 2, 1, 3)
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(d)  # the mistake: sqrt(d_model), not sqrt(d_head)
    allowed = np.ones(scores.shape, dtype=bool) if mask is None else np.broadcast_to(mask, scores.shape)
    scores = np.where(allowed, scores, -np.inf)
    dead = ~allowed.any(-1, keepdims=True)
    e = np.exp(np.where(dead, 0.0, scores - np.where(dead, 0.0, scores).max(-1, keepdims=True)))
    w = np.where(dead, 0.0, e / e.sum(-1, keepdims=True))
    concat = (w @ v).transpose(0, 2, 1, 3).reshape(batch, seq_q, d)
    return concat @ w_o + b_o, w
