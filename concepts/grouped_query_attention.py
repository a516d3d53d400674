"""Grouped-query attention: h query heads share g key/value heads, one per group of h/g consecutive query heads.

Follows Ainslie et al. (2023), "GQA: Training Generalized Multi-Query Transformer Models
from Multi-Head Checkpoints" (mean-pooled conversion of a multi-head checkpoint), with
multi-query attention (Shazeer, 2019) as g = 1 and multi-head attention as g = h. The
grouping is that of PyTorch's SDPA with ``enable_gqa=True`` and Hugging Face's
``repeat_kv``: query head ``i`` reads key/value head ``i // (h/g)``. Leaves out RoPE,
biases, dropout, the cache itself (see the KV cache) and the uptraining that follows a
conversion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int, require_tensor
from concepts.attention import scaled_dot_product_attention

if TYPE_CHECKING:
    import torch

__all__ = [
    "gqa_param_count",
    "gqa_self_attention",
    "grouped_query_attention",
    "grouped_query_attention_torch",
    "kv_head_of",
    "mean_pool_kv_heads",
    "repeat_kv",
]

Shape = tuple[int, ...]


def _positive(**sizes: int) -> None:
    for name, n in sizes.items():
        require_positive_int(n, name)


def _groups(num_heads: int, num_kv_heads: int) -> int:
    """The group size ``h / g``, after checking that ``g`` divides ``h``."""
    _positive(num_heads=num_heads, num_kv_heads=num_kv_heads)
    if num_heads % num_kv_heads:
        raise ValueError(f"num_kv_heads must divide num_heads; got {num_kv_heads} and {num_heads}")
    return num_heads // num_kv_heads


def kv_head_of(num_heads: int, num_kv_heads: int) -> np.ndarray:
    """Which key/value head each query head reads: ``i // (h / g)`` for query head ``i``.

    Consecutive query heads form a group, as ``repeat_interleave`` lays them out (SDPA's
    ``enable_gqa``, Hugging Face's ``repeat_kv``); not ``i % g``, which ``repeat`` would give.

    :param num_heads: ``h``, the number of query heads.
    :param num_kv_heads: ``g``, the number of key/value heads; must divide ``h``.
    :returns: int array of shape ``(num_heads,)``.
    :raises ValueError: for a non-positive count or a ``g`` that does not divide ``h``.

    >>> from concepts.grouped_query_attention import kv_head_of
    >>> kv_head_of(8, 2).tolist()  # heads 0-3 read KV head 0, heads 4-7 read KV head 1
    [0, 0, 0, 0, 1, 1, 1, 1]
    """
    return np.arange(num_heads) // _groups(num_heads, num_kv_heads)  # kv(i) = floor(i / (h/g))


def repeat_kv(kv: ArrayLike, n_rep: int) -> np.ndarray:
    """``(..., g, seq, d) -> (..., g * n_rep, seq, d)``: each key/value head copied ``n_rep`` times in place.

    The simple way to run GQA with a multi-head kernel, at the price of materialising
    ``h`` heads of keys and values; :func:`grouped_query_attention` never copies them.

    >>> import numpy as np
    >>> from concepts.grouped_query_attention import repeat_kv
    >>> kv = np.array([[[1.0]], [[2.0]]])  # g = 2 heads, 1 position, d = 1
    >>> repeat_kv(kv, 2)[:, 0, 0].tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    kv = as_array(kv, "kv")
    if kv.ndim < 3:
        raise ValueError(f"kv must have shape (..., num_kv_heads, seq, d); got {kv.shape}")
    _positive(n_rep=n_rep)
    return np.repeat(kv, n_rep, axis=-3)  # head j -> heads j*n_rep ... j*n_rep + n_rep - 1


def _plan(q: Shape, k: Shape, v: Shape, mask: Shape | None) -> tuple[Shape, int, int]:
    """Validate a GQA call (shared by both versions); return the batch axes, ``h`` and ``g``."""
    for name, shape, axes in (("q", q, "num_heads, seq_q, d_k"), ("k", k, "num_kv_heads, seq_k, d_k"),
                              ("v", v, "num_kv_heads, seq_k, d_v")):  # fmt: skip
        if len(shape) < 3 or 0 in shape[-3:]:
            raise ValueError(f"{name} must have shape (..., {axes}) with non-zero sizes; got {shape}")
    if k[-3] != v[-3] or k[-2] != v[-2]:
        raise ValueError(f"k and v must have the same num_kv_heads and seq_k; got k {k} and v {v}")
    if k[-1] != q[-1]:
        raise ValueError(f"k must have d_k = {q[-1]} features, like q; got k of shape {k}")
    h, g = q[-3], k[-3]
    if h % g:
        raise ValueError(f"num_kv_heads must divide num_heads; got num_heads = {h} (q {q}), num_kv_heads = {g} (k {k})")
    try:
        batch = np.broadcast_shapes(q[:-3], k[:-3], v[:-3])
    except ValueError:
        raise ValueError(f"the leading axes of q, k and v must broadcast; got {q}, {k} and {v}") from None
    scores = (*batch, h, q[-2], k[-2])
    if mask is not None:
        try:
            fits = np.broadcast_shapes(mask, scores) == scores
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"mask must broadcast to the scores' shape {scores} (..., h, seq_q, seq_k); got {mask}")
    return batch, h, g


def grouped_query_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``head_i = softmax(Q_i K_{i // r}^T / sqrt(d_k) + M) V_{i // r}`` with ``r = h / g``, returned with its weights.

    Splits the ``h`` query heads into ``g`` groups of ``r`` and lets each group broadcast
    against its single key/value head: nothing is copied. ``g = h`` is multi-head
    attention, ``g = 1`` multi-query attention. Computes in float64.

    :param q: queries, shape ``(..., num_heads, seq_q, d_k)``.
    :param k: keys, shape ``(..., num_kv_heads, seq_k, d_k)``; ``num_kv_heads`` divides ``num_heads``.
    :param v: values, shape ``(..., num_kv_heads, seq_k, d_v)``.
    :param mask: broadcastable to ``(..., num_heads, seq_q, seq_k)``, SDPA's convention:
        boolean ``True`` = may attend, or a float added to the scores.
    :param is_causal: the top-left causal mask of ``concepts.attention``; not with ``mask``.
    :param scale: the factor on ``q k^T``; ``1 / sqrt(d_k)`` when omitted.
    :returns: ``(output, weights)`` of shapes ``(..., num_heads, seq_q, d_v)`` and
        ``(..., num_heads, seq_q, seq_k)``; a query with every key masked gets zeros.
    :raises ValueError: for a rank below 3, mismatched sizes, ``num_kv_heads`` not dividing
        ``num_heads``, or a bad mask or scale.

    >>> import numpy as np
    >>> from concepts.grouped_query_attention import grouped_query_attention
    >>> q = np.array([[[1.0]], [[-1.0]]])  # h = 2 heads, 1 query, d_k = 1
    >>> k = np.array([[[0.0], [1.0]]])  # g = 1 (MQA): one key head, 2 keys
    >>> v = np.array([[[10.0], [20.0]]])
    >>> out, w = grouped_query_attention(q, k, v)
    >>> np.round(w[:, 0], 4).tolist()  # scores (0, 1) and (0, -1): softmax gives e/(1+e) to the larger
    [[0.2689, 0.7311], [0.7311, 0.2689]]
    >>> np.round(out[:, 0, 0], 4).tolist()
    [17.3106, 12.6894]
    """
    q, k, v = as_array(q, "q"), as_array(k, "k"), as_array(v, "v")
    mask = None if mask is None else as_array(mask, "mask", dtype=None)
    batch, h, g = _plan(q.shape, k.shape, v.shape, None if mask is None else mask.shape)
    r, (seq_q, seq_k) = h // g, (q.shape[-2], k.shape[-2])
    q = q.reshape(*q.shape[:-3], g, r, seq_q, q.shape[-1])  # head i = j r + m: group j, member m, (..., g, r, T_q, d_k)
    k, v = k[..., None, :, :], v[..., None, :, :]  # one K/V head per group, read by r heads, (..., g, 1, T_k, d)
    if mask is not None:
        mask = np.broadcast_to(mask, (*batch, h, seq_q, seq_k)).reshape(*batch, g, r, seq_q, seq_k)
    out, w = scaled_dot_product_attention(q, k, v, mask=mask, is_causal=is_causal, scale=scale)  # P_i V_{i // r}
    return out.reshape(*out.shape[:-4], h, seq_q, -1), w.reshape(*w.shape[:-4], h, seq_q, seq_k)  # (..., h, T_q, .)


def grouped_query_attention_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch mirror of :func:`grouped_query_attention`: same arguments, grouping, masks and shapes.

    Keeps the dtype of ``q``; a NumPy array raises a TypeError naming ``torch.Tensor``.

    >>> import torch
    >>> from concepts.grouped_query_attention import grouped_query_attention_torch
    >>> q = torch.tensor([[[1.0]], [[-1.0]]], dtype=torch.float64)
    >>> k = torch.tensor([[[0.0], [1.0]]], dtype=torch.float64)
    >>> v = torch.tensor([[[10.0], [20.0]]], dtype=torch.float64)
    >>> out, w = grouped_query_attention_torch(q, k, v)
    >>> [round(x, 4) for x in out[:, 0, 0].tolist()]
    [17.3106, 12.6894]
    """
    from concepts.attention import scaled_dot_product_attention_torch

    q, k, v = require_tensor(q, "q"), require_tensor(k, "k"), require_tensor(v, "v")
    if mask is not None:
        require_tensor(mask, "mask")
    shapes = [tuple(t.shape) for t in (q, k, v)]
    batch, h, g = _plan(*shapes, None if mask is None else tuple(mask.shape))
    r, (seq_q, seq_k) = h // g, (q.shape[-2], k.shape[-2])
    q = q.reshape(*q.shape[:-3], g, r, seq_q, q.shape[-1])  # (..., g, r, T_q, d_k)
    k, v = k.unsqueeze(-3), v.unsqueeze(-3)  # (..., g, 1, T_k, d)
    if mask is not None:
        mask = mask.broadcast_to((*batch, h, seq_q, seq_k)).reshape(*batch, g, r, seq_q, seq_k)
    out, w = scaled_dot_product_attention_torch(q, k, v, mask=mask, is_causal=is_causal, scale=scale)
    return out.reshape(*out.shape[:-4], h, seq_q, -1), w.reshape(*w.shape[:-4], h, seq_q, seq_k)


def gqa_param_count(
    d_model: int, num_heads: int, num_kv_heads: int, *, head_dim: int | None = None, bias: bool = False
) -> int:
    """Parameters of one attention layer's projections: ``2 d h d_head + 2 d g d_head`` (plus biases).

    ``W_q`` and ``W_o`` keep all ``h`` heads; ``W_k`` and ``W_v`` shrink to ``g`` heads, so
    going from MHA to GQA saves ``2 d (h - g) d_head``. Llama and Mistral have no biases.

    :param d_model: model width ``d``.
    :param num_heads: ``h``, the number of query heads.
    :param num_kv_heads: ``g``, the number of key/value heads; must divide ``h``.
    :param head_dim: ``d_head``; ``d_model / num_heads`` when omitted.
    :param bias: count the biases of the four projections.
    :raises ValueError: for a non-positive size, ``g`` not dividing ``h``, or no ``head_dim``
        given while ``h`` does not divide ``d_model``.

    >>> from concepts.grouped_query_attention import gqa_param_count
    >>> gqa_param_count(8, 4, 4), gqa_param_count(8, 4, 2), gqa_param_count(8, 4, 1)  # MHA, GQA, MQA
    (256, 192, 160)
    """
    _groups(num_heads, num_kv_heads)
    _positive(d_model=d_model)
    if head_dim is None:
        if d_model % num_heads:
            raise ValueError(f"give head_dim, or a d_model divisible by num_heads; got {d_model} and {num_heads}")
        head_dim = d_model // num_heads
    _positive(head_dim=head_dim)
    d_q, d_kv = num_heads * head_dim, num_kv_heads * head_dim
    weights = 2 * d_model * d_q + 2 * d_model * d_kv  # W_q, W_o: d x h d_head; W_k, W_v: d x g d_head
    return weights + ((d_q + 2 * d_kv + d_model) if bias else 0)  # b_q, b_k, b_v, b_o


def mean_pool_kv_heads(w: ArrayLike, num_heads: int, num_kv_heads: int, *, axis: int = -1) -> np.ndarray:
    """Convert an MHA key or value projection to ``g`` heads by averaging each group's heads (Ainslie et al., 2023).

    ``axis`` holds ``h`` blocks of ``d_head`` features, head ``i`` being block ``i`` (``-1``
    for a ``(d_model, h d_head)`` matrix used as ``x @ W`` or a bias; ``0`` for an
    ``nn.Linear`` weight). Group ``j`` averages heads ``j r ... j r + r - 1``, ``r = h / g``.

    :returns: float64 array with ``g d_head`` entries along ``axis``.
    :raises ValueError: when ``g`` does not divide ``h`` or ``h`` does not divide the axis.

    >>> import numpy as np
    >>> from concepts.grouped_query_attention import mean_pool_kv_heads
    >>> w_k = np.array([[1.0, 3.0, 5.0, 7.0]])  # d_model = 1, h = 4 heads of d_head = 1
    >>> mean_pool_kv_heads(w_k, 4, 2).tolist()  # (1 + 3) / 2 and (5 + 7) / 2
    [[2.0, 6.0]]
    """
    r = _groups(num_heads, num_kv_heads)
    w = np.moveaxis(as_array(w, "w"), axis, -1)
    if w.shape[-1] % num_heads:
        raise ValueError(f"axis {axis} must hold num_heads = {num_heads} equal blocks; got {w.shape[-1]} entries")
    d_head = w.shape[-1] // num_heads
    pooled = w.reshape(*w.shape[:-1], num_kv_heads, r, d_head).mean(axis=-2)  # K_j = (1/r) sum_m K_{j r + m}
    return np.moveaxis(pooled.reshape(*w.shape[:-1], num_kv_heads * d_head), -1, axis)


def gqa_self_attention(
    x: ArrayLike,
    w_q: ArrayLike,
    w_k: ArrayLike,
    w_v: ArrayLike,
    w_o: ArrayLike,
    num_heads: int,
    num_kv_heads: int,
    *,
    is_causal: bool = False,
) -> np.ndarray:
    """A bias-free GQA self-attention layer, ``Concat(head_1, ..., head_h) W_o``, as in Llama and Mistral.

    :param x: inputs, shape ``(batch, seq, d_model)``.
    :param w_q: ``(d_model, h d_head)``; ``w_k``, ``w_v``: ``(d_model, g d_head)``; ``w_o``:
        ``(h d_head, d_model)``. Applied as ``x @ W``; ``nn.Linear`` stores the transpose.
    :returns: array of shape ``(batch, seq, d_model)``.
    :raises ValueError: for a wrong rank or mismatched weight shapes.

    >>> import numpy as np
    >>> from concepts.grouped_query_attention import gqa_self_attention
    >>> x = np.ones((1, 3, 4))  # identical tokens: every head averages equal values
    >>> w = np.eye(4)
    >>> gqa_self_attention(x, w, w[:, :2], w[:, :2], np.ones((4, 4)), 2, 1).tolist()  # each head returns (1, 1)
    [[[4.0, 4.0, 4.0, 4.0], [4.0, 4.0, 4.0, 4.0], [4.0, 4.0, 4.0, 4.0]]]
    """
    names = ("x", "w_q", "w_k", "w_v", "w_o")
    x, w_q, w_k, w_v, w_o = (as_array(a, n) for a, n in zip((x, w_q, w_k, w_v, w_o), names, strict=True))
    r = _groups(num_heads, num_kv_heads)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, seq, d_model); got {x.shape}")
    (batch, seq, d), d_q = x.shape, w_q.shape[-1] if w_q.ndim == 2 else 0
    d_head = d_q // num_heads if d_q % num_heads == 0 else 0
    want = {"w_q": (d, d_q), "w_k": (d, d_q // r), "w_v": (d, d_q // r), "w_o": (d_q, d)}
    for name, arr in zip(want, (w_q, w_k, w_v, w_o), strict=True):
        if d_head == 0 or arr.shape != want[name]:
            raise ValueError(f"{name} must have shape {want[name]} (h={num_heads}, g={num_kv_heads}); got {arr.shape}")
    q = (x @ w_q).reshape(batch, seq, num_heads, d_head).transpose(0, 2, 1, 3)  # (B, h, T, d_head)
    k = (x @ w_k).reshape(batch, seq, num_kv_heads, d_head).transpose(0, 2, 1, 3)  # (B, g, T, d_head)
    v = (x @ w_v).reshape(batch, seq, num_kv_heads, d_head).transpose(0, 2, 1, 3)  # (B, g, T, d_head)
    heads, _ = grouped_query_attention(q, k, v, is_causal=is_causal)  # (B, h, T, d_head)
    return heads.transpose(0, 2, 1, 3).reshape(batch, seq, d_q) @ w_o  # Concat(head_1, ..., head_h) W_o
