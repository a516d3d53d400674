"""The Transformer's encoder and decoder layers, with the paper's label-smoothed loss, warm-up schedule and size.

Follows Vaswani et al. (2017), "Attention Is All You Need" (sections 3.1-3.3, 5.3, 5.4 and
Table 3), with ``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer`` as the
reference for the layers: their default ``norm_first=False`` is the paper's post-LN, and so
is ours. Weights are ``(d_in, d_out)`` matrices applied as ``x @ W``, as in the paper. Leaves
out embeddings and positional encodings, the stack of N layers, dropout on the attention
weights and inside the FFN (only the paper's residual dropout is kept), and incremental
decoding with a cache.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts.attention import scaled_dot_product_attention

if TYPE_CHECKING:
    import torch

__all__ = [
    "ACTIVATIONS",
    "decoder_layer",
    "decoder_layer_torch",
    "dropout",
    "encoder_layer",
    "encoder_layer_torch",
    "init_layer_params",
    "label_smoothing_loss",
    "label_smoothing_loss_torch",
    "layer_param_count",
    "layer_params_from_torch",
    "smoothed_targets",
    "transformer_param_count",
    "warmup_lr",
    "warmup_scheduler_torch",
]

ACTIVATIONS = ("relu", "gelu")
SPREADS = ("all", "others")


def _positive(**sizes: Any) -> None:
    for name, n in sizes.items():
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"{name} must be a positive integer; got {n!r}")


def _dtype(a: Any) -> str:
    """The dtype's name, the same for NumPy and PyTorch: ``"bool"``, ``"int64"``, ``"float64"``."""
    return str(a.dtype).removeprefix("torch.")


def _shapes(d_model: int, d_ff: int, *, decoder: bool) -> dict[str, tuple[int, ...]]:
    """Every parameter of one layer and its shape: the keys of a params dict."""
    shapes: dict[str, tuple[int, ...]] = {}
    for a in ("self_attn", "cross_attn") if decoder else ("self_attn",):
        shapes |= {f"{a}.w_{c}": (d_model, d_model) for c in "qkvo"} | {f"{a}.b_{c}": (d_model,) for c in "qkvo"}
    shapes |= {"ffn.w_1": (d_model, d_ff), "ffn.b_1": (d_ff,), "ffn.w_2": (d_ff, d_model), "ffn.b_2": (d_model,)}
    for i in range(1, 4 if decoder else 3):
        shapes |= {f"norm{i}.gamma": (d_model,), f"norm{i}.beta": (d_model,)}
    return shapes


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
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")
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


def _act(name: str) -> Callable[[np.ndarray], np.ndarray]:
    if name == "relu":
        return lambda z: np.maximum(z, 0.0)
    erf = np.frompyfunc(math.erf, 1, 1)
    return lambda z: 0.5 * z * (1.0 + erf(z / math.sqrt(2.0)).astype(np.float64))  # exact GELU, x Phi(x)


def dropout(x: ArrayLike, p: float, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """Inverted dropout: zero each entry with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The scaling keeps every entry's expected value, so nothing changes at inference, where
    dropout is switched off. ``p = 0`` returns ``x`` unchanged and needs no generator.

    :param x: any array.
    :param p: drop probability in ``[0, 1)``.
    :param rng: the generator that draws the mask; required when ``p > 0``.
    :returns: float64 array of the shape of ``x``.
    :raises ValueError: for ``p`` outside ``[0, 1)`` or a missing generator.

    >>> import numpy as np
    >>> from concepts.transformer import dropout
    >>> out = dropout(np.ones(10_000), 0.5, rng=np.random.default_rng(0))
    >>> sorted(set(out.tolist())), round(float(out.mean()), 1)  # kept entries become 1 / (1 - 0.5); the mean stays 1
    ([0.0, 2.0], 1.0)
    """
    x = np.asarray(x, dtype=np.float64)
    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1); got {p!r}")
    if p == 0:
        return x
    if rng is None:
        raise ValueError("rng must be a numpy Generator when p > 0; got None")
    return x * (rng.random(x.shape) >= p) / (1 - p)  # E[output] = (1 - p) * x / (1 - p) = x


def init_layer_params(d_model: int, d_ff: int, *, decoder: bool = False, seed: int = 0) -> dict[str, np.ndarray]:
    """Random parameters of one layer: ``N(0, 1/d_in)`` matrices, ``N(0, 0.1^2)`` biases, ``gamma = 1, beta = 0``.

    Keys: ``self_attn.w_q`` ... ``self_attn.b_o`` (and ``cross_attn.*`` for a decoder),
    ``ffn.w_1`` ``(d_model, d_ff)``, ``ffn.b_1``, ``ffn.w_2`` ``(d_ff, d_model)``, ``ffn.b_2``,
    and ``norm1.gamma``, ``norm1.beta``, ... (two LayerNorms in an encoder, three in a decoder).

    >>> from concepts.transformer import init_layer_params, layer_param_count
    >>> p = init_layer_params(8, 32, decoder=True)
    >>> p["cross_attn.w_k"].shape, p["ffn.w_2"].shape, p["norm3.gamma"].tolist()[:3]
    ((8, 8), (32, 8), [1.0, 1.0, 1.0])
    >>> sum(a.size for a in p.values()) == layer_param_count(8, 32, decoder=True)
    True
    """
    _positive(d_model=d_model, d_ff=d_ff)
    rng = np.random.default_rng(seed)
    params = {}
    for key, shape in _shapes(d_model, d_ff, decoder=decoder).items():
        if key.endswith(("gamma", "beta")):
            params[key] = np.full(shape, 1.0 if key.endswith("gamma") else 0.0)
        else:
            params[key] = rng.standard_normal(shape) * (0.1 if len(shape) == 1 else 1 / math.sqrt(shape[0]))
    return params


def layer_params_from_torch(layer: torch.nn.Module) -> dict[str, np.ndarray]:
    """Copy an ``nn.TransformerEncoderLayer`` or ``nn.TransformerDecoderLayer`` into a float64 params dict.

    ``nn.Linear`` stores ``(d_out, d_in)``, so every matrix is transposed; ``in_proj_weight``
    stacks ``W_q, W_k, W_v``. The decoder's ``multihead_attn`` becomes ``cross_attn``.

    :raises ValueError: for another module, or a layer built with ``bias=False``.

    >>> import torch
    >>> from concepts.transformer import layer_params_from_torch
    >>> p = layer_params_from_torch(torch.nn.TransformerEncoderLayer(8, 2, 32, batch_first=True))
    >>> p["self_attn.w_q"].shape, p["ffn.w_1"].shape, len(p)
    ((8, 8), (8, 32), 16)
    """
    from torch import nn

    from concepts.multi_head_attention import mha_weights_from_torch

    if not isinstance(layer, nn.TransformerEncoderLayer | nn.TransformerDecoderLayer) or layer.linear1.bias is None:
        raise ValueError(f"layer must be an nn.Transformer{{Encoder,Decoder}}Layer with bias=True; got {layer!r}")
    decoder = isinstance(layer, nn.TransformerDecoderLayer)
    p: dict[str, np.ndarray] = {}
    for name, mha in [("self_attn", layer.self_attn)] + ([("cross_attn", layer.multihead_attn)] if decoder else []):
        w = mha_weights_from_torch(mha)
        p |= {f"{name}.w_{c}": w[f"w_{c}"] for c in "qkvo"} | {
            f"{name}.b_{c}": b for c, b in zip("qkvo", w["biases"], strict=True)
        }
    for i, lin in ((1, layer.linear1), (2, layer.linear2)):
        p |= {
            f"ffn.w_{i}": lin.weight.detach().double().numpy().T.copy(),
            f"ffn.b_{i}": lin.bias.detach().double().numpy().copy(),
        }
    for i in range(1, 4 if decoder else 3):
        norm = getattr(layer, f"norm{i}")
        p |= {f"norm{i}.gamma": norm.weight.detach().double().numpy().copy()}
        p |= {f"norm{i}.beta": norm.bias.detach().double().numpy().copy()}
    return p


def layer_param_count(d_model: int, d_ff: int, *, decoder: bool = False) -> int:
    """Parameters of one layer: ``4d^2 + 4d`` per attention, ``2 d d_ff + d_ff + d`` for the FFN, ``2d`` per LayerNorm.

    An encoder layer has one attention and two LayerNorms; a decoder layer adds
    cross-attention and a third LayerNorm. The number of heads does not appear.

    :raises ValueError: for a size that is not a positive integer.

    >>> from concepts.transformer import layer_param_count
    >>> layer_param_count(512, 2048), layer_param_count(512, 2048, decoder=True)  # the base model's layers
    (3152384, 4204032)
    """
    _positive(d_model=d_model, d_ff=d_ff)
    attn = 4 * d_model * d_model + 4 * d_model  # W_q, W_k, W_v, W_o and their biases
    ffn = 2 * d_model * d_ff + d_ff + d_model  # W_1, b_1, W_2, b_2
    norm = 2 * d_model  # gamma, beta
    return 2 * attn + ffn + 3 * norm if decoder else attn + ffn + 2 * norm


def transformer_param_count(
    n_layers: int = 6,
    d_model: int = 512,
    d_ff: int = 2048,
    vocab_size: int = 37000,
    *,
    tied: bool = True,
    final_norms: bool = False,
) -> int:
    """Parameters of the whole encoder-decoder: ``N`` encoder and ``N`` decoder layers plus the embeddings.

    The defaults are the paper's base model. With ``tied=True`` the source embedding, the
    target embedding and the pre-softmax projection share one ``(vocab_size, d_model)``
    matrix (section 3.4); sinusoidal positions have no parameters. ``final_norms`` adds the
    LayerNorm that ``nn.Transformer`` puts after each stack (``4 d_model``).

    :raises ValueError: for a size that is not a positive integer.

    >>> from concepts.transformer import transformer_param_count
    >>> transformer_param_count()  # base: the paper reports 65 x 10^6 (Table 3)
    63082496
    >>> transformer_param_count(d_model=1024, d_ff=4096)  # big: the paper reports 213 x 10^6
    214245376
    """
    _positive(n_layers=n_layers, d_model=d_model, d_ff=d_ff, vocab_size=vocab_size)
    layers = n_layers * (layer_param_count(d_model, d_ff) + layer_param_count(d_model, d_ff, decoder=True))
    embeddings = (1 if tied else 3) * vocab_size * d_model  # source, target and pre-softmax matrices
    return layers + embeddings + (4 * d_model if final_norms else 0)


def encoder_layer(
    x: ArrayLike,
    params: Mapping[str, ArrayLike],
    num_heads: int,
    *,
    src_valid: ArrayLike | None = None,
    norm_first: bool = False,
    activation: str = "relu",
    dropout_p: float = 0.0,
    rng: np.random.Generator | None = None,
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
    :param src_valid: boolean ``(batch, seq)``, ``True`` for real tokens and ``False`` for
        padding: the opposite of PyTorch's ``src_key_padding_mask``. Padding keys are hidden.
    :param norm_first: pre-LN when ``True``.
    :param activation: ``"relu"`` (the paper's) or ``"gelu"`` (exact, as PyTorch's).
    :param dropout_p: residual dropout probability (the paper's base model uses 0.1).
    :param rng: the generator for dropout; required when ``dropout_p > 0``.
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
    x = np.asarray(x, dtype=np.float64)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    valid = None if src_valid is None else np.asarray(src_valid)
    _check_layer(x.shape, None, p, num_heads, {"src_valid": (valid, x.shape[:2])}, activation, dropout_p)
    keep, act, (norm1, norm2) = _keep(None, valid), _act(activation), _norms(p, 2, _layer_norm, eps)

    def drop(z: np.ndarray) -> np.ndarray:
        return dropout(z, dropout_p, rng=rng)

    x = _residual(x, lambda z: _mha(z, z, p, "self_attn", num_heads, keep, _attend), norm1, drop, norm_first)
    return _residual(x, lambda z: _ffn(z, p, act), norm2, drop, norm_first)


def encoder_layer_torch(
    x: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    num_heads: int,
    *,
    src_valid: torch.Tensor | None = None,
    norm_first: bool = False,
    activation: str = "relu",
    dropout_p: float = 0.0,
    eps: float = 1e-5,
) -> torch.Tensor:
    """``encoder_layer`` in PyTorch, over ``F.scaled_dot_product_attention`` and ``F.layer_norm``.

    Same arguments as tensors, without ``rng``: dropout draws from torch's generator (seed it
    with ``torch.manual_seed``). Keeps the dtype of ``x``.

    >>> import torch
    >>> from concepts.transformer import encoder_layer, encoder_layer_torch, init_layer_params
    >>> p = init_layer_params(8, 32)
    >>> x = torch.randn(2, 3, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> out = encoder_layer_torch(x, {k: torch.from_numpy(v) for k, v in p.items()}, 2, norm_first=True)
    >>> bool(np.allclose(out.numpy(), encoder_layer(x.numpy(), p, 2, norm_first=True)))
    True
    """
    import torch.nn.functional as F

    _check_layer(
        tuple(x.shape), None, params, num_heads, {"src_valid": (src_valid, tuple(x.shape[:2]))}, activation, dropout_p
    )
    p, keep, act = params, _keep(None, src_valid), getattr(F, activation)
    norm1, norm2 = _norms(p, 2, _layer_norm_torch, eps)

    def drop(z: torch.Tensor) -> torch.Tensor:
        return F.dropout(z, dropout_p, training=dropout_p > 0)

    x = _residual(x, lambda z: _mha(z, z, p, "self_attn", num_heads, keep, _attend_torch), norm1, drop, norm_first)
    return _residual(x, lambda z: _ffn(z, p, act), norm2, drop, norm_first)


def decoder_layer(
    y: ArrayLike,
    memory: ArrayLike,
    params: Mapping[str, ArrayLike],
    num_heads: int,
    *,
    causal: bool = True,
    tgt_valid: ArrayLike | None = None,
    memory_valid: ArrayLike | None = None,
    norm_first: bool = False,
    activation: str = "relu",
    dropout_p: float = 0.0,
    rng: np.random.Generator | None = None,
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
    :param causal: position ``i`` sees target positions ``j <= i`` only (the paper's mask);
        PyTorch needs ``tgt_mask`` for this, it has no default.
    :param tgt_valid: boolean ``(batch, seq_tgt)``, ``False`` marks padding.
    :param memory_valid: boolean ``(batch, seq_src)``, ``False`` marks source padding.
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
    y, memory = np.asarray(y, dtype=np.float64), np.asarray(memory, dtype=np.float64)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    tv, mv = (None if m is None else np.asarray(m) for m in (tgt_valid, memory_valid))
    masks = {"tgt_valid": (tv, y.shape[:2]), "memory_valid": (mv, memory.shape[:2])}
    _check_layer(y.shape, memory.shape, p, num_heads, masks, activation, dropout_p)
    T, act, (norm1, norm2, norm3) = y.shape[1], _act(activation), _norms(p, 3, _layer_norm, eps)
    self_keep = _keep(np.tril(np.ones((T, T), dtype=bool)) if causal else None, tv)  # (T, T): i sees j <= i
    cross_keep = _keep(None, mv)

    def drop(z: np.ndarray) -> np.ndarray:
        return dropout(z, dropout_p, rng=rng)

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
    causal: bool = True,
    tgt_valid: torch.Tensor | None = None,
    memory_valid: torch.Tensor | None = None,
    norm_first: bool = False,
    activation: str = "relu",
    dropout_p: float = 0.0,
    eps: float = 1e-5,
) -> torch.Tensor:
    """``decoder_layer`` in PyTorch: same arguments as tensors, without ``rng``; keeps the dtype of ``y``.

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
    import torch
    import torch.nn.functional as F

    masks = {"tgt_valid": (tgt_valid, tuple(y.shape[:2])), "memory_valid": (memory_valid, tuple(memory.shape[:2]))}
    _check_layer(tuple(y.shape), tuple(memory.shape), params, num_heads, masks, activation, dropout_p)
    p, T, act = params, y.shape[1], getattr(F, activation)
    norm1, norm2, norm3 = _norms(p, 3, _layer_norm_torch, eps)
    self_keep = _keep(torch.ones(T, T, dtype=torch.bool).tril() if causal else None, tgt_valid)  # (T, T): i sees j <= i
    cross_keep = _keep(None, memory_valid)

    def drop(z: torch.Tensor) -> torch.Tensor:
        return F.dropout(z, dropout_p, training=dropout_p > 0)

    y = _residual(y, lambda z: _mha(z, z, p, "self_attn", num_heads, self_keep, _attend_torch), norm1, drop, norm_first)
    y = _residual(
        y, lambda z: _mha(z, memory, p, "cross_attn", num_heads, cross_keep, _attend_torch), norm2, drop, norm_first
    )
    return _residual(y, lambda z: _ffn(z, p, act), norm3, drop, norm_first)


def _check_loss(logits: tuple, target: Any, epsilon: float, spread: str) -> None:
    """Validate a loss call (shared by the NumPy and PyTorch versions)."""
    if len(logits) != 2 or logits[0] == 0 or logits[1] < 2:
        raise ValueError(f"logits must have shape (tokens, num_classes) with num_classes >= 2; got {logits}")
    if tuple(target.shape) != logits[:1] or "int" not in _dtype(target):
        raise ValueError(
            f"target must be integers of shape ({logits[0]},); got shape {tuple(target.shape)}, dtype {_dtype(target)}"
        )
    if target.min() < 0 or target.max() >= logits[1]:
        raise ValueError(
            f"target must lie in [0, {logits[1]}); got values from {int(target.min())} to {int(target.max())}"
        )
    if not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon must be in [0, 1]; got {epsilon!r}")
    if spread not in SPREADS:
        raise ValueError(f"spread must be one of {SPREADS}; got {spread!r}")


def smoothed_targets(target: ArrayLike, num_classes: int, *, epsilon: float = 0.1, spread: str = "all") -> np.ndarray:
    """The smoothed target distribution ``q``: most mass on the right class, ``epsilon`` spread out.

    ``spread="all"`` (PyTorch's ``label_smoothing``, Szegedy et al. 2016) mixes in the
    uniform distribution: ``q = (1 - eps) onehot + eps / K``, so the target itself gets
    ``1 - eps + eps / K``. ``spread="others"`` (tensor2tensor, fairseq) gives the target
    exactly ``1 - eps`` and each of the other ``K - 1`` classes ``eps / (K - 1)``.

    :param target: class indices, shape ``(tokens,)``.
    :param num_classes: ``K``, at least 2.
    :returns: shape ``(tokens, num_classes)``; every row sums to 1.
    :raises ValueError: for targets out of range, ``epsilon`` outside ``[0, 1]`` or an unknown ``spread``.

    >>> import numpy as np
    >>> from concepts.transformer import smoothed_targets
    >>> np.round(smoothed_targets([2], 4, epsilon=0.1), 4).tolist()  # 0.1 / 4 everywhere, plus 0.9 on class 2
    [[0.025, 0.025, 0.925, 0.025]]
    >>> np.round(smoothed_targets([2], 4, epsilon=0.1, spread="others"), 4).tolist()
    [[0.0333, 0.0333, 0.9, 0.0333]]
    """
    target = np.asarray(target)
    _check_loss((target.shape[0] if target.ndim == 1 and target.size else 1, num_classes), target, epsilon, spread)
    off = epsilon / num_classes if spread == "all" else epsilon / (num_classes - 1)
    q = np.full((target.shape[0], num_classes), off)
    on = 1 - epsilon + (off if spread == "all" else 0.0)  # q = (1 - eps) onehot + eps u, u uniform over the classes
    q[np.arange(target.shape[0]), target] = on
    return q


def label_smoothing_loss(logits: ArrayLike, target: ArrayLike, *, epsilon: float = 0.1, spread: str = "all") -> float:
    """Mean cross-entropy against the smoothed targets: ``-(1/N) sum_n sum_k q_nk log softmax(z_n)_k``.

    With the default ``spread="all"`` it equals
    ``F.cross_entropy(logits, target, label_smoothing=epsilon)``; ``epsilon = 0.1`` is the
    paper's value (section 5.4). The loss is ``H(q) + KL(q || p)``, so its minimum is the
    entropy of ``q``, reached when the model predicts ``q`` itself, not a one-hot.

    :param logits: shape ``(tokens, num_classes)``.
    :param target: class indices, shape ``(tokens,)``.
    :raises ValueError: as ``smoothed_targets``, and for logits of the wrong shape.

    >>> import numpy as np
    >>> from concepts.transformer import label_smoothing_loss
    >>> logits = np.log([[1.0, 1.0, 2.0]])  # p = (0.25, 0.25, 0.5)
    >>> round(label_smoothing_loss(logits, [2], epsilon=0.0), 4)  # -log 0.5
    0.6931
    >>> round(label_smoothing_loss(logits, [2], epsilon=0.3), 4)  # q = (0.1, 0.1, 0.8)
    0.8318
    """
    z, target = np.asarray(logits, dtype=np.float64), np.asarray(target)
    _check_loss(z.shape, target, epsilon, spread)
    z = z - z.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))  # log softmax(z), stable, (N, K)
    q = smoothed_targets(target, z.shape[1], epsilon=epsilon, spread=spread)  # (N, K)
    return float(-(q * log_p).sum(-1).mean())  # cross-entropy H(q, p), averaged over tokens


def label_smoothing_loss_torch(
    logits: torch.Tensor, target: torch.Tensor, *, epsilon: float = 0.1, spread: str = "all"
) -> torch.Tensor:
    """``label_smoothing_loss`` in PyTorch, differentiable, without building the ``(tokens, K)`` matrix ``q``.

    ``H(q, p) = q_on (-log p_target) + q_off sum_{k != target} (-log p_k)``.

    >>> import torch
    >>> from concepts.transformer import label_smoothing_loss_torch
    >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]], dtype=torch.float64)
    >>> target = torch.tensor([0, 2])
    >>> ours = label_smoothing_loss_torch(logits, target, epsilon=0.1)
    >>> bool(torch.isclose(ours, torch.nn.functional.cross_entropy(logits, target, label_smoothing=0.1)))
    True
    """
    _check_loss(tuple(logits.shape), target, epsilon, spread)
    K = logits.shape[1]
    log_p = logits.log_softmax(-1)  # (N, K)
    nll = -log_p.gather(-1, target[:, None])[:, 0]  # -log p_target, (N,)
    rest = -log_p.sum(-1) - nll  # sum of -log p_k over the other K - 1 classes, (N,)
    off = epsilon / K if spread == "all" else epsilon / (K - 1)
    on = 1 - epsilon + (off if spread == "all" else 0.0)
    return (on * nll + off * rest).mean()


def warmup_lr(step: ArrayLike, *, d_model: int = 512, warmup: int = 4000) -> np.ndarray:
    """The paper's learning rate: ``d_model^-0.5 * min(step^-0.5, step * warmup^-1.5)`` (section 5.3).

    It rises linearly for ``warmup`` steps, then decays like ``1 / sqrt(step)``; the two
    branches meet at ``step = warmup``, the peak ``(d_model * warmup)^-0.5``.

    :param step: training step(s), counted from 1.
    :param d_model: the model width (the paper's base model: 512).
    :param warmup: warm-up steps (the paper: 4000).
    :returns: float64 array of the shape of ``step``.
    :raises ValueError: for a step below 1 or not finite, or sizes that are not positive integers.

    >>> import numpy as np
    >>> from concepts.transformer import warmup_lr
    >>> round(float(warmup_lr(4000)), 7)  # the peak: 1 / sqrt(512 * 4000)
    0.0006988
    >>> warmup_lr([1, 4, 16], d_model=64, warmup=4).tolist()  # (1/8) min(1, 1/8), min(1/2, 1/2), min(1/4, 2)
    [0.015625, 0.0625, 0.03125]
    """
    step = np.asarray(step, dtype=np.float64)
    _positive(d_model=d_model, warmup=warmup)
    bad = ~np.isfinite(step) | (step < 1)
    if bad.any():
        raise ValueError(f"step must be finite and >= 1 (the schedule counts from 1); got {float(step[bad][0])}")
    return d_model**-0.5 * np.minimum(step**-0.5, step * warmup**-1.5)  # d^-0.5 min(step^-0.5, step warmup^-1.5)


def warmup_scheduler_torch(
    optimizer: torch.optim.Optimizer, *, d_model: int = 512, warmup: int = 4000
) -> torch.optim.lr_scheduler.LambdaLR:
    """``warmup_lr`` as a ``LambdaLR``; call ``scheduler.step()`` after every ``optimizer.step()``.

    ``LambdaLR`` multiplies each group's initial ``lr`` by the factor, and counts from 0, so
    the optimizer must be built with ``lr=1.0`` and the factor at count ``i`` is
    ``warmup_lr(i + 1)``: the first update uses step 1. The paper's Adam has
    ``betas=(0.9, 0.98)`` and ``eps=1e-9``.

    :raises ValueError: for a group whose ``lr`` is not 1.0, or sizes that are not positive integers.

    >>> import torch
    >>> from concepts.transformer import warmup_scheduler_torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)  # the paper: Adam, same wiring
    >>> sched = warmup_scheduler_torch(opt, d_model=64, warmup=4)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(opt.param_groups[0]["lr"])  # the rate this update uses
    ...     opt.step()
    ...     sched.step()
    >>> [round(lr, 6) for lr in lrs]  # (1/8) (step / 8) for steps 1-4, then (1/8) / sqrt(5)
    [0.015625, 0.03125, 0.046875, 0.0625, 0.055902]
    """
    from torch.optim.lr_scheduler import LambdaLR

    _positive(d_model=d_model, warmup=warmup)
    lrs = [group["lr"] for group in optimizer.param_groups]
    if any(lr != 1.0 for lr in lrs):
        raise ValueError(f"optimizer must have lr = 1.0 in every group (LambdaLR multiplies it); got {lrs}")
    return LambdaLR(optimizer, lambda i: float(warmup_lr(i + 1, d_model=d_model, warmup=warmup)))
