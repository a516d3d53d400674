"""Sparse mixture of experts: a router picks ``top_k`` of ``num_experts`` SwiGLU feed-forward blocks per token.

Follows Mixtral (Jiang et al., 2024) and Hugging Face's ``MixtralSparseMoeBlock`` for the
layer: softmax over all experts, keep the top ``k``, renormalise the kept gates to sum to 1,
and add up the chosen experts' SwiGLU outputs weighted by them. Follows Switch Transformer
(Fedus et al., 2021), equations 4 to 6, for the auxiliary load-balancing loss
``N * sum_i f_i P_i`` with the counting convention of ``transformers``'
``load_balancing_loss_func`` (a token counts once for each of its ``k`` experts), and GShard
(Lepikhin et al., 2020) for a fixed expert capacity and the tokens it drops. Leaves out router
jitter noise, the router z-loss, shared experts (DeepSeekMoE), expert parallelism and the
all-to-all communication that makes real MoE layers fast. The expert capacity and the
capacity dispatch live in ``concepts/_mixture_of_experts_capacity.py`` and are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int, require_tensor, require_torch
from concepts._mixture_of_experts_capacity import _check_top_k, dispatch_with_capacity, expert_capacity
from concepts.attention import softmax
from concepts.feed_forward import gated_feed_forward

if TYPE_CHECKING:
    import torch

__all__ = [
    "dispatch_with_capacity",
    "expert_capacity",
    "load_balancing_loss",
    "load_balancing_loss_torch",
    "moe_layer",
    "moe_layer_torch",
    "moe_param_count",
    "top_k_gating",
    "top_k_gating_torch",
]


def top_k_gating(router_logits: ArrayLike, top_k: int, *, renormalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The gates of the ``top_k`` experts of each token: softmax over all, keep the largest, renormalise.

    Mixtral's order: ``p = softmax(logits)`` over all ``num_experts``, keep the ``top_k``
    largest, divide them by their sum. That equals a softmax over the ``top_k`` logits alone
    (the dropped terms cancel from numerator and denominator). ``renormalize=False`` keeps the
    raw probabilities, as Switch Transformer does for its single expert (a gate below 1).

    :param router_logits: ``(tokens, num_experts)``, or any ``(..., num_experts)``.
    :param top_k: experts per token, ``1 <= top_k <= num_experts``.
    :param renormalize: divide the kept gates by their sum (Mixtral) or not (Switch).
    :returns: ``(weights, indices)``, both ``(..., top_k)``, largest gate first; ties go to
        the lower expert index. ``indices`` is int64.
    :raises ValueError: for a scalar input or ``top_k`` out of range.

    >>> import numpy as np
    >>> from concepts.mixture_of_experts import top_k_gating
    >>> logits = np.log([[0.1, 0.5, 0.3, 0.1]])  # probabilities 0.1, 0.5, 0.3, 0.1
    >>> w, i = top_k_gating(logits, 2)
    >>> i.tolist(), np.round(w, 4).tolist()  # 0.5 / 0.8 and 0.3 / 0.8
    ([[1, 2]], [[0.625, 0.375]])
    >>> np.round(top_k_gating(logits, 2, renormalize=False)[0], 4).tolist()
    [[0.5, 0.3]]
    """
    logits = as_array(router_logits, "router_logits")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError(f"router_logits must have shape (..., num_experts); got shape {logits.shape}")
    top_k = _check_top_k(top_k, logits.shape[-1])
    probs = softmax(logits, axis=-1)  # p_i = exp(l_i) / sum_j exp(l_j), over all experts
    indices = np.argsort(-probs, axis=-1, kind="stable")[..., :top_k]  # (..., top_k), largest first
    weights = np.take_along_axis(probs, indices, axis=-1)
    if renormalize:
        weights = weights / weights.sum(axis=-1, keepdims=True)  # g_i = p_i / sum_{j in top-k} p_j
    return weights, indices.astype(np.int64)


def top_k_gating_torch(
    router_logits: torch.Tensor, top_k: int, *, renormalize: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch mirror of ``top_k_gating``; half-precision logits are routed in float32, as Mixtral does.

    Returns float32 gates for float16/bfloat16 logits (as ``MixtralTopKRouter``), the input's
    dtype otherwise. ``torch.topk`` breaks exact ties in its own order.

    >>> import torch
    >>> from concepts.mixture_of_experts import top_k_gating_torch
    >>> w, i = top_k_gating_torch(torch.tensor([[0.1, 0.5, 0.3, 0.1]]).log(), 2)
    >>> i.tolist(), [round(a, 4) for a in w[0].tolist()]
    ([[1, 2]], [0.625, 0.375])
    """
    torch = require_torch()
    logits = require_tensor(router_logits, "router_logits")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError(f"router_logits must have shape (..., num_experts); got shape {tuple(logits.shape)}")
    top_k = _check_top_k(top_k, logits.shape[-1])
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()  # the router's softmax in float32 even in a half-precision model
    weights, indices = torch.topk(torch.softmax(logits, dim=-1), top_k, dim=-1)  # (..., top_k)
    if renormalize:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights, indices


def _check_moe(x: tuple, router: tuple, w_gate: tuple, w_up: tuple, w_down: tuple) -> None:
    if len(x) < 1 or 0 in x:
        raise ValueError(f"x must have shape (..., d_model) with non-zero sizes; got {x}")
    d_model = x[-1]
    if len(router) != 2 or router[0] != d_model:
        raise ValueError(f"router_weight must have shape (d_model, num_experts) = ({d_model}, E); got {router}")
    num_experts = router[1]
    if len(w_gate) != 3 or w_gate[:2] != (num_experts, d_model):
        raise ValueError(
            f"w_gate must have shape (num_experts, d_model, d_ff) = ({num_experts}, {d_model}, d_ff); got {w_gate}"
        )
    if w_up != w_gate:
        raise ValueError(f"w_up must have the shape of w_gate, {w_gate}; got {w_up}")
    if w_down != (num_experts, w_gate[2], d_model):
        raise ValueError(
            f"w_down must have shape (num_experts, d_ff, d_model) = {(num_experts, w_gate[2], d_model)}; got {w_down}"
        )


def moe_layer(
    x: ArrayLike,
    router_weight: ArrayLike,
    w_gate: ArrayLike,
    w_up: ArrayLike,
    w_down: ArrayLike,
    *,
    top_k: int = 2,
    renormalize: bool = True,
    capacity_factor: float | None = None,
) -> np.ndarray:
    """A sparse MoE layer: ``y = sum_{i in top-k(x)} g_i(x) E_i(x)`` with SwiGLU experts.

    ``E_i(x) = (silu(x W_gate[i]) * x W_up[i]) W_down[i]``; the gates ``g`` come from
    ``top_k_gating(x @ router_weight, top_k, renormalize=renormalize)``. With ``top_k =
    num_experts`` and renormalisation this is the dense mixture ``sum_i softmax(x W_r)_i E_i(x)``.

    :param x: ``(..., d_model)``; every position is routed on its own.
    :param router_weight: ``(d_model, num_experts)``, no bias.
    :param w_gate: ``(num_experts, d_model, d_ff)``.
    :param w_up: ``(num_experts, d_model, d_ff)``.
    :param w_down: ``(num_experts, d_ff, d_model)``.
    :param top_k: experts per token (2 in Mixtral, 1 in Switch).
    :param renormalize: see ``top_k_gating``.
    :param capacity_factor: ``None`` for no capacity limit (Mixtral); otherwise assignments
        over ``expert_capacity`` are dropped, see ``dispatch_with_capacity``.
    :returns: float64 ``(..., d_model)``.
    :raises ValueError: for mismatched shapes or ``top_k`` out of range.

    >>> import numpy as np
    >>> from concepts.mixture_of_experts import moe_layer
    >>> w_gate = np.full((2, 1, 1), 100.0)  # silu(100 x) ~ 100 x for x > 0
    >>> w_up, w_down = np.ones((2, 1, 1)), np.array([[[1.0]], [[3.0]]])  # expert 1 = 3 x expert 0
    >>> router = np.log([[1.0, 3.0]])  # gates 0.25 and 0.75 for x = 1
    >>> np.round(moe_layer([[1.0]], router, w_gate, w_up, w_down, top_k=2), 4).tolist()  # 100 (0.25 + 2.25)
    [[250.0]]
    >>> np.round(moe_layer([[1.0]], router, w_gate, w_up, w_down, top_k=1), 4).tolist()  # expert 1 alone
    [[300.0]]
    """
    arrays = [
        as_array(a, n)
        for a, n in ((x, "x"), (router_weight, "router_weight"), (w_gate, "w_gate"), (w_up, "w_up"), (w_down, "w_down"))
    ]
    x, router_weight, w_gate, w_up, w_down = arrays
    _check_moe(*(a.shape for a in arrays))
    tokens = x.reshape(-1, x.shape[-1])  # (T, d_model)
    weights, indices = top_k_gating(tokens @ router_weight, top_k, renormalize=renormalize)  # (T, k) each
    if capacity_factor is not None:
        weights = np.where(
            dispatch_with_capacity(indices, router_weight.shape[1], capacity_factor=capacity_factor), weights, 0.0
        )
    out = np.zeros_like(tokens)
    for e in range(router_weight.shape[1]):
        rows, slot = np.nonzero(indices == e)  # tokens routed to expert e, and in which slot
        if rows.size:
            y = gated_feed_forward(tokens[rows], w_gate[e], w_up[e], w_down[e])  # E_e(x), (n_e, d_model)
            np.add.at(out, rows, weights[rows, slot, None] * y)  # y += g_e(x) E_e(x)
    return out.reshape(x.shape)


def moe_layer_torch(
    x: torch.Tensor,
    router_weight: torch.Tensor,
    w_gate: torch.Tensor,
    w_up: torch.Tensor,
    w_down: torch.Tensor,
    *,
    top_k: int = 2,
    renormalize: bool = True,
    capacity_factor: float | None = None,
) -> torch.Tensor:
    """PyTorch mirror of ``moe_layer``: same arguments, weights ``(in, out)`` as in the NumPy version.

    Keeps ``x``'s dtype; in float16/bfloat16 the gates are float32 (see ``top_k_gating_torch``),
    each expert's output is multiplied by its gate in float32 and rounded back, as Hugging Face's
    Mixtral does.

    >>> import torch
    >>> from concepts.mixture_of_experts import moe_layer_torch
    >>> w_gate, w_up = torch.full((2, 1, 1), 100.0), torch.ones(2, 1, 1)
    >>> w_down = torch.tensor([[[1.0]], [[3.0]]])
    >>> router = torch.tensor([[1.0, 3.0]]).log()
    >>> round(moe_layer_torch(torch.ones(1, 1), router, w_gate, w_up, w_down).item(), 2)
    250.0
    """
    torch = require_torch()
    named = ((x, "x"), (router_weight, "router_weight"), (w_gate, "w_gate"), (w_up, "w_up"), (w_down, "w_down"))
    for t, n in named:
        require_tensor(t, n)
    _check_moe(*(tuple(t.shape) for t, _ in named))
    num_experts = router_weight.shape[1]
    tokens = x.reshape(-1, x.shape[-1])  # (T, d_model)
    weights, indices = top_k_gating_torch(tokens @ router_weight, top_k, renormalize=renormalize)
    if capacity_factor is not None:
        kept = dispatch_with_capacity(indices.cpu().numpy(), num_experts, capacity_factor=capacity_factor)
        weights = weights * torch.from_numpy(kept).to(weights.device)
    out = torch.zeros_like(tokens)
    F = torch.nn.functional
    for e in range(num_experts):
        rows, slot = torch.nonzero(indices == e, as_tuple=True)
        if rows.numel():
            h = tokens[rows]
            y = (F.silu(h @ w_gate[e]) * (h @ w_up[e])) @ w_down[e]  # SwiGLU expert, (n_e, d_model)
            out.index_add_(0, rows, (y * weights[rows, slot, None]).to(out.dtype))
    return out.reshape(x.shape)


def load_balancing_loss(router_logits: ArrayLike, *, top_k: int = 1, mask: ArrayLike | None = None) -> float:
    """Switch Transformer's auxiliary loss ``N * sum_i f_i P_i``, as ``transformers`` computes it.

    ``P_i`` is the mean router probability of expert ``i`` (softmax over all experts);
    ``f_i`` is the fraction of tokens that have ``i`` among their ``top_k`` experts, so
    ``sum_i f_i = top_k``. Perfectly even routing (``f_i = top_k / N``, ``P_i = 1 / N``) gives
    ``top_k``: exactly 1 for Switch's top-1. ``f`` is a count and has no gradient; the loss
    trains the router through ``P``. Layers are pooled, not averaged: a 3-D input is one
    long list of tokens, as ``load_balancing_loss_func`` concatenates its tuple.

    :param router_logits: ``(tokens, num_experts)`` or ``(num_layers, tokens, num_experts)``.
    :param top_k: experts per token used to count ``f``.
    :param mask: optional boolean of ``tokens`` entries (any shape, e.g. ``(batch, seq_len)``),
        ``True`` for real tokens; padding is left out of both ``f`` and ``P`` in every layer.
    :returns: the loss, a float.
    :raises ValueError: for a wrong rank, a mask of the wrong size or with no real token.

    >>> import numpy as np
    >>> from concepts.mixture_of_experts import load_balancing_loss
    >>> even = np.log([[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1], [0.1, 0.1, 0.1, 0.7]])
    >>> round(load_balancing_loss(even), 6)  # f = P = 1/4 for every expert: 4 * 4 / 16
    1.0
    >>> round(load_balancing_loss(np.log([[0.7, 0.1, 0.1, 0.1]] * 4)), 6)  # all to expert 0: 4 * 0.7
    2.8
    """
    logits = as_array(router_logits, "router_logits")
    if logits.ndim not in (2, 3) or 0 in logits.shape:
        raise ValueError(
            "router_logits must have shape (tokens, num_experts) or (num_layers, tokens, num_experts); "
            f"got {logits.shape}"
        )
    logits = logits if logits.ndim == 3 else logits[None]
    num_experts = logits.shape[-1]
    top_k = _check_top_k(top_k, num_experts)
    keep = (
        np.ones(logits.shape[1]) if mask is None else as_array(mask, "mask", dtype=None).reshape(-1).astype(np.float64)
    )
    if keep.size != logits.shape[1] or keep.sum() == 0:
        raise ValueError(
            f"mask must have {logits.shape[1]} entries with at least one True; "
            f"got {keep.size} entries, {int(keep.sum())} True"
        )
    probs = softmax(logits, axis=-1)  # (layers, T, N)
    _, idx = top_k_gating(logits, top_k)
    chosen = (idx[..., None] == np.arange(num_experts)).any(axis=-2)  # (layers, T, N): i among the token's top-k
    rows = keep.sum() * logits.shape[0]
    f = (chosen * keep[:, None]).sum(axis=(0, 1)) / rows  # fraction of tokens sent to expert i
    p = (probs * keep[:, None]).sum(axis=(0, 1)) / rows  # mean router probability of expert i
    return float(num_experts * np.sum(f * p))  # N sum_i f_i P_i


def load_balancing_loss_torch(
    router_logits: torch.Tensor, *, top_k: int = 1, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """PyTorch mirror of ``load_balancing_loss``, differentiable through ``P`` (``f`` is a count).

    >>> import torch
    >>> from concepts.mixture_of_experts import load_balancing_loss_torch
    >>> logits = torch.tensor([[0.7, 0.1, 0.1, 0.1]] * 4, requires_grad=True)
    >>> loss = load_balancing_loss_torch(logits.log())
    >>> loss.backward()  # the gradient reaches the logits through P only
    >>> round(loss.item(), 4), logits.grad.shape
    (2.8, torch.Size([4, 4]))
    """
    torch = require_torch()
    logits = require_tensor(router_logits, "router_logits")
    if logits.ndim not in (2, 3) or 0 in logits.shape:
        raise ValueError(
            f"router_logits must have shape (tokens, N) or (num_layers, tokens, N); got {tuple(logits.shape)}"
        )
    logits = logits if logits.ndim == 3 else logits[None]
    num_experts = logits.shape[-1]
    top_k = _check_top_k(top_k, num_experts)
    keep = torch.ones(logits.shape[1]) if mask is None else require_tensor(mask, "mask").reshape(-1)
    keep = keep.to(device=logits.device, dtype=torch.float32 if logits.dtype != torch.float64 else torch.float64)
    if keep.numel() != logits.shape[1] or keep.sum() == 0:
        raise ValueError(f"mask must have {logits.shape[1]} entries with at least one True; got {keep.numel()}")
    probs = torch.softmax(logits.to(keep.dtype), dim=-1)  # (layers, T, N)
    chosen = torch.nn.functional.one_hot(probs.topk(top_k, dim=-1).indices, num_experts).sum(dim=-2)
    rows = keep.sum() * logits.shape[0]
    f = (chosen * keep[:, None]).sum(dim=(0, 1)) / rows  # a count: no gradient flows through f
    p = (probs * keep[:, None]).sum(dim=(0, 1)) / rows
    return num_experts * (f * p).sum()  # N sum_i f_i P_i


def moe_param_count(
    *,
    d_model: int,
    d_ff: int,
    num_layers: int,
    num_heads: int,
    num_kv_heads: int,
    vocab_size: int,
    num_experts: int,
    top_k: int,
    tie_embeddings: bool = False,
) -> tuple[int, int]:
    """Total and active parameters of a Mixtral-style decoder: ``(total, active)``.

    Per layer: grouped-query attention without biases (``2 d^2 + 2 d kv_heads head_dim``),
    a router (``d N``), ``N`` SwiGLU experts of ``3 d d_ff`` each and two RMSNorm weights;
    plus the embedding, the final norm and an untied LM head. Active parameters count only
    ``top_k`` experts per layer: the weights one token multiplies (the router runs for all).

    >>> from concepts.mixture_of_experts import moe_param_count
    >>> total, active = moe_param_count(d_model=4096, d_ff=14336, num_layers=32, num_heads=32,
    ...                                 num_kv_heads=8, vocab_size=32000, num_experts=8, top_k=2)
    >>> round(total / 1e9, 1), round(active / 1e9, 1)  # Mixtral 8x7B
    (46.7, 12.9)
    """
    d, d_ff, layers, heads, kv = (
        require_positive_int(v, n)
        for v, n in (
            (d_model, "d_model"),
            (d_ff, "d_ff"),
            (num_layers, "num_layers"),
            (num_heads, "num_heads"),
            (num_kv_heads, "num_kv_heads"),
        )
    )
    vocab, num_experts = (
        require_positive_int(vocab_size, "vocab_size"),
        require_positive_int(num_experts, "num_experts"),
    )
    top_k = _check_top_k(top_k, num_experts)
    if d % heads or heads % kv:
        raise ValueError(f"d_model must divide by num_heads and num_heads by num_kv_heads; got {d}, {heads}, {kv}")
    head_dim = d // heads
    shared = 2 * d * d + 2 * d * kv * head_dim + d * num_experts + 2 * d  # q, o, k, v, router, two norms
    expert = 3 * d * d_ff  # gate, up and down projections
    outside = vocab * d * (1 if tie_embeddings else 2) + d  # embedding, LM head, final norm
    total = layers * (shared + num_experts * expert) + outside
    active = layers * (shared + top_k * expert) + outside
    return total, active
