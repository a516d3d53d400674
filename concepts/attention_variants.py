"""Attention variants: sliding-window, sparse, linear, differential and multi-head latent attention.

Each variant is written twice where that teaches something: once directly (touching only the
pairs it keeps, or in its recurrent form) and once as full attention from
``concepts.attention.scaled_dot_product_attention`` under a mask, so the tests can show the two
agree. Sources: Beltagy et al. (2020), "Longformer" and Jiang et al. (2023), "Mistral 7B"
(sliding window); Child et al. (2019), "Generating Long Sequences with Sparse Transformers"
(strided pattern); Katharopoulos et al. (2020), "Transformers are RNNs" (linear attention,
feature map ``elu(x) + 1``); Ye et al. (2024), "Differential Transformer"; DeepSeek-AI (2024),
"DeepSeek-V2" (multi-head latent attention). Leaves out: rolling-buffer caches, block-sparse
kernels, Longformer's dilation, the differential head's GroupNorm and ``(1 - lambda_init)``
factor, MLA's query compression and its decoupled RoPE key (counted in the cache size, not
computed), and every training detail. PyTorch mirrors: ``linear_attention_torch`` and ``mla_attention_torch``.
Differential attention and multi-head latent attention live in
``concepts/_attention_variants_heads.py`` and are re-exported here.

Window convention: with ``window = W`` a causal query ``i`` sees the ``W`` keys
``i - W + 1, ..., i`` (itself included), as in Hugging Face's sliding-window masks
(the Mistral paper's "positions i - W to i" is one key more). So one layer reaches
``W - 1`` positions back and ``L`` layers reach ``L * (W - 1)`` positions back.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._attention_variants_heads import (
    diff_lambda,
    diff_lambda_init,
    differential_attention,
    mla_attention,
    mla_attention_torch,
    mla_cache_bytes_per_token,
)
from concepts._checks import (
    as_array,
    require_nonnegative_int,
    require_positive,
    require_positive_int,
    require_rng,
    require_tensor,
    require_torch,
)
from concepts.attention import scaled_dot_product_attention, softmax
from concepts.masking import causal_mask

if TYPE_CHECKING:
    import torch

__all__ = [
    "diff_lambda",
    "diff_lambda_init",
    "differential_attention",
    "elu_feature_map",
    "influence_matrix",
    "linear_attention",
    "linear_attention_recurrent",
    "linear_attention_torch",
    "local_global_mask",
    "local_global_pair_count",
    "mla_attention",
    "mla_attention_torch",
    "mla_cache_bytes_per_token",
    "receptive_field",
    "sliding_window_attention",
    "sliding_window_mask",
    "sliding_window_pair_count",
    "sparse_attention",
    "strided_mask",
    "strided_pair_count",
]


# ---------------------------------------------------------------- sliding window and sparse masks


def sliding_window_mask(seq_len: int, window: int, *, is_causal: bool = True) -> np.ndarray:
    """Banded boolean mask ``(seq_len, seq_len)``: query ``i`` sees key ``j`` when ``0 <= i - j < window``.

    Causal (the default): the ``window`` most recent keys, the query's own included. With
    ``is_causal=False`` the band is symmetric: ``|i - j| < window``. ``window >= seq_len``
    (causal) gives the plain causal mask.

    >>> sliding_window_mask(4, 2).astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]
    """
    seq_len, window = require_positive_int(seq_len, "seq_len"), require_positive_int(window, "window")
    recent = ~np.tril(np.ones((seq_len, seq_len), dtype=bool), k=-window)  # i - j < window
    band = causal_mask(seq_len) & recent
    return band if is_causal else band | band.T


def sliding_window_pair_count(seq_len: int, window: int) -> int:
    """Query-key pairs the causal band keeps: ``sum_i min(i + 1, window)``, about ``seq_len * window``.

    >>> sliding_window_pair_count(4, 2), 4 * 4
    (7, 16)
    """
    seq_len, window = require_positive_int(seq_len, "seq_len"), require_positive_int(window, "window")
    w = min(window, seq_len)
    return w * (w + 1) // 2 + (seq_len - w) * w  # the ramp, then full rows of w


def receptive_field(num_layers: int, window: int) -> int:
    """How many positions back ``num_layers`` stacked causal windows of ``window`` reach: ``L * (W - 1)``.

    Token ``i``'s output after ``L`` layers depends on inputs ``i - L (W - 1), ..., i`` and no
    others (each layer adds one hop of at most ``W - 1`` positions).

    >>> receptive_field(32, 4096)  # Mistral 7B's 32 layers and window 4096, this convention
    131040
    """
    return require_positive_int(num_layers, "num_layers") * (require_positive_int(window, "window") - 1)


def influence_matrix(
    num_layers: int, window: int, seq_len: int, *, d_model: int = 8, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Measure which inputs reach which outputs through ``num_layers`` random sliding-window layers.

    Each layer is ``x + attention(x W_q, x W_k, x W_v)`` under ``sliding_window_mask(seq_len,
    window)`` with Gaussian weights. Input row ``j`` is perturbed; output ``i`` counts as
    reached when it changes at all (outside the receptive field the arithmetic is identical,
    so unchanged means bit for bit).

    :returns: boolean ``(seq_len, seq_len)``, ``True`` where input ``j`` changes output ``i``.

    >>> influence_matrix(2, 2, 4, rng=0).astype(int).tolist()  # 2 layers of window 2: 2 back
    [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1]]
    """
    num_layers = require_positive_int(num_layers, "num_layers")
    d = require_positive_int(d_model, "d_model")
    rng = require_rng(rng)
    mask = sliding_window_mask(seq_len, window)
    weights = rng.standard_normal((num_layers, 3, d, d)) / math.sqrt(d)
    x = rng.standard_normal((seq_len, d))
    xs = np.broadcast_to(x, (seq_len + 1, seq_len, d)).copy()  # copy 0 clean, copy 1 + j has row j moved
    xs[1 + np.arange(seq_len), np.arange(seq_len)] += 1.0
    for w_q, w_k, w_v in weights:
        xs = xs + scaled_dot_product_attention(xs @ w_q, xs @ w_k, xs @ w_v, mask=mask)[0]
    changed = (xs[1:] != xs[0]).any(axis=-1)  # (perturbed input j, output i)
    return changed.T


def strided_mask(seq_len: int, stride: int) -> np.ndarray:
    """Sparse Transformer's causal strided pattern: ``i - j < stride`` or ``(i - j) % stride == 0``, ``j <= i``.

    The first half is the local head (the ``stride`` most recent keys; the paper's reaches
    ``i - stride``, one more), the second the strided head (every ``stride``-th key back).
    With ``stride ~ sqrt(seq_len)`` each query keeps about ``2 sqrt(seq_len)`` keys, and any
    key is two hops away.

    >>> strided_mask(5, 2).astype(int).tolist()
    [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [1, 0, 1, 1, 1]]
    """
    seq_len, stride = require_positive_int(seq_len, "seq_len"), require_positive_int(stride, "stride")
    lag = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]  # i - j
    return (lag >= 0) & ((lag < stride) | (lag % stride == 0))


def strided_pair_count(seq_len: int, stride: int) -> int:
    """Pairs ``strided_mask`` keeps: ``sum_i min(i + 1, stride) + floor(i / stride)`` (lag 0 counted once).

    >>> strided_pair_count(5, 2)
    13
    """
    seq_len, stride = require_positive_int(seq_len, "seq_len"), require_positive_int(stride, "stride")
    i = np.arange(seq_len)
    return int((np.minimum(i + 1, stride) + i // stride).sum())


def local_global_mask(seq_len: int, window: int, num_global: int) -> np.ndarray:
    """Longformer's pattern: a symmetric band ``|i - j| < window`` plus ``num_global`` global tokens.

    The global tokens are the first ``num_global`` positions (a ``[CLS]``-like prefix): they
    see every token and every token sees them. Bidirectional, as in Longformer.

    >>> local_global_mask(5, 2, 1).astype(int).tolist()
    [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 0, 1, 1, 1], [1, 0, 0, 1, 1]]
    """
    num_global = require_nonnegative_int(num_global, "num_global")
    mask = sliding_window_mask(seq_len, window, is_causal=False)
    if num_global > seq_len:
        raise ValueError(f"num_global must be at most seq_len = {seq_len}; got {num_global}")
    mask[:num_global, :] = True  # global tokens see everything
    mask[:, :num_global] = True  # and everything sees them
    return mask


def local_global_pair_count(seq_len: int, window: int, num_global: int) -> int:
    """Pairs ``local_global_mask`` keeps: ``2 g N - g^2`` global pairs plus the band over the other ``N - g``.

    >>> local_global_pair_count(5, 2, 1)
    19
    """
    seq_len, window = require_positive_int(seq_len, "seq_len"), require_positive_int(window, "window")
    g = require_nonnegative_int(num_global, "num_global")
    if g > seq_len:
        raise ValueError(f"num_global must be at most seq_len = {seq_len}; got {g}")
    rest = seq_len - g
    band = 2 * sliding_window_pair_count(rest, window) - rest if rest else 0  # symmetric band, diagonal once
    return 2 * g * seq_len - g * g + band


# ---------------------------------------------------------------- direct implementations


def sliding_window_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, *, window: int, scale: float | None = None
) -> np.ndarray:
    """Causal sliding-window attention computed window by window: ``O(seq_len * window)`` scores.

    :param q: ``(..., seq_len, d_k)``; ``k`` the same; ``v``: ``(..., seq_len, d_v)``.
    :param window: keys per query, the query's own included (see :func:`sliding_window_mask`).
    :returns: ``(..., seq_len, d_v)``, equal to full attention under ``sliding_window_mask``.

    >>> x = np.eye(3)
    >>> np.round(sliding_window_attention(x, x, x, window=1), 4).tolist()  # window 1: itself only
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    q, k, v = as_array(q, "q"), as_array(k, "k"), as_array(v, "v")
    window = require_positive_int(window, "window")
    if q.ndim < 2 or q.shape != k.shape or v.shape[:-1] != k.shape[:-1]:
        raise ValueError(
            f"q and k must share shape (..., seq_len, d_k), v (..., seq_len, d_v); got {q.shape}, {k.shape}, {v.shape}"
        )
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else require_positive(scale, "scale")
    out = np.empty((*q.shape[:-1], v.shape[-1]))
    for i in range(q.shape[-2]):
        lo = max(0, i - window + 1)  # keys lo..i: the window most recent
        s = np.einsum("...d,...jd->...j", q[..., i, :], k[..., lo : i + 1, :]) * scale
        out[..., i, :] = np.einsum("...j,...jd->...d", softmax(s), v[..., lo : i + 1, :])
    return out


def sparse_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, mask: ArrayLike, *, scale: float | None = None
) -> np.ndarray:
    """Attention that scores only the pairs a boolean ``mask`` keeps, one query row at a time.

    Cost is proportional to ``mask.sum()`` rather than ``seq_q * seq_k``. A query with no
    key gets zeros, as in :func:`concepts.attention.scaled_dot_product_attention`.

    :param q: ``(seq_q, d_k)``; ``k``: ``(seq_k, d_k)``; ``v``: ``(seq_k, d_v)``.
    :param mask: boolean ``(seq_q, seq_k)``, ``True`` = may attend.
    :returns: ``(seq_q, d_v)``.

    >>> x = np.eye(2)
    >>> sparse_attention(x, x, x, np.array([[True, False], [False, False]])).tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    q, k, v = as_array(q, "q"), as_array(k, "k"), as_array(v, "v")
    mask = np.asarray(mask)
    if q.ndim != 2 or k.ndim != 2 or v.ndim != 2 or k.shape[1] != q.shape[1] or v.shape[0] != k.shape[0]:
        raise ValueError(
            f"q, k, v must be (seq_q, d_k), (seq_k, d_k), (seq_k, d_v); got {q.shape}, {k.shape}, {v.shape}"
        )
    if mask.dtype != bool or mask.shape != (q.shape[0], k.shape[0]):
        raise ValueError(f"mask must be boolean of shape {(q.shape[0], k.shape[0])}; got {mask.dtype} {mask.shape}")
    scale = 1.0 / math.sqrt(q.shape[1]) if scale is None else require_positive(scale, "scale")
    out = np.zeros((q.shape[0], v.shape[1]))
    for i in range(q.shape[0]):
        keep = np.flatnonzero(mask[i])  # the only keys this query scores
        if keep.size:
            out[i] = softmax(k[keep] @ q[i] * scale) @ v[keep]
    return out


# ---------------------------------------------------------------- linear attention


def elu_feature_map(x: ArrayLike) -> np.ndarray:
    """``phi(x) = elu(x) + 1``: ``x + 1`` for ``x > 0``, ``exp(x)`` otherwise; always positive.

    >>> elu_feature_map([-1.0, 0.0, 2.0]).round(4).tolist()
    [0.3679, 1.0, 3.0]
    """
    x = as_array(x, "x")
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def _check_linear(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> None:
    if q.ndim < 2 or q.shape != k.shape or v.shape[:-1] != k.shape[:-1]:
        raise ValueError(
            f"q and k must share shape (..., seq_len, d_k), v (..., seq_len, d_v); got {q.shape}, {k.shape}, {v.shape}"
        )


def linear_attention(q: ArrayLike, k: ArrayLike, v: ArrayLike, *, is_causal: bool = True) -> np.ndarray:
    """Linear attention in parallel form: ``out_i = phi(q_i) . sum_j phi(k_j) v_j^T / phi(q_i) . sum_j phi(k_j)``.

    The sums run over ``j <= i`` when causal (through the masked ``seq_len x seq_len``
    matrix ``phi(Q) phi(K)^T``), over all ``j`` otherwise (through ``phi(K)^T V``, never
    forming that matrix).

    :param q: ``(..., seq_len, d_k)``; ``k`` the same; ``v``: ``(..., seq_len, d_v)``.
    :returns: ``(..., seq_len, d_v)``.

    >>> q = k = np.zeros((2, 1)); v = np.array([[1.0], [3.0]])  # phi = 1: a running mean
    >>> linear_attention(q, k, v).tolist()
    [[1.0], [2.0]]
    """
    q, k, v = as_array(q, "q"), as_array(k, "k"), as_array(v, "v")
    _check_linear(q, k, v)
    fq, fk = elu_feature_map(q), elu_feature_map(k)
    if not is_causal:
        num = fq @ (np.swapaxes(fk, -1, -2) @ v)  # phi(Q) (phi(K)^T V): d_k x d_v in the middle
        return num / (fq @ fk.sum(axis=-2)[..., None])  # divided by phi(q_i) . sum_j phi(k_j)
    a = np.where(causal_mask(q.shape[-2]), fq @ np.swapaxes(fk, -1, -2), 0.0)  # A_ij = phi(q_i).phi(k_j), j <= i
    return (a @ v) / a.sum(axis=-1, keepdims=True)


def linear_attention_torch(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, is_causal: bool = True
) -> torch.Tensor:
    """PyTorch mirror of :func:`linear_attention`: same arguments and shapes; keeps the dtype of ``q``.

    >>> import torch
    >>> q = k = torch.zeros(2, 1, dtype=torch.float64); v = torch.tensor([[1.0], [3.0]], dtype=torch.float64)
    >>> linear_attention_torch(q, k, v).tolist()
    [[1.0], [2.0]]
    """
    torch = require_torch()
    q, k, v = (require_tensor(t, name) for t, name in ((q, "q"), (k, "k"), (v, "v")))
    _check_linear(q, k, v)
    fq, fk = torch.nn.functional.elu(q) + 1, torch.nn.functional.elu(k) + 1  # phi(x) = elu(x) + 1
    if not is_causal:
        return (fq @ (fk.transpose(-1, -2) @ v)) / (fq @ fk.sum(dim=-2).unsqueeze(-1))
    a = (fq @ fk.transpose(-1, -2)).tril()  # A_ij = phi(q_i).phi(k_j), j <= i
    return (a @ v) / a.sum(dim=-1, keepdim=True)


def linear_attention_recurrent(q: ArrayLike, k: ArrayLike, v: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Causal linear attention as an RNN: update ``S += phi(k_i) v_i^T``, ``z += phi(k_i)``, then read.

    ``out_i = phi(q_i)^T S_i / phi(q_i)^T z_i`` with the state updated by token ``i`` *before*
    it is read, so a token sees itself. The state is ``(d_k, d_v) + (d_k,)`` whatever the length.

    :param q: ``(seq_len, d_k)``; ``k`` the same; ``v``: ``(seq_len, d_v)``.
    :returns: ``(out, S, z)``: ``(seq_len, d_v)``, the final ``(d_k, d_v)`` state and ``(d_k,)`` normaliser.

    >>> out, S, z = linear_attention_recurrent(np.zeros((3, 2)), np.zeros((3, 2)), [[1.0], [3.0], [5.0]])
    >>> out.tolist(), S.shape, z.tolist()
    ([[1.0], [2.0], [3.0]], (2, 1), [3.0, 3.0])
    """
    q, k, v = as_array(q, "q"), as_array(k, "k"), as_array(v, "v")
    _check_linear(q, k, v)
    if q.ndim != 2:
        raise ValueError(f"q must have shape (seq_len, d_k); got {q.shape}")
    fq, fk = elu_feature_map(q), elu_feature_map(k)
    S, z = np.zeros((q.shape[1], v.shape[1])), np.zeros(q.shape[1])
    out = np.empty((q.shape[0], v.shape[1]))
    for i in range(q.shape[0]):
        S += np.outer(fk[i], v[i])  # S_i = S_{i-1} + phi(k_i) v_i^T
        z += fk[i]  # z_i = z_{i-1} + phi(k_i)
        out[i] = fq[i] @ S / (fq[i] @ z)
    return out, S, z
