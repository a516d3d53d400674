"""Differential attention and multi-head latent attention: the variants that change the head (a private helper).

Follows Ye et al. (2024), "Differential Transformer" and DeepSeek-AI (2024), "DeepSeek-V2".
The public names are re-exported by :mod:`concepts.attention_variants`, which is where the
page and the API documentation find them; this file exists only to keep each module short.
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
    require_tensor,
    require_torch,
)
from concepts.attention import scaled_dot_product_attention

if TYPE_CHECKING:
    import torch

__all__ = [
    "diff_lambda",
    "diff_lambda_init",
    "differential_attention",
    "mla_attention",
    "mla_attention_torch",
    "mla_cache_bytes_per_token",
]


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
