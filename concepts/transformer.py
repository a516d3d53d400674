"""The Transformer's encoder and decoder layers, with the paper's label-smoothed loss, warm-up schedule and size.

Follows Vaswani et al. (2017), "Attention Is All You Need" (sections 3.1-3.3, 5.3, 5.4 and
Table 3), with ``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer`` as the
reference for the layers: their default ``norm_first=False`` is the paper's post-LN, and so
is ours. Weights are ``(d_in, d_out)`` matrices applied as ``x @ W``, as in the paper. Leaves
out embeddings and positional encodings, the stack of N layers, dropout on the attention
weights and inside the FFN (only the paper's residual dropout is kept), and incremental
decoding with a cache. The training recipe (dropout, label smoothing, the warm-up schedule)
lives in ``concepts/_transformer_training.py`` and the parameters, size and cost (shapes,
initialisation, counts, FLOPs per token) in ``concepts/_transformer_params.py``; both are
re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_rng, require_tensor, require_torch
from concepts._transformer_params import (
    _shapes,
    decoder_layer_param_count,
    encoder_layer_param_count,
    init_layer_params,
    layer_params_from_torch,
    transformer_flops,
    transformer_param_count,
)
from concepts._transformer_training import (
    label_smoothing_loss,
    label_smoothing_loss_torch,
    smoothed_targets,
    warmup_lr,
    warmup_scheduler_torch,
)
from concepts.attention import scaled_dot_product_attention
from concepts.masking import causal_mask
from concepts.regularization import dropout, dropout_torch

if TYPE_CHECKING:
    import torch

__all__ = [
    "decoder_layer",
    "decoder_layer_param_count",
    "decoder_layer_torch",
    "encoder_layer",
    "encoder_layer_param_count",
    "encoder_layer_torch",
    "init_layer_params",
    "label_smoothing_loss",
    "label_smoothing_loss_torch",
    "layer_params_from_torch",
    "pre_ln_encoder_layer",
    "smoothed_targets",
    "transformer_flops",
    "transformer_param_count",
    "warmup_lr",
    "warmup_scheduler_torch",
]

_LAYER_ACTIVATIONS = ("relu", "gelu")  # what nn.TransformerEncoderLayer accepts by name


def _dtype(a: Any) -> str:
    """The dtype's name, the same for NumPy and PyTorch: ``"bool"``, ``"int64"``, ``"float64"``."""
    return str(a.dtype).removeprefix("torch.")


def _check_layer(
    x: tuple, memory: tuple | None, params: Mapping[str, Any], num_heads: int, masks: dict, activation: str, p: float
) -> None:
    """Validate one layer call (shared by the NumPy and PyTorch versions); ``masks`` maps a name to (mask, shape)."""
    if len(x) != 3 or 0 in x:
        raise ValueError(f"x must have shape (batch, seq, d_model) with non-zero sizes; got {x}")
    (batch, _, d), decoder = x, memory is not None
    if decoder and (len(memory) != 3 or memory[1] == 0 or (memory[0], memory[2]) != (batch, d)):
        raise ValueError(f"memory must have shape (batch, seq_src, d_model) = ({batch}, seq_src, {d}); got {memory}")
    params = {k: tuple(v.shape) for k, v in params.items()}
    want = _shapes(d, params.get("ffn.w_1", (d, 0))[-1], decoder=decoder)
    if set(params) != set(want):
        missing, extra = sorted(set(want) - set(params)), sorted(set(params) - set(want))
        raise ValueError(f"params must hold the keys of init_layer_params; missing {missing}, unexpected {extra}")
    for key, shape in want.items():
        if params[key] != shape:
            raise ValueError(f"params[{key!r}] must have shape {shape}; got {params[key]}")
    if isinstance(num_heads, bool) or not isinstance(num_heads, int) or num_heads < 1 or d % num_heads:
        raise ValueError(f"num_heads must be a positive integer dividing d_model = {d}; got {num_heads!r}")
    for name, (mask, shape) in masks.items():
        if mask is not None and (tuple(mask.shape) != shape or _dtype(mask) != "bool"):
            raise ValueError(
                f"{name} must be boolean of shape {shape}; got shape {tuple(mask.shape)}, dtype {_dtype(mask)}"
            )
    if activation not in _LAYER_ACTIVATIONS:
        raise ValueError(f"activation must be one of {_LAYER_ACTIVATIONS}; got {activation!r}")
    if not 0 <= p < 1:
        raise ValueError(f"dropout_p must be in [0, 1); got {p!r}")


def _keep(causal: Any, valid: Any) -> Any:
    """SDPA's boolean mask (True = may attend): the causal triangle AND the keys that are not padding."""
    pad = None if valid is None else valid[:, None, None, :]  # (B, 1, 1, S): hidden from every head and query
    return pad if causal is None else causal if pad is None else causal & pad  # (B, 1, T, S) when both


def _mha(x_q: Any, x_kv: Any, p: Mapping, name: str, num_heads: int, keep: Any, attend: Callable) -> Any:
    """Multi-head attention on either backend; ``attend(q, k, v, keep)`` is the backend's SDPA."""
    (B, T, d), S, h = x_q.shape, x_kv.shape[1], num_heads
    q = (x_q @ p[f"{name}.w_q"] + p[f"{name}.b_q"]).reshape(B, T, h, d // h).swapaxes(1, 2)  # (B, h, T, d_head)
    k = (x_kv @ p[f"{name}.w_k"] + p[f"{name}.b_k"]).reshape(B, S, h, d // h).swapaxes(1, 2)  # (B, h, S, d_head)
    v = (x_kv @ p[f"{name}.w_v"] + p[f"{name}.b_v"]).reshape(B, S, h, d // h).swapaxes(1, 2)  # (B, h, S, d_head)
    heads = attend(q, k, v, keep)  # softmax(Q K^T / sqrt(d_head) + M) V, (B, h, T, d_head)
    return heads.swapaxes(1, 2).reshape(B, T, d) @ p[f"{name}.w_o"] + p[f"{name}.b_o"]  # Concat(heads) W_o


def _ffn(x: Any, p: Mapping, act: Callable) -> Any:
    return act(x @ p["ffn.w_1"] + p["ffn.b_1"]) @ p["ffn.w_2"] + p["ffn.b_2"]  # FFN(x) = act(x W_1 + b_1) W_2 + b_2


def _attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
    return scaled_dot_product_attention(q, k, v, mask=keep)[0]


def _attend_torch(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
    import torch.nn.functional as F

    return F.scaled_dot_product_attention(q, k, v, attn_mask=keep)


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)  # biased variance, as nn.LayerNorm
    return (x - mu) / np.sqrt(var + eps) * gamma + beta  # LN(x) = (x - mu) / sqrt(var + eps) * gamma + beta


def _layer_norm_torch(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float) -> torch.Tensor:
    import torch.nn.functional as F

    return F.layer_norm(x, x.shape[-1:], gamma, beta, eps)


def _norms(p: Mapping, n: int, layer_norm: Callable, eps: float) -> list[Callable]:
    """The layer's LayerNorms ``norm1 ... normn`` as functions of ``x`` alone."""
    return [lambda z, i=i: layer_norm(z, p[f"norm{i}.gamma"], p[f"norm{i}.beta"], eps) for i in range(1, n + 1)]


def _residual(x: Any, sublayer: Callable, norm: Callable, drop: Callable, norm_first: bool) -> Any:
    """One residual connection around ``sublayer``, post-LN or pre-LN; dropout hits the sublayer's output."""
    if norm_first:
        return x + drop(sublayer(norm(x)))  # pre-LN: x + Sublayer(LN(x)); the residual stream is never normalised
    return norm(x + drop(sublayer(x)))  # post-LN (the paper, PyTorch's default): LN(x + Sublayer(x))


def _drop_torch(p: float, generator: Any) -> Callable:
    """Dropout on a sublayer's output, masks drawn from ``generator`` (torch's global one when ``None``)."""
    return lambda z: dropout_torch(z, p, training=p > 0, generator=generator)


def _act(name: str) -> Callable[[np.ndarray], np.ndarray]:
    if name == "relu":
        return lambda z: np.maximum(z, 0.0)
    erf = np.frompyfunc(math.erf, 1, 1)
    return lambda z: 0.5 * z * (1.0 + erf(z / math.sqrt(2.0)).astype(np.float64))  # exact GELU, x Phi(x)


def encoder_layer(
    x: ArrayLike,
    params: Mapping[str, ArrayLike],
    num_heads: int,
    *,
    mask: ArrayLike | None = None,
    norm_first: bool = False,
    activation: str = "relu",
    dropout_p: float = 0.0,
    rng: np.random.Generator | int | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """One encoder layer: self-attention, then the FFN, each inside a residual connection with a LayerNorm.

    Post-LN (``norm_first=False``, the paper's and PyTorch's default) normalises after the
    sum: ``LN(x + Sublayer(x))``. Pre-LN normalises the sublayer's input and leaves the
    residual stream alone: ``x + Sublayer(LN(x))``. Dropout hits each sublayer's output
    before the sum. Computes in float64.

    :param x: the source sequence, shape ``(batch, seq, d_model)``.
    :param params: the dict of ``init_layer_params`` or ``layer_params_from_torch``.
    :param num_heads: ``h``; must divide ``d_model``.
    :param mask: key padding, boolean ``(batch, seq)``, ``True`` for real tokens and
        ``False`` for padding (the package's convention, as ``concepts.masking``; the
        opposite of PyTorch's ``src_key_padding_mask``). Padding keys are hidden.
    :param norm_first: pre-LN when ``True``.
    :param activation: ``"relu"`` (the paper's) or ``"gelu"`` (exact, as PyTorch's).
    :param dropout_p: residual dropout probability (the paper's base model uses 0.1).
    :param rng: the generator for dropout (a Generator, an int seed or None).
    :param eps: the LayerNorms' epsilon, PyTorch's default ``1e-5``.
    :returns: shape ``(batch, seq, d_model)``.
    :raises ValueError: for wrong shapes or keys, heads that do not divide ``d_model``, a
        mask of the wrong shape or dtype, or an unknown activation.

    >>> import numpy as np
    >>> from concepts.transformer import encoder_layer, init_layer_params
    >>> x = np.random.default_rng(0).standard_normal((1, 3, 8))  # 3 tokens, d_model = 8
    >>> out = encoder_layer(x, init_layer_params(8, 32), num_heads=2)
    >>> out.shape  # post-LN ends with a LayerNorm, so each token has mean 0 and variance ~1
    (1, 3, 8)
    >>> np.round(np.abs(out.mean(-1)), 4).tolist(), np.round(out.var(-1), 3).tolist()
    ([[0.0, 0.0, 0.0]], [[1.0, 1.0, 1.0]])
    """
    x, p = as_array(x, "x"), {k: as_array(v, f"params[{k!r}]") for k, v in params.items()}
    valid = None if mask is None else as_array(mask, "mask", dtype=None)
    _check_layer(x.shape, None, p, num_heads, {"mask": (valid, x.shape[:2])}, activation, dropout_p)
    keep, act, (norm1, norm2) = _keep(None, valid), _act(activation), _norms(p, 2, _layer_norm, eps)
    gen = require_rng(rng) if dropout_p > 0 else None  # one stream for every dropout of the layer

    def drop(z: np.ndarray) -> np.ndarray:
        return dropout(z, dropout_p, rng=gen)

    x = _residual(x, lambda z: _mha(z, z, p, "self_attn", num_heads, keep, _attend), norm1, drop, norm_first)
    return _residual(x, lambda z: _ffn(z, p, act), norm2, drop, norm_first)


def pre_ln_encoder_layer(
    x: ArrayLike, params: Mapping[str, ArrayLike], num_heads: int, *, eps: float = 1e-5
) -> np.ndarray:
    """One pre-LN encoder layer, ReLU, no padding, no dropout: the exercise ``transformer.pre-ln-encoder``.

    ``x + Attn(LN1(x))``, then ``+ FFN(LN2(.))``; :func:`encoder_layer` with ``norm_first=True``.

    >>> import numpy as np
    >>> from concepts.transformer import init_layer_params, pre_ln_encoder_layer
    >>> p = init_layer_params(2, 2)  # then every matrix the identity, gamma 1, every bias and beta 0
    >>> p = {k: np.eye(2) if v.ndim == 2 else np.ones(2) if "gamma" in k else np.zeros(2) for k, v in p.items()}
    >>> pre_ln_encoder_layer(np.array([[[3.0, 1.0]]]), p, 1, eps=0.0).tolist()  # (3, 1) + (1, -1) = (4, 0); + (1, 0)
    [[[5.0, 0.0]]]
    """
    return encoder_layer(x, params, num_heads, norm_first=True, eps=eps)


def encoder_layer_torch(
    x: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    num_heads: int,
    *,
    mask: torch.Tensor | None = None,
    norm_first: bool = False,
    activation: str = "relu",
    dropout_p: float = 0.0,
    generator: torch.Generator | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """``encoder_layer`` in PyTorch, over ``F.scaled_dot_product_attention`` and ``F.layer_norm``.

    Same arguments as tensors, with ``generator`` for ``rng``: dropout masks come from it, or
    from torch's global generator when ``None`` (as in ``nn.TransformerEncoderLayer``). Keeps
    the dtype of ``x``.

    >>> import torch
    >>> from concepts.transformer import encoder_layer, encoder_layer_torch, init_layer_params
    >>> p = init_layer_params(8, 32)
    >>> x = torch.randn(2, 3, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> out = encoder_layer_torch(x, {k: torch.from_numpy(v) for k, v in p.items()}, 2, norm_first=True)
    >>> bool(np.allclose(out.numpy(), encoder_layer(x.numpy(), p, 2, norm_first=True)))
    True
    """
    F = require_torch().nn.functional
    for name, t in {"x": x, **{f"params[{k!r}]": v for k, v in params.items()}}.items():
        require_tensor(t, name)
    _check_layer(tuple(x.shape), None, params, num_heads, {"mask": (mask, tuple(x.shape[:2]))}, activation, dropout_p)
    p, keep, act = params, _keep(None, mask), getattr(F, activation)
    norm1, norm2 = _norms(p, 2, _layer_norm_torch, eps)
    drop = _drop_torch(dropout_p, generator)

    x = _residual(x, lambda z: _mha(z, z, p, "self_attn", num_heads, keep, _attend_torch), norm1, drop, norm_first)
    return _residual(x, lambda z: _ffn(z, p, act), norm2, drop, norm_first)


def decoder_layer(
    y: ArrayLike,
    memory: ArrayLike,
    params: Mapping[str, ArrayLike],
    num_heads: int,
    *,
    is_causal: bool = True,
    mask: ArrayLike | None = None,
    memory_mask: ArrayLike | None = None,
    norm_first: bool = False,
    activation: str = "relu",
    dropout_p: float = 0.0,
    rng: np.random.Generator | int | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """One decoder layer: masked self-attention, cross-attention to the encoder's output, then the FFN.

    Each of the three sublayers sits in a residual connection with its own LayerNorm, wired
    post-LN or pre-LN exactly as in ``encoder_layer``. In cross-attention the queries come
    from the decoder and the keys and values from ``memory``, the encoder's output, which
    is used as it is (never normalised here, as in PyTorch). Computes in float64.

    :param y: the target sequence so far, shape ``(batch, seq_tgt, d_model)``; in training,
        the reference translation shifted right by one (teacher forcing).
    :param memory: the encoder's output, shape ``(batch, seq_src, d_model)``.
    :param params: the dict of ``init_layer_params(..., decoder=True)``.
    :param num_heads: ``h`` for both attentions; must divide ``d_model``.
    :param is_causal: position ``i`` sees target positions ``j <= i`` only (the paper's mask);
        PyTorch needs ``tgt_mask`` for this, it has no default.
    :param mask: target key padding, boolean ``(batch, seq_tgt)``, ``True`` = real token.
    :param memory_mask: source key padding, boolean ``(batch, seq_src)``, ``True`` = real
        token (not PyTorch's ``memory_mask``, a ``(T, S)`` attention mask where ``True`` blocks).
    :param norm_first: pre-LN when ``True``; the other knobs as in ``encoder_layer``.
    :returns: shape ``(batch, seq_tgt, d_model)``.
    :raises ValueError: as ``encoder_layer``, and for a ``memory`` whose batch or width differ.

    >>> import numpy as np
    >>> from concepts.transformer import decoder_layer, init_layer_params
    >>> rng = np.random.default_rng(0)
    >>> y, memory = rng.standard_normal((1, 3, 8)), rng.standard_normal((1, 5, 8))  # 3 target, 5 source tokens
    >>> p = init_layer_params(8, 32, decoder=True)
    >>> out = decoder_layer(y, memory, p, num_heads=2)
    >>> out.shape
    (1, 3, 8)
    >>> later = y.copy()
    >>> later[0, 2] += 1.0  # change the last target token: the causal mask keeps it from the first two
    >>> bool(np.allclose(decoder_layer(later, memory, p, 2)[:, :2], out[:, :2]))
    True
    """
    y, memory = as_array(y, "y"), as_array(memory, "memory")
    p = {k: as_array(v, f"params[{k!r}]") for k, v in params.items()}
    tv, mv = (
        None if m is None else as_array(m, n, dtype=None) for m, n in ((mask, "mask"), (memory_mask, "memory_mask"))
    )
    masks = {"mask": (tv, y.shape[:2]), "memory_mask": (mv, memory.shape[:2])}
    _check_layer(y.shape, memory.shape, p, num_heads, masks, activation, dropout_p)
    T, act, (norm1, norm2, norm3) = y.shape[1], _act(activation), _norms(p, 3, _layer_norm, eps)
    self_keep = _keep(causal_mask(T) if is_causal else None, tv)  # (T, T): i sees j <= i
    cross_keep = _keep(None, mv)
    gen = require_rng(rng) if dropout_p > 0 else None

    def drop(z: np.ndarray) -> np.ndarray:
        return dropout(z, dropout_p, rng=gen)

    y = _residual(y, lambda z: _mha(z, z, p, "self_attn", num_heads, self_keep, _attend), norm1, drop, norm_first)
    # cross-attention: queries from the decoder, keys and values from the encoder's output
    y = _residual(
        y, lambda z: _mha(z, memory, p, "cross_attn", num_heads, cross_keep, _attend), norm2, drop, norm_first
    )
    return _residual(y, lambda z: _ffn(z, p, act), norm3, drop, norm_first)


def decoder_layer_torch(
    y: torch.Tensor,
    memory: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    num_heads: int,
    *,
    is_causal: bool = True,
    mask: torch.Tensor | None = None,
    memory_mask: torch.Tensor | None = None,
    norm_first: bool = False,
    activation: str = "relu",
    dropout_p: float = 0.0,
    generator: torch.Generator | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """``decoder_layer`` in PyTorch: same arguments as tensors, ``generator`` for ``rng``; keeps ``y``'s dtype.

    >>> import torch
    >>> from concepts.transformer import decoder_layer, decoder_layer_torch, init_layer_params
    >>> p = init_layer_params(8, 32, decoder=True)
    >>> g = torch.Generator().manual_seed(0)
    >>> y = torch.randn(2, 3, 8, dtype=torch.float64, generator=g)
    >>> memory = torch.randn(2, 4, 8, dtype=torch.float64, generator=g)
    >>> out = decoder_layer_torch(y, memory, {k: torch.from_numpy(v) for k, v in p.items()}, 2)
    >>> bool(np.allclose(out.numpy(), decoder_layer(y.numpy(), memory.numpy(), p, 2)))
    True
    """
    pt = require_torch()  # not named torch: the annotations above mean the module, not a local
    F = pt.nn.functional
    for name, t in {"y": y, "memory": memory, **{f"params[{k!r}]": v for k, v in params.items()}}.items():
        require_tensor(t, name)
    masks = {"mask": (mask, tuple(y.shape[:2])), "memory_mask": (memory_mask, tuple(memory.shape[:2]))}
    _check_layer(tuple(y.shape), tuple(memory.shape), params, num_heads, masks, activation, dropout_p)
    p, T, act = params, y.shape[1], getattr(F, activation)
    norm1, norm2, norm3 = _norms(p, 3, _layer_norm_torch, eps)
    self_keep = _keep(pt.from_numpy(causal_mask(T)).to(y.device) if is_causal else None, mask)  # (T, T)
    cross_keep = _keep(None, memory_mask)
    drop = _drop_torch(dropout_p, generator)

    y = _residual(y, lambda z: _mha(z, z, p, "self_attn", num_heads, self_keep, _attend_torch), norm1, drop, norm_first)
    y = _residual(
        y, lambda z: _mha(z, memory, p, "cross_attn", num_heads, cross_keep, _attend_torch), norm2, drop, norm_first
    )
    return _residual(y, lambda z: _ffn(z, p, act), norm3, drop, norm_first)
