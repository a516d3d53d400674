"""Multi-head attention: h scaled dot-product attentions on slices of d_model, concatenated and mixed by W_o.

Follows Vaswani et al. (2017), "Attention Is All You Need", section 3.2.2, with PyTorch's
``nn.MultiheadAttention`` as the reference for weights, masks and outputs. Weights are
``(d_in, d_out)`` matrices applied as ``x @ W``, as in the paper; ``nn.Linear`` stores the
transpose. Leaves out dropout, ``kdim``/``vdim`` different from ``d_model``,
``add_bias_kv``/``add_zero_attn``, shared key/value heads (see MQA and GQA) and the KV cache.
PyTorch is optional: the ``nn.Module`` subclass ``MultiHeadAttention`` is built on first use
(``from concepts.multi_head_attention import MultiHeadAttention`` imports torch then).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int, require_rng, require_tensor, require_torch
from concepts.attention import scaled_dot_product_attention

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = [  # and MultiHeadAttention, built lazily by the module's __getattr__
    "init_mha_weights",
    "merge_heads",
    "mha_flops",
    "mha_param_count",
    "mha_weights_from_torch",
    "multi_head_attention",
    "multi_head_attention_loop",
    "multi_head_attention_sdpa_torch",
    "split_heads",
]

Shape = tuple[int, ...]


def _positive(**sizes: int) -> None:
    for name, n in sizes.items():
        require_positive_int(n, name)


def _mask_kind(dtype: Any) -> str:
    """``"bool"``, ``"float"`` or the dtype's name, for a NumPy or PyTorch mask dtype."""
    name = str(dtype).removeprefix("torch.")
    if name == "bool":
        return "bool"
    return "float" if name.startswith(("float", "bfloat")) else name


def _check_heads(d_model: int, num_heads: int) -> None:
    _positive(d_model=d_model, num_heads=num_heads)
    if d_model % num_heads:
        raise ValueError(f"d_model must be divisible by num_heads; got d_model = {d_model}, num_heads = {num_heads}")


def _check(
    x_q: Shape,
    x_kv: Shape,
    ws: list[Shape],
    num_heads: int,
    bs: list[Shape] | None,
    mask: Shape | None,
    mask_kind: str = "bool",
) -> None:
    """Validate the shapes of one call (shared by the NumPy and PyTorch versions)."""
    for name, shape, axis in (("x_q", x_q, "seq_q"), ("x_kv", x_kv, "seq_k")):
        if len(shape) != 3 or 0 in shape:
            raise ValueError(f"{name} must have shape (batch, {axis}, d_model) with non-zero sizes; got {shape}")
    batch, seq_q, d = x_q
    if (x_kv[0], x_kv[2]) != (batch, d):
        raise ValueError(f"x_kv must have batch = {batch} and d_model = {d} like x_q; got x_kv of shape {x_kv}")
    _check_heads(d, num_heads)
    for name, shape in zip(("w_q", "w_k", "w_v", "w_o"), ws, strict=True):
        if shape != (d, d):
            raise ValueError(f"{name} must have shape (d_model, d_model) = {(d, d)} to match x_q; got {shape}")
    if bs is not None and (len(bs) != 4 or any(s != (d,) for s in bs)):
        raise ValueError(f"biases must be 4 vectors (b_q, b_k, b_v, b_o) of shape ({d},); got shapes {bs}")
    scores = (batch, num_heads, seq_q, x_kv[1])
    if mask is not None:
        if mask_kind not in ("bool", "float"):  # an int mask: 0/1 keep-flags or an additive bias? refuse to guess
            raise ValueError(f"mask must be boolean (True = may attend) or floating (added); got dtype {mask_kind}")
        try:
            fits = np.broadcast_shapes(mask, scores) == scores
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"mask must broadcast to (batch, num_heads, seq_q, seq_k) = {scores}; got {mask}")


def _as_arrays(x_q: Any, x_kv: Any, ws: Any, num_heads: int, biases: Any, mask: Any) -> tuple[Any, ...]:
    """Float64 arrays of a NumPy call, validated; missing biases become zeros."""
    names = ("x_q", "x_kv", "w_q", "w_k", "w_v", "w_o")
    x_q, x_kv, *ws = (as_array(a, name) for a, name in zip((x_q, x_kv, *ws), names, strict=True))
    mask = None if mask is None else as_array(mask, "mask", dtype=None)
    bs = None if biases is None else [as_array(b, "biases").shape for b in biases]
    shape, kind = (None, "") if mask is None else (mask.shape, _mask_kind(mask.dtype))
    _check(x_q.shape, x_kv.shape, [w.shape for w in ws], num_heads, bs, shape, kind)
    bs = np.zeros((4, x_q.shape[2])) if biases is None else [as_array(b, "biases") for b in biases]
    return x_q, x_kv, ws, bs, mask


def mha_param_count(d_model: int, *, bias: bool = True) -> int:
    """Learned parameters of one multi-head attention layer: ``4 d^2 + 4 d`` (``4 d^2`` without biases).

    Four ``d_model x d_model`` matrices (``W_q, W_k, W_v, W_o``) and their four bias vectors.
    The number of heads does not appear: heads slice the same matrices.

    :param d_model: model width, a positive integer.
    :param bias: count the four bias vectors, as ``nn.MultiheadAttention(bias=True)`` has.
    :raises ValueError: for a ``d_model`` that is not a positive integer.

    >>> mha_param_count(512)  # the base Transformer: 4 * 512**2 + 4 * 512
    1050624
    >>> mha_param_count(4, bias=False)
    64
    """
    _positive(d_model=d_model)
    return 4 * d_model * d_model + (4 * d_model if bias else 0)  # W_q, W_k, W_v, W_o and b_q, b_k, b_v, b_o


def mha_flops(batch: int, seq_q: int, seq_k: int, d_model: int) -> int:
    """Matrix-multiply FLOPs (2 per multiply-add) of one forward pass, for any number of heads.

    Projections cost ``4 B d^2 (T_q + T_k)``; scores and weighted values ``4 B T_q T_k d``,
    since the ``h`` heads of width ``d / h`` sum to one head of width ``d``. Self-attention
    with ``T_q = T_k = T`` gives ``8 B T d^2 + 4 B T^2 d``. Softmax and scaling are not counted.

    :raises ValueError: for a size that is not a positive integer.

    >>> mha_flops(1, 2, 2, 4)  # 4 * 16 * 4 + 4 * 4 * 4
    320
    """
    _positive(batch=batch, seq_q=seq_q, seq_k=seq_k, d_model=d_model)
    return 4 * batch * d_model**2 * (seq_q + seq_k) + 4 * batch * seq_q * seq_k * d_model


def init_mha_weights(d_model: int, *, bias: bool = True, rng: np.random.Generator | int | None = 0) -> dict[str, Any]:
    """Random weights for examples: ``N(0, 1/d_model)`` matrices and ``N(0, 0.1^2)`` biases.

    :returns: ``{"w_q", "w_k", "w_v", "w_o"}`` of shape ``(d_model, d_model)`` and ``"biases"``,
        a tuple ``(b_q, b_k, b_v, b_o)`` of shape ``(d_model,)`` or ``None``; pass it as ``**``.

    >>> w = init_mha_weights(4)
    >>> w["w_q"].shape, len(w["biases"])
    ((4, 4), 4)
    """
    _positive(d_model=d_model)
    rng = require_rng(rng)
    w = rng.standard_normal((4, d_model, d_model)) / math.sqrt(d_model)
    biases = tuple(0.1 * rng.standard_normal((4, d_model))) if bias else None
    return {"w_q": w[0], "w_k": w[1], "w_v": w[2], "w_o": w[3], "biases": biases}


def split_heads(x: ArrayLike, num_heads: int) -> np.ndarray:
    """``(batch, seq, d_model) -> (batch, num_heads, seq, d_head)``; head ``i`` gets the ``i``-th block of features.

    >>> x = np.arange(8.0).reshape(1, 2, 4)  # 2 tokens, d_model = 4
    >>> split_heads(x, 2).tolist()  # head 0 gets features 0-1, head 1 gets features 2-3
    [[[[0.0, 1.0], [4.0, 5.0]], [[2.0, 3.0], [6.0, 7.0]]]]
    """
    x = as_array(x, "x")
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, seq, d_model); got {x.shape}")
    _check_heads(x.shape[2], num_heads)
    batch, seq, d = x.shape
    return x.reshape(batch, seq, num_heads, d // num_heads).transpose(0, 2, 1, 3)  # (B, h, T, d_head)


def merge_heads(x: ArrayLike) -> np.ndarray:
    """``(batch, num_heads, seq, d_head) -> (batch, seq, num_heads * d_head)``, the inverse of ``split_heads``.

    >>> x = np.arange(8.0).reshape(1, 2, 4)
    >>> bool((merge_heads(split_heads(x, 2)) == x).all())
    True
    """
    x = as_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must have shape (batch, num_heads, seq, d_head); got {x.shape}")
    batch, h, seq, d_head = x.shape
    return x.transpose(0, 2, 1, 3).reshape(batch, seq, h * d_head)  # Concat(head_1, ..., head_h), (B, T, d_model)


def multi_head_attention_loop(
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
    """``MultiHead(X_q, X_kv) = Concat(head_1, ..., head_h) W_o``, one head at a time (the paper's equation).

    ``head_i = Attention(X_q W_q^(i), X_kv W_k^(i), X_kv W_v^(i))`` where ``W^(i)`` holds
    columns ``i*d_head ... (i+1)*d_head - 1`` and ``d_head = d_model / num_heads``.
    Self-attention passes the same ``x`` twice; cross-attention passes the decoder's ``x_q``
    and the encoder's ``x_kv``. Computes in float64.

    :param x_q: queries' inputs, shape ``(batch, seq_q, d_model)``.
    :param x_kv: keys' and values' inputs, shape ``(batch, seq_k, d_model)``.
    :param w_q: query projection ``(d_model, d_model)``; ``w_k``, ``w_v``, ``w_o`` likewise.
    :param num_heads: ``h``; must divide ``d_model``.
    :param biases: ``(b_q, b_k, b_v, b_o)``, each ``(d_model,)``; no biases when omitted.
    :param mask: broadcastable to ``(batch, num_heads, seq_q, seq_k)``, SDPA's convention:
        boolean ``True`` = may attend, or a float added to the scores.
    :returns: ``(output, weights)`` of shapes ``(batch, seq_q, d_model)`` and
        ``(batch, num_heads, seq_q, seq_k)``; a query with every key masked gets weights 0.
    :raises ValueError: for wrong ranks, mismatched shapes, or ``d_model % num_heads != 0``.

    >>> eye = np.eye(2)
    >>> x = np.eye(2)[None]  # 1 sequence of 2 tokens, d_model = 2, so d_head = 1
    >>> out, w = multi_head_attention_loop(x, x, eye, eye, eye, eye, 2)  # head i sees feature i
    >>> np.round(w[0, 0], 4).tolist()  # head 0: scores [[1, 0], [0, 0]]
    [[0.7311, 0.2689], [0.5, 0.5]]
    >>> np.round(out, 4).tolist()
    [[[0.7311, 0.5], [0.5, 0.7311]]]
    """
    ws, bs = (w_q, w_k, w_v, w_o), biases
    x_q, x_kv, (w_q, w_k, w_v, w_o), (b_q, b_k, b_v, b_o), mask = _as_arrays(x_q, x_kv, ws, num_heads, bs, mask)
    (batch, seq_q, d), seq_k = x_q.shape, x_kv.shape[1]
    if mask is not None:
        mask = np.broadcast_to(mask, (batch, num_heads, seq_q, seq_k))
    d_head = d // num_heads
    heads, weights = [], []
    for i in range(num_heads):
        cols = slice(i * d_head, (i + 1) * d_head)  # the d_head columns that belong to head i
        q = x_q @ w_q[:, cols] + b_q[cols]  # Q_i = X_q W_q^(i), (B, T_q, d_head)
        k = x_kv @ w_k[:, cols] + b_k[cols]  # K_i = X_kv W_k^(i), (B, T_k, d_head)
        v = x_kv @ w_v[:, cols] + b_v[cols]  # V_i = X_kv W_v^(i), (B, T_k, d_head)
        m = None if mask is None else mask[:, i]
        head, w = scaled_dot_product_attention(q, k, v, mask=m)  # head_i = softmax(Q_i K_i^T / sqrt(d_head)) V_i
        heads.append(head)
        weights.append(w)
    concat = np.concatenate(heads, axis=-1)  # Concat(head_1, ..., head_h), (B, T_q, d_model)
    return concat @ w_o + b_o, np.stack(weights, axis=1)  # MultiHead = Concat(...) W_o; weights (B, h, T_q, T_k)


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
    """Batched ``multi_head_attention_loop``: one projection for all heads, then a reshape; same result.

    Arguments, shapes, mask convention and errors are those of ``multi_head_attention_loop``.

    >>> w = init_mha_weights(4)
    >>> x = np.random.default_rng(0).standard_normal((1, 3, 4))  # 3 tokens, d_model = 4
    >>> out, weights = multi_head_attention(x, x, num_heads=2, **w)
    >>> out.shape, weights.shape
    ((1, 3, 4), (1, 2, 3, 3))
    >>> np.round(weights.sum(-1), 4).tolist()  # each head's rows sum to 1
    [[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]
    >>> bool(np.allclose(out, multi_head_attention_loop(x, x, num_heads=2, **w)[0]))
    True
    """
    ws, bs = (w_q, w_k, w_v, w_o), biases
    x_q, x_kv, (w_q, w_k, w_v, w_o), (b_q, b_k, b_v, b_o), mask = _as_arrays(x_q, x_kv, ws, num_heads, bs, mask)
    q = split_heads(x_q @ w_q + b_q, num_heads)  # all heads' queries in one matmul, (B, h, T_q, d_head)
    k = split_heads(x_kv @ w_k + b_k, num_heads)  # (B, h, T_k, d_head)
    v = split_heads(x_kv @ w_v + b_v, num_heads)  # (B, h, T_k, d_head)
    heads, weights = scaled_dot_product_attention(q, k, v, mask=mask)  # (B, h, T_q, d_head), (B, h, T_q, T_k)
    return merge_heads(heads) @ w_o + b_o, weights  # Concat(head_1, ..., head_h) W_o, (B, T_q, d_model)


def multi_head_attention_sdpa_torch(
    x_q: torch.Tensor,
    x_kv: torch.Tensor,
    w_q: torch.Tensor,
    w_k: torch.Tensor,
    w_v: torch.Tensor,
    w_o: torch.Tensor,
    num_heads: int,
    *,
    biases: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """``multi_head_attention`` over ``F.scaled_dot_product_attention``: same arguments, output only.

    The fused kernel never stores the ``(batch, num_heads, seq_q, seq_k)`` weights, so it
    returns only the output ``(batch, seq_q, d_model)``. Keeps the dtype of ``x_q``.

    :raises TypeError: for an argument that is not a ``torch.Tensor`` (NumPy arrays included).

    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(1, 3, 4, dtype=torch.float64)
    >>> w = init_mha_weights(4, bias=False)
    >>> tw = {k: torch.from_numpy(v) for k, v in w.items() if v is not None}
    >>> out = multi_head_attention_sdpa_torch(x, x, num_heads=2, **tw)
    >>> bool(np.allclose(out.numpy(), multi_head_attention(x.numpy(), x.numpy(), num_heads=2, **w)[0]))
    True
    """
    F = require_torch().nn.functional
    for name, t in zip(("x_q", "x_kv", "w_q", "w_k", "w_v", "w_o"), (x_q, x_kv, w_q, w_k, w_v, w_o), strict=True):
        require_tensor(t, name)
    for b in biases or ():
        require_tensor(b, "biases")
    if mask is not None:
        require_tensor(mask, "mask")
    ws = [tuple(w.shape) for w in (w_q, w_k, w_v, w_o)]
    bs = None if biases is None else [tuple(b.shape) for b in biases]
    shape, kind = (None, "") if mask is None else (tuple(mask.shape), _mask_kind(mask.dtype))
    _check(tuple(x_q.shape), tuple(x_kv.shape), ws, num_heads, bs, shape, kind)
    (batch, seq_q, d), seq_k, h = x_q.shape, x_kv.shape[1], num_heads
    b_q, b_k, b_v, b_o = (0.0, 0.0, 0.0, 0.0) if biases is None else biases
    q = (x_q @ w_q + b_q).reshape(batch, seq_q, h, d // h).transpose(1, 2)  # (B, h, T_q, d_head)
    k = (x_kv @ w_k + b_k).reshape(batch, seq_k, h, d // h).transpose(1, 2)  # (B, h, T_k, d_head)
    v = (x_kv @ w_v + b_v).reshape(batch, seq_k, h, d // h).transpose(1, 2)  # (B, h, T_k, d_head)
    heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, h, T_q, d_head); weights never stored
    return heads.transpose(1, 2).reshape(batch, seq_q, d) @ w_o + b_o  # Concat(...) W_o, (B, T_q, d_model)


def __getattr__(name: str) -> Any:
    """Build the ``nn.Module`` classes on first access, so importing this module needs no PyTorch."""
    if name == "MultiHeadAttention":
        from concepts._mha_module import module_class

        return module_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def mha_weights_from_torch(mha: nn.MultiheadAttention) -> dict[str, Any]:
    """Copy ``nn.MultiheadAttention``'s weights into the NumPy functions' ``x @ W`` convention.

    ``in_proj_weight`` stacks ``W_q, W_k, W_v`` as ``(3 d_model, d_model)`` in ``nn.Linear``'s
    ``(d_out, d_in)`` layout, so each third is transposed; ``out_proj`` holds ``W_o``.

    :returns: the dict of ``init_mha_weights``, as float64 arrays that own their memory.
    :raises TypeError: for anything but an ``nn.MultiheadAttention``.
    :raises ValueError: for separate ``kdim``/``vdim`` weights or ``add_bias_kv=True``.

    >>> from torch import nn
    >>> ref = nn.MultiheadAttention(4, 2, batch_first=True)
    >>> w = mha_weights_from_torch(ref)
    >>> w["w_k"].shape, [b.shape for b in w["biases"]]
    ((4, 4), [(4,), (4,), (4,), (4,)])
    """
    torch = require_torch()
    if not isinstance(mha, torch.nn.MultiheadAttention):
        raise TypeError(f"mha must be a torch.nn.MultiheadAttention; got {type(mha).__name__}")
    if mha.in_proj_weight is None or mha.bias_k is not None:
        raise ValueError("mha must have kdim = vdim = embed_dim and add_bias_kv=False; got separate or extra weights")

    def arr(t: torch.Tensor) -> np.ndarray:
        return t.detach().to(torch.float64).cpu().numpy().copy()

    w_q, w_k, w_v = (arr(w).T for w in mha.in_proj_weight.chunk(3))
    biases = None if mha.in_proj_bias is None else (*map(arr, mha.in_proj_bias.chunk(3)), arr(mha.out_proj.bias))
    return {"w_q": w_q, "w_k": w_k, "w_v": w_v, "w_o": arr(mha.out_proj.weight).T, "biases": biases}
