"""Scaled dot-product attention: each query averages the values, weighted by how well it matches each key.

Follows Vaswani et al. (2017), "Attention Is All You Need", section 3.2.1, with the mask
conventions of PyTorch's ``torch.nn.functional.scaled_dot_product_attention`` (SDPA).
Leaves out attention dropout, key/value sharing across heads (``enable_gqa``), the head
split and the learned projections (see multi-head attention), and tiled kernels that never
store the weights (see flash attention).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_tensor, require_torch
from concepts.masking import causal_mask  # the package's one causal mask; still importable from here

if TYPE_CHECKING:
    import torch

__all__ = ["scaled_dot_product_attention", "scaled_dot_product_attention_torch", "softmax"]


def softmax(x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``: ``exp(x - max) / sum(exp(x - max))``.

    Subtracting the maximum changes nothing mathematically (softmax ignores a constant
    added to every entry) but keeps every exponent at or below 0, so ``exp`` cannot
    overflow. An entry of ``-inf`` gets weight 0. A slice with no finite entry at all has
    no maximum to subtract and gives NaN, as ``torch.softmax`` does; attention handles
    that case itself.

    :param x: real scores of any shape with at least one axis.
    :param axis: the axis along which the result sums to 1.
    :returns: float64 array of the shape of ``x``, non-negative, summing to 1 along ``axis``.
    :raises ValueError: for a scalar or an empty ``axis``.

    >>> import numpy as np
    >>> from concepts.attention import softmax
    >>> np.round(softmax([1000.0, 1000.0 + np.log(3.0)]), 4).tolist()  # exp(1000) would overflow
    [0.25, 0.75]
    """
    x = as_array(x, "x")
    if x.ndim == 0 or x.shape[axis] == 0:
        raise ValueError(f"x must have a non-empty axis {axis}; got shape {x.shape}")
    e = np.exp(x - x.max(axis=axis, keepdims=True))  # softmax(x) = softmax(x - c), c = max(x)
    return e / e.sum(axis=axis, keepdims=True)


def _check(
    q: tuple[int, ...],
    k: tuple[int, ...],
    v: tuple[int, ...],
    mask: tuple[int, ...] | None,
    mask_kind: str,
    is_causal: bool,
    scale: float | None,
) -> None:
    """Validate the shapes of an attention call (shared by the NumPy and PyTorch versions)."""
    for name, shape, axes in (("q", q, "seq_q, d_k"), ("k", k, "seq_k, d_k"), ("v", v, "seq_k, d_v")):
        if len(shape) < 2 or 0 in shape[-2:]:
            raise ValueError(f"{name} must have shape (..., {axes}) with non-zero sizes; got {shape}")
    if k[-1] != q[-1]:
        raise ValueError(f"k must have d_k = {q[-1]} features, like q; got k of shape {k}")
    if v[-2] != k[-2]:
        raise ValueError(f"v must have seq_k = {k[-2]} rows, like k; got v of shape {v}")
    try:
        batch = np.broadcast_shapes(q[:-2], k[:-2])
        np.broadcast_shapes(batch, v[:-2])
    except ValueError:
        raise ValueError(f"the leading axes of q, k and v must broadcast; got {q}, {k} and {v}") from None
    scores = (*batch, q[-2], k[-2])
    if mask is not None:
        if is_causal:
            raise ValueError("pass either mask or is_causal=True, not both (PyTorch's SDPA refuses both too)")
        if mask_kind not in ("bool", "float"):
            raise ValueError(f"mask must be boolean (True = may attend) or floating (added); got dtype {mask_kind}")
        try:
            fits = np.broadcast_shapes(mask, scores) == scores
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"mask must broadcast to the scores' shape {scores} (..., seq_q, seq_k); got {mask}")
    if scale is not None and not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number; got {scale!r}")


def scaled_dot_product_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V``, returned with its weights.

    The leading axes (batch, heads) of ``q``, ``k`` and ``v`` broadcast. Self-attention
    passes the same sequence's projections as all three; cross-attention takes ``q`` from
    one sequence and ``k``, ``v`` from another, so ``seq_q`` may differ from ``seq_k``.
    Computes in float64.

    :param q: queries, shape ``(..., seq_q, d_k)``.
    :param k: keys, shape ``(..., seq_k, d_k)``.
    :param v: values, shape ``(..., seq_k, d_v)``.
    :param mask: broadcastable to ``(..., seq_q, seq_k)``, as SDPA's ``attn_mask``. Boolean:
        ``True`` means the query may attend to the key. Floating: added to the scaled
        scores (0 keeps a key, ``-inf`` removes it, anything else biases it).
    :param is_causal: use ``causal_mask(seq_q, seq_k)`` (top-left aligned); an error
        together with ``mask``.
    :param scale: the factor applied to ``q k^T``; ``1 / sqrt(d_k)`` when omitted.
    :returns: ``(output, weights)`` of shapes ``(..., seq_q, d_v)`` and ``(..., seq_q, seq_k)``.
        Each row of weights sums to 1, except for a query whose every key is masked: its
        weights and output are 0, as in PyTorch's SDPA (version 2.5 and later).
    :raises ValueError: for a rank below 2, mismatched ``d_k`` or ``seq_k``, leading axes
        that do not broadcast, a mask of the wrong shape or dtype, a mask together with
        ``is_causal``, or a scale that is not positive.

    >>> import numpy as np
    >>> from concepts.attention import scaled_dot_product_attention
    >>> x = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])  # 2 tokens, d_k = 4
    >>> v = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> out, w = scaled_dot_product_attention(x, x, v)  # scores x x^T / 2 = [[1, 0], [0, 1]]
    >>> np.round(w, 4).tolist()  # e / (1 + e) and 1 / (1 + e)
    [[0.7311, 0.2689], [0.2689, 0.7311]]
    >>> np.round(out, 4).tolist()
    [[1.5379, 2.5379], [2.4621, 3.4621]]
    >>> np.round(scaled_dot_product_attention(x, x, v, is_causal=True)[1], 4).tolist()
    [[1.0, 0.0], [0.2689, 0.7311]]
    """
    q, k, v = (as_array(a, name) for a, name in ((q, "q"), (k, "k"), (v, "v")))
    mask = None if mask is None else as_array(mask, "mask", dtype=None)
    kind = "" if mask is None else "float" if np.issubdtype(mask.dtype, np.floating) else mask.dtype.name
    _check(q.shape, k.shape, v.shape, None if mask is None else mask.shape, kind, is_causal, scale)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ np.swapaxes(k, -1, -2)) * scale  # S = Q K^T / sqrt(d_k), (..., seq_q, seq_k)
    if is_causal:
        mask = causal_mask(q.shape[-2], k.shape[-2])
    if mask is not None and mask.dtype == bool:
        scores = np.where(mask, scores, -np.inf)  # False -> -inf -> weight exactly 0
    elif mask is not None:
        scores = scores + mask  # S + M
    dead = np.all(scores == -np.inf, axis=-1, keepdims=True)  # queries with no key left, (..., seq_q, 1)
    weights = softmax(np.where(dead, 0.0, scores), axis=-1)  # P = softmax(S + M) over the keys
    weights = np.where(dead, 0.0, weights)  # 0, not NaN, for a fully masked query
    return weights @ v, weights  # O = P V, (..., seq_q, d_v)


def scaled_dot_product_attention_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch mirror of ``scaled_dot_product_attention``: same arguments, same masks, same shapes.

    Keeps the dtype and device of ``q``; ``torch.softmax`` subtracts the maximum itself.
    Every argument must be a tensor: a NumPy array raises ``TypeError``.

    >>> import torch
    >>> from concepts.attention import scaled_dot_product_attention_torch
    >>> x = torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]], dtype=torch.float64)
    >>> v = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    >>> out, w = scaled_dot_product_attention_torch(x, x, v, is_causal=True)
    >>> [[round(a, 4) for a in row] for row in out.tolist()]
    [[1.0, 2.0], [2.4621, 3.4621]]
    """
    torch = require_torch()
    q, k, v = (require_tensor(t, name) for t, name in ((q, "q"), (k, "k"), (v, "v")))
    mask = None if mask is None else require_tensor(mask, "mask")
    kind = "" if mask is None else "float" if mask.is_floating_point() else str(mask.dtype).removeprefix("torch.")
    shapes = [tuple(t.shape) for t in (q, k, v)]
    _check(*shapes, None if mask is None else tuple(mask.shape), kind, is_causal, scale)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale  # S = Q K^T / sqrt(d_k), (..., seq_q, seq_k)
    if is_causal:
        mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()
    if mask is not None and mask.dtype == torch.bool:
        scores = scores.masked_fill(~mask, float("-inf"))
    elif mask is not None:
        scores = scores + mask  # S + M
    dead = (scores == float("-inf")).all(dim=-1, keepdim=True)  # (..., seq_q, 1)
    weights = torch.softmax(scores.masked_fill(dead, 0.0), dim=-1).masked_fill(dead, 0.0)  # P
    return weights @ v, weights  # O = P V, (..., seq_q, d_v)
