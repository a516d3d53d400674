"""Checks for the flash attention exercises: the online softmax, and the tiled forward pass.

The trusted references are PyTorch's ``torch.logsumexp``, ``torch.amax`` and
``torch.nn.functional.scaled_dot_product_attention`` in float64, values worked by hand, and
one property (the result does not depend on the tile sizes). Nothing here calls
``concepts.flash_attention``; ``tests/concepts/test_flash_attention.py`` runs these checks
on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS", "torch_attention_with_lse"]


def _torch_max_and_sum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(max, sum exp(x - max))`` of the last axis, from torch.amax and torch.logsumexp."""
    torch = require_torch()
    t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    m, lse = torch.amax(t, dim=-1), torch.logsumexp(t, dim=-1)
    return m.numpy(), torch.where(m == -math.inf, 0.0, torch.exp(lse - m)).numpy()


def torch_attention_with_lse(q, k, v, *, mask=None, is_causal=False, scale=None) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's SDPA output and ``torch.logsumexp`` of the masked scaled scores, on NumPy arrays."""
    torch = require_torch()
    F = torch.nn.functional
    q, k, v = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)) for a in (q, k, v))
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=is_causal, scale=scale)
    s = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        s = s.masked_fill(~torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril(), -math.inf)
    elif m is not None and m.dtype == torch.bool:
        s = s.masked_fill(~m, -math.inf)
    elif m is not None:
        s = s + m
    return out.numpy(), torch.logsumexp(s, dim=-1).numpy()


# ---------------------------------------------------------------- flash_attention.online_softmax


@check("three scores in two blocks, worked by hand", section="flash-attention-online-softmax")
def check_online_softmax_by_hand(candidate: Callable) -> None:
    """Blocks [1, 2] and [3]: m = 3, l = e^-2 + e^-1 + 1."""
    blocks = [np.array([1.0, 2.0]), np.array([3.0])]
    want = (np.array(3.0), np.array(math.exp(-2) + math.exp(-1) + 1))
    compare(candidate(blocks), want, inputs={"block 0": blocks[0], "block 1": blocks[1]}, rtol=1e-12, atol=1e-12)


@check(
    "max and sum equal torch.amax and exp(logsumexp - max) on random blocks", section="flash-attention-online-softmax"
)
def check_online_softmax_random(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for rows, sizes in (((), (1,)), ((), (3, 2, 4)), ((2,), (2, 5)), ((3, 2), (4, 1, 3, 2))):
        blocks = [3 * rng.standard_normal((*rows, n)) for n in sizes]
        got = candidate(blocks)
        inputs = {f"block {i}": b for i, b in enumerate(blocks)}
        compare(got, _torch_max_and_sum(np.concatenate(blocks, axis=-1)), inputs=inputs, rtol=1e-10, atol=1e-12)


@check("the maximum arrives in a later block, with scores near 1000 (no overflow)", section="flash-attention-rescale")
def check_online_softmax_max_later(candidate: Callable) -> None:
    blocks = [np.array([[0.0, 1.0], [-5.0, -6.0]]), np.array([[900.0], [-4.0]]), np.array([[1000.0], [800.0]])]
    with np.errstate(over="ignore", invalid="ignore"):
        got = candidate(blocks)
    want = _torch_max_and_sum(np.concatenate(blocks, axis=-1))
    compare(got, want, inputs={f"block {i}": b for i, b in enumerate(blocks)}, rtol=1e-10, atol=1e-12)


@check("a row that is -inf in the first block and finite later", section="flash-attention-online-softmax")
def check_online_softmax_minus_inf(candidate: Callable) -> None:
    blocks = [np.array([[-np.inf, -np.inf], [0.0, -np.inf]]), np.array([[2.0, -np.inf], [-np.inf, 1.0]])]
    with np.errstate(invalid="ignore"):
        got = candidate(blocks)
    want = (np.array([2.0, 1.0]), np.array([1.0, 1.0 + math.exp(-1.0)]))
    compare(got, want, inputs={"block 0": blocks[0], "block 1": blocks[1]}, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- flash_attention.forward


def _call(candidate: Callable, q, k, v, **kwargs):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a learner's inf or NaN is reported
        return candidate(q, k, v, **kwargs)


@check("two tokens in 1 x 1 tiles, worked by hand", section="flash-attention-online-softmax")
def check_forward_by_hand(candidate: Callable) -> None:
    """x1 = (1, 1, 0, 0), x2 = (0, 0, 1, 1): scaled scores [[1, 0], [0, 1]], so each row's
    weights are (a, b) with a = e / (1 + e), and lse = log(e^1 + e^0) = log(1 + e)."""
    x = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    a, b = math.e / (1 + math.e), 1 / (1 + math.e)
    want = (np.array([[1 + 2 * b, 2 + 2 * b], [1 + 2 * a, 2 + 2 * a]]), np.full(2, math.log1p(math.e)))
    got = _call(candidate, x, x, v, block_q=1, block_k=1)
    compare(got, want, inputs={"q": x, "k": x, "v": v, "block_q": 1, "block_k": 1}, rtol=0, atol=1e-12)


FORWARD_CASES = [  # (batch, seq_q, seq_k, d_k, d_v, block_q, block_k)
    ((), 3, 5, 2, 2, 2, 2),
    ((), 7, 7, 4, 3, 3, 2),
    ((2,), 5, 9, 8, 4, 4, 4),
    ((2, 3), 11, 6, 8, 5, 3, 5),
    ((1,), 13, 13, 16, 8, 64, 5),
]


@check(
    "output equals torch SDPA and lse equals torch.logsumexp, causal or not, tiles that do not divide",
    section="flash-attention-tiling",
)
def check_forward_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    for is_causal in (False, True):
        for batch, seq_q, seq_k, d_k, d_v, bq, bk in FORWARD_CASES:
            q, k = 2 * rng.standard_normal((*batch, seq_q, d_k)), 2 * rng.standard_normal((*batch, seq_k, d_k))
            v = rng.standard_normal((*batch, seq_k, d_v))
            inputs = {"q": q, "k": k, "v": v, "is_causal": is_causal, "block_q": bq, "block_k": bk}
            got = _call(candidate, q, k, v, is_causal=is_causal, block_q=bq, block_k=bk)
            compare(got, torch_attention_with_lse(q, k, v, is_causal=is_causal), inputs=inputs, rtol=1e-9, atol=1e-11)


@check("the row maximum arrives in a later key tile, with scores near 1000", section="flash-attention-rescale")
def check_forward_max_in_later_tile(candidate: Callable) -> None:
    q = np.array([[1.0, 0.0], [0.0, 1.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0], [300.0, 10.0], [600.0, 1400.0], [1400.0, 20.0]])
    v = np.arange(10.0).reshape(5, 2)
    for bk in (2, 3):
        inputs = {"q": q, "k": k, "v": v, "scale": 1.0, "block_q": 2, "block_k": bk}
        got = _call(candidate, q, k, v, scale=1.0, block_q=2, block_k=bk)
        compare(got, torch_attention_with_lse(q, k, v, scale=1.0), inputs=inputs, rtol=1e-10, atol=1e-10)


@check("a fully masked tile and a fully masked row (output 0, lse -inf)", section="flash-attention-masked-tiles")
def check_forward_masked(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((6, 4)), rng.standard_normal((7, 4)), rng.standard_normal((7, 3))
    mask = rng.random((6, 7)) < 0.7
    mask[:3, 3:6] = False  # the tile of queries 0-2 and keys 3-5 is empty
    mask[4] = False  # query 4 sees no key at all
    inputs = {"q": q, "k": k, "v": v, "mask": mask, "block_q": 3, "block_k": 3}
    got = _call(candidate, q, k, v, mask=mask, block_q=3, block_k=3)
    want = torch_attention_with_lse(q, k, v, mask=mask)
    expect(bool((want[0][4] == 0).all()), "PyTorch's SDPA no longer returns zeros for a fully masked row")
    compare(got, want, inputs=inputs, rtol=1e-10, atol=1e-12)


@check("the result does not depend on the tile sizes", section="flash-attention-tiling")
def check_forward_tile_sizes(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((9, 4)) for _ in range(3))
    first = _call(candidate, q, k, v, is_causal=True, block_q=1, block_k=1)
    for bq, bk in ((2, 3), (4, 4), (9, 9), (16, 5)):
        got = _call(candidate, q, k, v, is_causal=True, block_q=bq, block_k=bk)
        inputs = {"q": q, "k": k, "v": v, "is_causal": True, "block_q": bq, "block_k": bk}
        compare(got, first, inputs=inputs, what="the result with other tiles than 1 x 1", rtol=1e-10, atol=1e-12)


CHECKS: dict[str, list] = {
    "flash_attention.online-softmax": [
        check_online_softmax_by_hand,
        check_online_softmax_random,
        check_online_softmax_max_later,
        check_online_softmax_minus_inf,
    ],
    "flash_attention.forward": [
        check_forward_by_hand,
        check_forward_against_torch,
        check_forward_max_in_later_tile,
        check_forward_masked,
        check_forward_tile_sizes,
    ],
}
