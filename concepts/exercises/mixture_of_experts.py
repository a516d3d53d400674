"""Checks for the mixture-of-experts exercises: top-k gating, and the Switch load-balancing loss.

The trusted references are written here in PyTorch, independently of ``concepts.mixture_of_experts``:
``torch.softmax`` then ``torch.topk`` then a division by the kept sum for the gates (the order
of Hugging Face's ``MixtralTopKRouter``), and ``N * sum_i f_i P_i`` with ``f`` counted by
``torch.nn.functional.one_hot`` over the top-k choices (the convention of ``transformers``'
``load_balancing_loss_func``, which ``tests/concepts/test_mixture_of_experts.py`` compares
with the real function). Values worked by hand and the value under even routing complete them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS", "torch_balance_loss", "torch_gates"]


def torch_gates(logits: np.ndarray, top_k: int, renormalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Softmax over all experts, top-k, renormalise: ``(weights, indices)`` in float64."""
    torch = require_torch()
    probs = torch.softmax(torch.from_numpy(np.asarray(logits, dtype=np.float64)), dim=-1)
    weights, indices = torch.topk(probs, top_k, dim=-1)
    if renormalize:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights.numpy(), indices.numpy()


def torch_balance_loss(logits: np.ndarray, top_k: int, mask: np.ndarray | None = None) -> float:
    """``N * sum_i f_i P_i`` over all layers' tokens pooled; ``f_i`` counts tokens with ``i`` in their top-k."""
    torch = require_torch()
    t = torch.from_numpy(np.asarray(logits, dtype=np.float64))
    t = t if t.ndim == 3 else t[None]  # (layers, tokens, N)
    n = t.shape[-1]
    keep = torch.ones(t.shape[1], dtype=t.dtype) if mask is None else torch.from_numpy(np.asarray(mask).reshape(-1))
    keep = keep.to(t.dtype)[None, :, None].expand(t.shape[0], -1, 1)
    probs = torch.softmax(t, dim=-1)
    chosen = torch.nn.functional.one_hot(torch.topk(probs, top_k, dim=-1).indices, n).sum(dim=-2).to(t.dtype)
    f = (chosen * keep).sum(dim=(0, 1)) / keep.sum()
    p = (probs * keep).sum(dim=(0, 1)) / keep.sum()
    return float(n * (f * p).sum())


# ---------------------------------------------------------------- mixture_of_experts.top-k-gating

_HAND = np.log([[0.1, 0.5, 0.3, 0.1], [0.4, 0.05, 0.05, 0.5]])


@check("two tokens worked by hand: probabilities (0.1, 0.5, 0.3, 0.1) give gates 0.625 and 0.375", section="moe-gating")
def check_hand_worked_example(candidate: Callable) -> None:
    """Token 0 keeps experts 1 and 2 (0.5 + 0.3 = 0.8): gates 0.5/0.8, 0.3/0.8. Token 1 keeps 3 and 0
    (0.5 + 0.4 = 0.9): 5/9 and 4/9. Without renormalisation the gates stay 0.5, 0.3 and 0.5, 0.4."""
    want = (np.array([[0.625, 0.375], [5 / 9, 4 / 9]]), np.array([[1, 2], [3, 0]]))
    compare(candidate(_HAND, 2), want, inputs={"router_logits": _HAND, "top_k": 2}, rtol=0, atol=1e-12)
    want = (np.array([[0.5, 0.3], [0.5, 0.4]]), np.array([[1, 2], [3, 0]]))
    got = candidate(_HAND, 2, renormalize=False)
    compare(got, want, inputs={"router_logits": _HAND, "top_k": 2, "renormalize": False}, rtol=0, atol=1e-12)


@check("gates and expert ids equal torch.softmax, torch.topk and a renormalisation", section="moe-gating")
def check_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for tokens, experts, k in ((1, 1, 1), (3, 4, 2), (5, 8, 2), (6, 8, 1), (4, 8, 8), (7, 16, 4)):
        logits = 2 * rng.standard_normal((tokens, experts))
        for renormalize in (True, False):
            inputs = {"router_logits": logits, "top_k": k, "renormalize": renormalize}
            got = candidate(logits, k, renormalize=renormalize)
            compare(got, torch_gates(logits, k, renormalize), inputs=inputs, rtol=1e-10, atol=1e-12)


@check("renormalised gates sum to 1 and equal a softmax over the top-k logits alone", section="moe-renormalise")
def check_softmax_of_top_k(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    logits = 3 * rng.standard_normal((6, 8))
    weights, indices = candidate(logits, 3)
    kept = np.take_along_axis(logits, np.asarray(indices), axis=-1)
    e = np.exp(kept - kept.max(-1, keepdims=True))
    compare(weights, e / e.sum(-1, keepdims=True), inputs={"router_logits": logits, "top_k": 3}, rtol=1e-10, atol=1e-12)
    expect(np.allclose(np.sum(weights, -1), 1.0), "renormalised gates must sum to 1 for every token")


@check("router logits near 1000 neither overflow nor give NaN", section="moe-gating")
def check_large_logits(candidate: Callable) -> None:
    logits = np.array([[1000.0, 1001.0, 998.0], [-1000.0, 0.0, 1000.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        got = candidate(logits, 2)
    compare(got, torch_gates(logits, 2), inputs={"router_logits": logits, "top_k": 2}, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- mixture_of_experts.balance-loss


@check("perfectly even routing gives exactly top_k (1 for Switch's top-1)", section="moe-balance-loss")
def check_even_routing(candidate: Callable) -> None:
    """Token t puts 0.7 on expert t mod 4 and 0.1 on the rest: f_i = P_i = 1/4, loss 4 * 4 / 16 = 1.
    Equal logits give P_i = 1/4 exactly, and then the loss is sum_i f_i = top_k whatever the counts."""
    even = np.log(np.where(np.eye(4, dtype=bool), 0.7, 0.1))
    compare(candidate(even), 1.0, inputs={"router_logits": even}, what="the loss", rtol=0, atol=1e-12)
    flat = np.zeros((5, 4))
    for k in (1, 2, 3):
        compare(
            candidate(flat, top_k=k), float(k), inputs={"router_logits": flat, "top_k": k}, what="the loss", atol=1e-12
        )


@check(
    "a collapsed router worked by hand: all tokens to expert 0 with p = 0.7 gives 4 * 0.7", section="moe-balance-loss"
)
def check_loss_hand_worked_example(candidate: Callable) -> None:
    """f = (1, 0, 0, 0) and P = (0.7, 0.1, 0.1, 0.1): N sum f P = 4 * 0.7 = 2.8. With top-2 the ties among
    the 0.1s are avoided by making expert 1 the second choice (0.6, 0.2, 0.1, 0.1): f = (1, 1, 0, 0),
    loss 4 * (0.6 + 0.2) = 3.2."""
    collapsed = np.log([[0.7, 0.1, 0.1, 0.1]] * 3)
    compare(candidate(collapsed), 2.8, inputs={"router_logits": collapsed}, what="the loss", rtol=0, atol=1e-12)
    two = np.log([[0.6, 0.2, 0.1, 0.1]] * 3)
    compare(candidate(two, top_k=2), 3.2, inputs={"router_logits": two, "top_k": 2}, what="the loss", atol=1e-12)


@check("equals N * sum f_i P_i in torch on random logits, top-1 to top-4, layers pooled", section="moe-balance-loss")
def check_loss_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    for shape, k in (((3, 4), 1), ((8, 4), 2), ((16, 8), 2), ((2, 10, 8), 2), ((3, 6, 16), 4)):
        logits = rng.standard_normal(shape)
        got = candidate(logits, top_k=k)
        inputs = {"router_logits": logits, "top_k": k}
        compare(got, torch_balance_loss(logits, k), inputs=inputs, what="the loss", rtol=1e-10, atol=1e-12)


@check("padding tokens (mask False) count in neither f nor P", section="moe-balance-loss")
def check_mask(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((2, 12, 4))  # two layers of batch 2 x seq 6
    mask = np.array([[True] * 6, [True] * 3 + [False] * 3])
    got = candidate(logits, top_k=2, mask=mask)
    want = torch_balance_loss(logits, 2, mask)
    compare(got, want, inputs={"router_logits": logits, "top_k": 2, "mask": mask}, what="the loss", atol=1e-12)


CHECKS: dict[str, list] = {
    "mixture_of_experts.top-k-gating": [
        check_hand_worked_example,
        check_against_torch,
        check_softmax_of_top_k,
        check_large_logits,
    ],
    "mixture_of_experts.balance-loss": [
        check_even_routing,
        check_loss_hand_worked_example,
        check_loss_against_torch,
        check_mask,
    ],
}
