"""The Transformer's parameters, size and cost: shapes, initialisation, conversion, counts, FLOPs (a private helper).

Counts follow Vaswani et al. (2017), Table 3; FLOPs follow Kaplan et al. (2020), "Scaling
Laws for Neural Language Models", Table 1: a multiply-add is two FLOPs, the forward pass
costs about ``2N`` per token plus the attention scores, and training about three times the
forward pass. The public names are re-exported by :mod:`concepts.transformer`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from concepts._checks import require_positive_int, require_rng, require_torch

if TYPE_CHECKING:
    import torch

__all__ = [
    "decoder_layer_param_count",
    "encoder_layer_param_count",
    "init_layer_params",
    "layer_params_from_torch",
    "transformer_flops",
    "transformer_param_count",
]


def _shapes(d_model: int, d_ff: int, *, decoder: bool) -> dict[str, tuple[int, ...]]:
    """Every parameter of one layer and its shape: the keys of a params dict."""
    shapes: dict[str, tuple[int, ...]] = {}
    for a in ("self_attn", "cross_attn") if decoder else ("self_attn",):
        shapes |= {f"{a}.w_{c}": (d_model, d_model) for c in "qkvo"} | {f"{a}.b_{c}": (d_model,) for c in "qkvo"}
    shapes |= {"ffn.w_1": (d_model, d_ff), "ffn.b_1": (d_ff,), "ffn.w_2": (d_ff, d_model), "ffn.b_2": (d_model,)}
    for i in range(1, 4 if decoder else 3):
        shapes |= {f"norm{i}.gamma": (d_model,), f"norm{i}.beta": (d_model,)}
    return shapes


def init_layer_params(
    d_model: int, d_ff: int, *, decoder: bool = False, rng: np.random.Generator | int | None = 0
) -> dict[str, np.ndarray]:
    """Random parameters of one layer: ``N(0, 1/d_in)`` matrices, ``N(0, 0.1^2)`` biases, ``gamma = 1, beta = 0``.

    Keys: ``self_attn.w_q`` ... ``self_attn.b_o`` (and ``cross_attn.*`` for a decoder),
    ``ffn.w_1`` ``(d_model, d_ff)``, ``ffn.b_1``, ``ffn.w_2`` ``(d_ff, d_model)``, ``ffn.b_2``,
    and ``norm1.gamma``, ``norm1.beta``, ... (two LayerNorms in an encoder, three in a decoder).

    :param rng: a Generator, an int seed (default 0, so the same call gives the same layer) or None.

    >>> from concepts.transformer import decoder_layer_param_count, init_layer_params
    >>> p = init_layer_params(8, 32, decoder=True)
    >>> p["cross_attn.w_k"].shape, p["ffn.w_2"].shape, p["norm3.gamma"].tolist()[:3]
    ((8, 8), (32, 8), [1.0, 1.0, 1.0])
    >>> sum(a.size for a in p.values()) == decoder_layer_param_count(8, 32)
    True
    """
    require_positive_int(d_model, "d_model")
    require_positive_int(d_ff, "d_ff")
    rng = require_rng(rng)
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
    nn = require_torch().nn
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


def _attention_params(d_model: int) -> int:
    return 4 * d_model * d_model + 4 * d_model  # W_q, W_k, W_v, W_o and their biases


def _ffn_params(d_model: int, d_ff: int) -> int:
    return 2 * d_model * d_ff + d_ff + d_model  # W_1, b_1, W_2, b_2


def encoder_layer_param_count(d_model: int, d_ff: int) -> int:
    """Parameters of one encoder layer: ``4d^2 + 4d`` (attention) ``+ 2 d d_ff + d_ff + d`` (FFN) ``+ 4d`` (2 norms).

    The number of heads does not appear: the heads split ``d_model``, they do not add to it.

    :raises ValueError: for a size that is not a positive integer.

    >>> from concepts.transformer import encoder_layer_param_count
    >>> encoder_layer_param_count(512, 2048)  # the base model's encoder layer
    3152384
    """
    d_model, d_ff = require_positive_int(d_model, "d_model"), require_positive_int(d_ff, "d_ff")
    return _attention_params(d_model) + _ffn_params(d_model, d_ff) + 2 * (2 * d_model)


def decoder_layer_param_count(d_model: int, d_ff: int) -> int:
    """Parameters of one decoder layer: two attentions (self and cross), the FFN and three LayerNorms.

    :raises ValueError: for a size that is not a positive integer.

    >>> from concepts.transformer import decoder_layer_param_count
    >>> decoder_layer_param_count(512, 2048)  # the base model's decoder layer
    4204032
    """
    d_model, d_ff = require_positive_int(d_model, "d_model"), require_positive_int(d_ff, "d_ff")
    return 2 * _attention_params(d_model) + _ffn_params(d_model, d_ff) + 3 * (2 * d_model)


def transformer_param_count(
    num_layers: int = 6,
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
    for name, n in {"num_layers": num_layers, "vocab_size": vocab_size}.items():
        require_positive_int(n, name)
    layers = num_layers * (encoder_layer_param_count(d_model, d_ff) + decoder_layer_param_count(d_model, d_ff))
    embeddings = (1 if tied else 3) * vocab_size * d_model  # source, target and pre-softmax matrices
    return layers + embeddings + (4 * d_model if final_norms else 0)


def transformer_flops(
    num_layers: int,
    d_model: int,
    seq_len: int,
    *,
    d_ff: int | None = None,
    vocab_size: int = 0,
    is_causal: bool = True,
    training: bool = False,
) -> int:
    """FLOPs per token of a decoder-only stack (Kaplan et al. 2020): ``2N`` plus attention, times 3 to train.

    ``N = num_layers (4 d^2 + 2 d d_ff)`` counts the weight matrices (biases, norms and
    embeddings left out); each weight is one multiply-add, two FLOPs, per token. Attention
    adds ``Q K^T`` and ``A V``: ``4 seq_len d_model`` per token and layer when every score
    is computed (``is_causal=False``, what a dense kernel does), half of it when only the
    causal triangle counts (Kaplan's ``2 n_layer n_ctx d_attn``). ``vocab_size`` adds the
    output projection, ``2 d_model vocab_size``. The backward pass costs twice the forward
    pass (a gradient for the input and one for the weights), so ``training=True`` triples
    the count: ``6N`` per token.

    :param num_layers: layers in the stack.
    :param d_model: model width.
    :param seq_len: context length the attention scores span.
    :param d_ff: FFN width, ``4 d_model`` by default.
    :param vocab_size: size of the output projection, 0 to leave it out.
    :param is_causal: count only the causal half of the attention scores.
    :param training: forward plus backward (three times the forward pass).
    :returns: FLOPs per token, an integer.
    :raises ValueError: for a size that is not a positive integer, or a negative vocabulary.

    >>> from concepts.transformer import transformer_flops
    >>> transformer_flops(2, 16, 10, d_ff=48)  # 2 N = 2 * 2 * (4 * 256 + 2 * 16 * 48) = 10240, plus 2 * 2 * 10 * 16
    10880
    >>> transformer_flops(2, 16, 10, d_ff=48, training=True)
    32640
    """
    num_layers, d_model = require_positive_int(num_layers, "num_layers"), require_positive_int(d_model, "d_model")
    seq_len = require_positive_int(seq_len, "seq_len")
    d_ff = 4 * d_model if d_ff is None else require_positive_int(d_ff, "d_ff")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 0:
        raise ValueError(f"vocab_size must be a non-negative integer; got {vocab_size!r}")
    n = num_layers * (4 * d_model * d_model + 2 * d_model * d_ff)  # N: non-embedding weights
    attention = (2 if is_causal else 4) * num_layers * seq_len * d_model  # Q K^T and A V, per token
    forward = 2 * n + attention + 2 * d_model * vocab_size  # 2 FLOPs per weight per token
    return 3 * forward if training else forward
