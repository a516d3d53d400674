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


# ---------------------------------------------------------------- differential attention


def diff_lambda_init(layer: int) -> float:
    """The DIFF Transformer's ``lambda_init = 0.8 - 0.6 exp(-0.3 (l - 1))`` for layer ``l`` counted from 1.

    >>> round(diff_lambda_init(1), 4), round(diff_lambda_init(12), 4)
    (0.2, 0.7779)
    """
    return 0.8 - 0.6 * math.exp(-0.3 * (require_positive_int(layer, "layer") - 1))


def diff_lambda(
    lambda_q1: ArrayLike, lambda_k1: ArrayLike, lambda_q2: ArrayLike, lambda_k2: ArrayLike, lambda_init: float
) -> float:
    """The learnable ``lambda = exp(lq1 . lk1) - exp(lq2 . lk2) + lambda_init`` (four learned vectors).

    >>> diff_lambda([0.0], [0.0], [0.0], [0.0], 0.2)  # vectors at zero: lambda = lambda_init
    0.2
    """
    a, b, c, d = (
        as_array(x, n)
        for x, n in zip(
            (lambda_q1, lambda_k1, lambda_q2, lambda_k2),
            ("lambda_q1", "lambda_k1", "lambda_q2", "lambda_k2"),
            strict=True,
        )
    )
    return float(np.exp(a @ b) - np.exp(c @ d) + lambda_init)


def differential_attention(
    x: ArrayLike, w_q: ArrayLike, w_k: ArrayLike, w_v: ArrayLike, lam: float, *, is_causal: bool = True
) -> np.ndarray:
    """One differential head: ``(softmax(Q1 K1^T / sqrt(d)) - lam softmax(Q2 K2^T / sqrt(d))) V``.

    ``Q = x w_q`` and ``K = x w_k`` have ``2 d`` columns, split into halves ``[Q1, Q2]`` and
    ``[K1, K2]``; ``V = x w_v`` has ``2 d`` columns too (the paper's head). Computed as two
    calls of scaled dot-product attention on the same values.

    :param x: ``(seq_len, d_model)``; ``w_q``, ``w_k``: ``(d_model, 2 d)``; ``w_v``: ``(d_model, d_v)``.
    :returns: ``(seq_len, d_v)``.

    >>> x = np.eye(2); w = np.zeros((2, 2))
    >>> differential_attention(x, w, w, x, 0.5, is_causal=False).tolist()  # both maps uniform
    [[0.25, 0.25], [0.25, 0.25]]
    """
    x, w_q, w_k, w_v = (as_array(a, n) for a, n in ((x, "x"), (w_q, "w_q"), (w_k, "w_k"), (w_v, "w_v")))
    if w_q.shape != w_k.shape or w_q.shape[-1] % 2:
        raise ValueError(
            f"w_q and w_k must share shape (d_model, 2 d) with an even width; got {w_q.shape}, {w_k.shape}"
        )
    d = w_q.shape[-1] // 2
    q, k, v = x @ w_q, x @ w_k, x @ w_v
    scale = 1.0 / math.sqrt(d)  # each map has head size d, not 2 d
    o1, _ = scaled_dot_product_attention(q[..., :d], k[..., :d], v, is_causal=is_causal, scale=scale)
    o2, _ = scaled_dot_product_attention(q[..., d:], k[..., d:], v, is_causal=is_causal, scale=scale)
    return o1 - lam * o2  # (A1 - lam A2) V = A1 V - lam A2 V


# ---------------------------------------------------------------- multi-head latent attention


def mla_attention(
    x: ArrayLike,
    w_dkv: ArrayLike,
    w_uk: ArrayLike,
    w_uv: ArrayLike,
    w_q: ArrayLike,
    w_o: ArrayLike,
    *,
    num_heads: int,
    absorbed: bool = False,
    is_causal: bool = True,
) -> np.ndarray:
    """Multi-head latent attention without RoPE: keys and values rebuilt from ``c = x w_dkv``.

    Non-absorbed: ``K = c w_uk`` and ``V = c w_uv``, split into heads, ordinary attention, then
    ``w_o``. Absorbed (what inference runs): each head's query becomes ``q_h w_uk_h^T`` of width
    ``d_c`` and attends over the cached latents ``c`` directly; the output ``P_h c`` goes
    through ``w_uv_h w_o_h``. The scale stays ``1 / sqrt(head_dim)``.

    :param x: ``(seq_len, d_model)``; ``w_dkv``: ``(d_model, d_c)``;
        ``w_uk``, ``w_uv``: ``(d_c, num_heads * head_dim)``; ``w_q``: ``(d_model, num_heads * head_dim)``;
        ``w_o``: ``(num_heads * head_dim, d_model)``.
    :returns: ``(seq_len, d_model)``.

    >>> rng = np.random.default_rng(0)
    >>> ws = [rng.standard_normal(s) for s in [(4, 2), (2, 6), (2, 6), (4, 6), (6, 4)]]
    >>> x = rng.standard_normal((3, 4))
    >>> bool(np.allclose(mla_attention(x, *ws, num_heads=2), mla_attention(x, *ws, num_heads=2, absorbed=True)))
    True
    """
    x, w_dkv, w_uk, w_uv, w_q, w_o = (
        as_array(a, n)
        for a, n in zip((x, w_dkv, w_uk, w_uv, w_q, w_o), ("x", "w_dkv", "w_uk", "w_uv", "w_q", "w_o"), strict=True)
    )
    h = require_positive_int(num_heads, "num_heads")
    seq, d_c, width = x.shape[0], w_dkv.shape[1], w_q.shape[1]
    if width % h or w_uk.shape != (d_c, width) or w_uv.shape != (d_c, width) or w_o.shape[0] != width:
        raise ValueError(
            f"w_uk, w_uv must be (d_c, num_heads * head_dim) = {(d_c, width)} and w_o ({width}, d_model); "
            f"got {w_uk.shape}, {w_uv.shape}, {w_o.shape}"
        )
    hd = width // h
    c = x @ w_dkv  # (seq, d_c): the only thing the cache keeps
    q = (x @ w_q).reshape(seq, h, hd).transpose(1, 0, 2)  # (h, seq, hd)
    uk = w_uk.reshape(d_c, h, hd).transpose(1, 0, 2)  # (h, d_c, hd)
    uv = w_uv.reshape(d_c, h, hd).transpose(1, 0, 2)  # (h, d_c, hd)
    wo = w_o.reshape(h, hd, -1)  # (h, hd, d_model)
    scale = 1.0 / math.sqrt(hd)
    if not absorbed:
        k, v = c @ uk, c @ uv  # (h, seq, hd) each, rebuilt from the latent
        o, _ = scaled_dot_product_attention(q, k, v, is_causal=is_causal, scale=scale)
        return o.transpose(1, 0, 2).reshape(seq, width) @ w_o
    q_lat = q @ np.swapaxes(uk, -1, -2)  # (h, seq, d_c): q_h W_UK_h^T, since q.k = (q W_UK^T).c
    o_lat, _ = scaled_dot_product_attention(q_lat, c, c, is_causal=is_causal, scale=scale)  # (h, seq, d_c)
    return np.einsum("hsc,hcm->sm", o_lat, uv @ wo)  # sum_h (P_h c) (W_UV_h W_O_h)


def mla_attention_torch(
    x: torch.Tensor,
    w_dkv: torch.Tensor,
    w_uk: torch.Tensor,
    w_uv: torch.Tensor,
    w_q: torch.Tensor,
    w_o: torch.Tensor,
    *,
    num_heads: int,
    absorbed: bool = False,
    is_causal: bool = True,
) -> torch.Tensor:
    """PyTorch mirror of :func:`mla_attention`: same arguments, the same ``x @ W`` layout
    (transpose an ``nn.Linear`` weight to pass it), keeps the dtype of ``x``.

    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> ws = [torch.randn(*s, generator=g, dtype=torch.float64) for s in [(4, 2), (2, 6), (2, 6), (4, 6), (6, 4)]]
    >>> x = torch.randn(3, 4, generator=g, dtype=torch.float64)
    >>> a, b = (mla_attention_torch(x, *ws, num_heads=2, absorbed=f) for f in (False, True))
    >>> bool(torch.allclose(a, b))
    True
    """
    from concepts.attention import scaled_dot_product_attention_torch as sdpa

    names = ("x", "w_dkv", "w_uk", "w_uv", "w_q", "w_o")
    x, w_dkv, w_uk, w_uv, w_q, w_o = (
        require_tensor(t, n) for t, n in zip((x, w_dkv, w_uk, w_uv, w_q, w_o), names, strict=True)
    )
    h = require_positive_int(num_heads, "num_heads")
    seq, d_c, width = x.shape[0], w_dkv.shape[1], w_q.shape[1]
    if width % h or tuple(w_uk.shape) != (d_c, width) or tuple(w_uv.shape) != (d_c, width) or w_o.shape[0] != width:
        raise ValueError(
            f"w_uk, w_uv must be (d_c, num_heads * head_dim) = {(d_c, width)} and w_o ({width}, d_model); "
            f"got {tuple(w_uk.shape)}, {tuple(w_uv.shape)}, {tuple(w_o.shape)}"
        )
    hd = width // h
    c = x @ w_dkv  # (seq, d_c)
    q = (x @ w_q).reshape(seq, h, hd).transpose(0, 1)  # (h, seq, hd)
    uk, uv = (w.reshape(d_c, h, hd).transpose(0, 1) for w in (w_uk, w_uv))  # (h, d_c, hd)
    scale = 1.0 / math.sqrt(hd)
    if not absorbed:
        o, _ = sdpa(q, c @ uk, c @ uv, is_causal=is_causal, scale=scale)
        return o.transpose(0, 1).reshape(seq, width) @ w_o
    o_lat, _ = sdpa(q @ uk.transpose(-1, -2), c, c, is_causal=is_causal, scale=scale)  # (h, seq, d_c)
    return require_torch().einsum("hsc,hcm->sm", o_lat, uv @ w_o.reshape(h, hd, -1))


def mla_cache_bytes_per_token(num_layers: int, kv_lora_rank: int, rope_head_dim: int, bytes_per_elem: float) -> int:
    """Bytes MLA's cache grows by per token: ``(d_c + d_h^R)`` numbers per layer (latent + shared RoPE key).

    Compare :func:`concepts.kv_cache.kv_cache_bytes_per_token` (``2 n_kv d_h`` per layer).

    >>> from concepts.kv_cache import kv_cache_bytes_per_token
    >>> mla_cache_bytes_per_token(1, 512, 64, 1), kv_cache_bytes_per_token(1, 128, 128, 1)  # DeepSeek-V2
    (576, 32768)
    """
    per_layer = require_positive_int(kv_lora_rank, "kv_lora_rank") + require_nonnegative_int(
        rope_head_dim, "rope_head_dim"
    )
    total = (
        require_positive_int(num_layers, "num_layers") * per_layer * require_positive(bytes_per_elem, "bytes_per_elem")
    )
    if total != int(total):
        raise ValueError(f"bytes_per_elem must give whole bytes per token; got {bytes_per_elem} -> {total} bytes")
    return int(total)
