"""Attention masks and BERT's input masking, checked against PyTorch in float64.

The references: ``torch.nn.functional.scaled_dot_product_attention`` (SDPA) fed the same
masks, attention over each sequence with its padding cut off, ``nn.MultiheadAttention``'s
``key_padding_mask`` (True = ignore), ``torch.softmax`` for the NaN of a fully masked row,
and ``F.cross_entropy``'s default ``ignore_index``. Each ``check_*`` takes the function
under test (a mask builder with the signature of ``batch_attention_mask``, or of
``mlm_mask``), so the same checks can grade a learner's solution.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import check_numeric_keys

from concepts.attention import scaled_dot_product_attention
from concepts.exercises._harness import run_checks
from concepts.exercises.masking import CHECKS, check_batch_causality, one_layer
from concepts.masking import (
    IGNORE_INDEX,
    batch_attention_mask,
    batch_attention_mask_torch,
    causal_mask,
    masked_softmax,
    masked_softmax_torch,
    mlm_mask,
    padding_mask,
    prefix_lm_mask,
    to_additive,
    to_boolean,
)

MaskFn = Callable[..., np.ndarray]
BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "masking.json"


def via_torch(keep: np.ndarray, **kwargs) -> np.ndarray:
    """The PyTorch mirror on NumPy arrays."""
    return batch_attention_mask_torch(torch.from_numpy(keep), **kwargs).numpy()


MASK_FNS = {"numpy": batch_attention_mask, "torch": via_torch}


def sdpa(q: np.ndarray, k: np.ndarray, v: np.ndarray, *, mask=None, is_causal: bool = False) -> np.ndarray:
    """PyTorch's SDPA on float64 NumPy arrays."""
    t = [torch.from_numpy(np.ascontiguousarray(a)) for a in (q, k, v)]
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    return F.scaled_dot_product_attention(*t, attn_mask=m, is_causal=is_causal).numpy()


def assert_close(got, want) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def random_lengths(rng: np.random.Generator, batch: int, seq: int) -> np.ndarray:
    """Lengths in [1, seq], with the longest equal to seq (as in a real padded batch)."""
    lengths = rng.integers(1, seq + 1, size=batch)
    lengths[rng.integers(batch)] = seq
    return lengths


# ---------------------------------------------------------------- padding mask


def check_padding_mask(padding_fn: Callable[..., np.ndarray]) -> None:
    """Right padding keeps the first `length` positions, left padding the last; default seq_len = max."""
    assert padding_fn([2, 4, 1]).tolist() == [
        [True, True, False, False],
        [True, True, True, True],
        [True, False, False, False],
    ]
    assert padding_fn([2, 0], 3, side="left").tolist() == [[False, True, True], [False, False, False]]
    assert padding_fn([1]).tolist() == [[True]]  # length 1, batch of one
    rng = np.random.default_rng(0)
    lengths = random_lengths(rng, 6, 9)
    for side in ("right", "left"):
        keep = padding_fn(lengths, 9, side=side)
        assert keep.shape == (6, 9) and (keep.sum(1) == lengths).all()
        real = keep if side == "right" else keep[:, ::-1]
        assert (np.diff(real.astype(int), axis=1) <= 0).all(), "real tokens must be contiguous"


@pytest.mark.parametrize("impl", MASK_FNS)
def test_the_exercise_checks_pass_on_our_implementations(impl: str) -> None:
    """The checks that grade a learner's masking.batch-mask, run on ours (NumPy and PyTorch)."""
    failed = [(r.name, r.message) for r in run_checks(CHECKS["masking.batch-mask"], MASK_FNS[impl]) if not r.passed]
    assert not failed, failed


def test_the_causal_mask_exercise_checks_pass_on_ours() -> None:
    failed = [(r.name, r.message) for r in run_checks(CHECKS["masking.causal-mask"], causal_mask) if not r.passed]
    assert not failed, failed


def test_padding_mask() -> None:
    check_padding_mask(padding_mask)


# ---------------------------------------------------------------- against SDPA and the unpadded sequences

# (batch, heads, seq, d_k)
SHAPES = [(1, 1, 1, 4), (1, 2, 5, 8), (3, 2, 7, 4), (4, 4, 16, 8)]


def check_padding_against_sdpa(mask_fn: MaskFn, batch: int, heads: int, seq: int, d_k: int, side: str, causal: bool):
    """With the padding (and causal) mask, every real query's output equals attention over its
    own unpadded sequence; the mask gives the same result in our attention, in SDPA, and as an
    additive mask."""
    rng = np.random.default_rng(seq + 10 * batch)
    q, k, v = (rng.standard_normal((batch, heads, seq, d_k)) for _ in range(3))
    lengths = random_lengths(rng, batch, seq)
    keep = padding_mask(lengths, seq, side=side)
    mask = mask_fn(keep, is_causal=causal)
    assert mask.shape == (batch, 1, seq, seq) and mask.dtype == bool
    out = sdpa(q, k, v, mask=mask)
    assert_close(scaled_dot_product_attention(q, k, v, mask=mask)[0], out)
    assert_close(sdpa(q, k, v, mask=to_additive(mask)), out)
    for b in range(batch):
        real = np.flatnonzero(keep[b])
        alone = sdpa(q[b][:, real], k[b][:, real], v[b][:, real], is_causal=causal)  # (h, length, d_k)
        assert_close(out[b][:, real], alone)


@pytest.mark.parametrize("impl", MASK_FNS)
@pytest.mark.parametrize("causal", [False, True], ids=["padding", "padding+causal"])
@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_padding_against_sdpa(impl: str, side: str, causal: bool, shape) -> None:
    check_padding_against_sdpa(MASK_FNS[impl], *shape, side, causal)


def check_multihead_attention_convention(mask_fn: MaskFn) -> None:
    """nn.MultiheadAttention takes the inverse: True in key_padding_mask / attn_mask means ignore."""
    torch.manual_seed(0)
    batch, seq, d = 3, 6, 8
    mha = torch.nn.MultiheadAttention(d, 2, batch_first=True, dtype=torch.float64)
    x = torch.randn(batch, seq, d, dtype=torch.float64)
    keep = padding_mask([6, 3, 4])
    causal = torch.ones(seq, seq, dtype=torch.bool).tril()
    with torch.no_grad():
        want, _ = mha(x, x, x, key_padding_mask=torch.from_numpy(~keep), attn_mask=~causal, need_weights=False)
        q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).split(d, dim=-1)
        q, k, v = (t.view(batch, seq, 2, d // 2).transpose(1, 2) for t in (q, k, v))  # (B, h, T, d_k)
        mask = torch.from_numpy(mask_fn(keep, is_causal=True))  # (B, 1, T, T), True = attend
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(batch, seq, d)
        got = mha.out_proj(o)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("impl", MASK_FNS)
def test_multihead_attention_convention(impl: str) -> None:
    check_multihead_attention_convention(MASK_FNS[impl])


# ---------------------------------------------------------------- invariance: the future and the padding


@pytest.mark.parametrize("impl", MASK_FNS)
def test_changing_a_future_token_never_changes_an_earlier_output(impl: str) -> None:
    check_batch_causality(MASK_FNS[impl])


def check_padding_invisible(mask_fn: MaskFn) -> None:
    """Whatever sits at a padded position, no real token's output changes (both sides, all structures)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 9, 8))
    lengths = np.array([9, 4, 1, 6])
    for side in ("right", "left"):
        keep = padding_mask(lengths, 9, side=side)
        for kwargs in ({}, {"is_causal": True}, {"prefix_len": 3}):
            mask = mask_fn(keep, **kwargs)
            out = one_layer(x, mask)
            x2 = np.where(keep[..., None], x, 1e3 * rng.standard_normal(x.shape))  # new padding embeddings
            out2 = one_layer(x2, mask)
            np.testing.assert_array_equal(out2[keep], out[keep])
            # without the padding mask the change leaks, except under right padding + causal,
            # where the padding always comes after every real token
            no_padding = mask_fn(np.ones_like(keep), **kwargs)
            leaks = not np.allclose(one_layer(x2, no_padding)[keep], one_layer(x, no_padding)[keep])
            assert leaks == (side == "left" or not kwargs.get("is_causal", False))


@pytest.mark.parametrize("impl", MASK_FNS)
def test_changing_a_padded_token_never_changes_a_real_output(impl: str) -> None:
    check_padding_invisible(MASK_FNS[impl])


# ---------------------------------------------------------------- prefix-LM


def check_prefix_lm(mask_fn: MaskFn) -> None:
    """The prefix-LM mask against one written by hand, its two extremes, and what it means."""
    hand = np.array(
        [
            [1, 1, 0, 0, 0],  # prefix tokens see the whole prefix, forwards too
            [1, 1, 0, 0, 0],
            [1, 1, 1, 0, 0],  # after the prefix: causal
            [1, 1, 1, 1, 0],
            [1, 1, 1, 1, 1],
        ],
        dtype=bool,
    )
    keep = np.ones((1, 5), dtype=bool)
    assert (mask_fn(keep, prefix_len=2)[0, 0] == hand).all()
    assert (mask_fn(keep, prefix_len=0) == mask_fn(keep, is_causal=True)).all()
    assert mask_fn(keep, prefix_len=5).all()
    # a prefix token's output depends on a later prefix token, never on the target after it
    x = np.random.default_rng(3).standard_normal((1, 5, 8))
    mask = mask_fn(keep, prefix_len=2)
    out = one_layer(x, mask)
    later_prefix, target = x.copy(), x.copy()
    later_prefix[0, 1] += 1.0
    target[0, 2:] += 1.0
    assert not np.allclose(one_layer(later_prefix, mask)[0, 0], out[0, 0])
    np.testing.assert_array_equal(one_layer(target, mask)[0, :2], out[0, :2])


@pytest.mark.parametrize("impl", MASK_FNS)
def test_prefix_lm(impl: str) -> None:
    check_prefix_lm(MASK_FNS[impl])


def test_prefix_lm_mask_matches_the_batched_one() -> None:
    for seq, prefix in [(1, 0), (1, 1), (6, 3), (8, 8)]:
        assert (prefix_lm_mask(seq, prefix) == batch_attention_mask(np.ones((1, seq), bool), prefix_len=prefix)).all()


# ---------------------------------------------------------------- fully masked rows


def check_fully_masked_rows(mask_fn: MaskFn) -> None:
    """Left padding + causal: a leading pad query sees only keys at or before it, all padding.

    Its row of scores is all -inf: a plain softmax (ours or torch's) gives NaN there and only
    there; SDPA gives zeros; the fixes give finite results; the real rows are untouched.
    """
    rng = np.random.default_rng(4)
    keep = padding_mask([5, 2], 5, side="left")
    mask = mask_fn(keep, is_causal=True)  # (2, 1, 5, 5)
    empty = ~mask.any(-1)  # (2, 1, 5)
    assert empty.sum() == 3 and empty[1, 0, :3].all(), "rows 0-2 of the second sequence"
    q, k, v = (rng.standard_normal((2, 2, 5, 4)) for _ in range(3))
    scores = q @ k.swapaxes(-1, -2) / 2.0  # (B, h, T, T)
    naive = masked_softmax(scores, mask)
    assert (np.isnan(naive).any(-1) == np.broadcast_to(empty, (2, 2, 5))).all()
    reference = torch.softmax(torch.from_numpy(scores).masked_fill(~torch.from_numpy(mask), -math.inf), -1)
    assert (reference.isnan().numpy() == np.isnan(naive)).all()
    # fix 1: SDPA returns zeros for those rows (torch 2.5 and later); ours does the same
    out = sdpa(q, k, v, mask=mask)
    assert (out[1, :, :3] == 0).all() and not np.isnan(out).any()
    fixed = masked_softmax(scores, mask, zero_empty_rows=True)
    assert_close(fixed @ v, out)
    # fix 2: replace the NaN afterwards; the real rows are the same either way
    assert_close(np.nan_to_num(naive, nan=0.0), fixed)
    # fix 3: a finite fill: the empty rows become uniform (finite, meaningless, never used)
    finite = masked_softmax(scores, mask, fill=-1e9)
    assert_close(finite[1, :, :3], np.full((2, 3, 5), 0.2))
    real = np.broadcast_to(keep[:, None, :, None], naive.shape)
    assert_close(np.where(real, finite, 0.0), np.where(real, fixed, 0.0))
    # right padding: every query sees key 0, so no row is empty unless padded queries are masked too
    right = padding_mask([5, 2], 5)
    assert mask_fn(right, is_causal=True).any(-1).all()
    assert (~mask_fn(right, is_causal=True, mask_queries=True).any(-1)).sum() == 3


@pytest.mark.parametrize("impl", MASK_FNS)
def test_fully_masked_rows(impl: str) -> None:
    check_fully_masked_rows(MASK_FNS[impl])


def test_nan_spreads_into_the_loss_unless_the_rows_are_fixed() -> None:
    keep = padding_mask([3, 1], 3, side="left")
    weights = masked_softmax(np.zeros((2, 1, 3, 3)), batch_attention_mask(keep, is_causal=True))
    assert math.isnan(float(weights.sum()))
    assert np.isfinite(np.where(keep[:, None, :, None], weights, 0.0)).all()  # masking the outputs


def test_zeroing_nan_rows_after_the_softmax_fixes_the_forward_pass_only() -> None:
    """Additive -inf mask, one fully masked query: nan_to_num after the softmax gives finite
    outputs, but the softmax's backward multiplies by the NaN weights, so the query and key
    gradients are NaN. Masking with masked_fill instead (its backward writes 0 at the filled
    positions) keeps them finite, and so does filling the empty rows before the softmax; the
    latter's key gradients equal those of a batch without that query."""
    rng = np.random.default_rng(12)
    q0, k0, v0 = (rng.standard_normal((3, 4)) for _ in range(3))
    mask = np.ones((3, 3), dtype=bool)
    mask[0] = False  # query 0 sees nothing
    additive = torch.from_numpy(to_additive(mask))
    grads = {}
    for route in ("nan_to_num", "masked_fill_then_nan_to_num", "safe_softmax"):
        q, k, v = (torch.tensor(a, requires_grad=True) for a in (q0, k0, v0))
        if route == "nan_to_num":
            weights = torch.softmax(q @ k.T / 2 + additive, -1).nan_to_num(0.0)
        elif route == "masked_fill_then_nan_to_num":
            weights = torch.softmax((q @ k.T / 2).masked_fill(torch.from_numpy(~mask), -math.inf), -1).nan_to_num(0.0)
        else:
            weights = masked_softmax_torch(q @ k.T / 2 + additive, torch.from_numpy(mask), zero_empty_rows=True)
        out = weights @ v
        assert out.isfinite().all() and (out[0] == 0).all()  # the forward pass is fixed either way
        out.sum().backward()
        grads[route] = (q.grad, k.grad, v.grad)
    q_grad, k_grad, v_grad = grads["nan_to_num"]
    assert q_grad.isnan().any() and k_grad.isnan().all() and v_grad.isfinite().all()
    q, k, v = (torch.tensor(a, requires_grad=True) for a in (q0, k0, v0))
    F.scaled_dot_product_attention(q, k, v, attn_mask=additive).sum().backward()
    grads["sdpa"] = (q.grad, k.grad, v.grad)
    for route in ("masked_fill_then_nan_to_num", "safe_softmax", "sdpa"):
        q_grad, k_grad, v_grad = grads[route]
        assert all(g.isfinite().all() for g in (q_grad, k_grad, v_grad)) and (q_grad[0] == 0).all()
    q, k, v = (torch.tensor(a, requires_grad=True) for a in (q0, k0, v0))
    (torch.softmax(q[1:] @ k.T / 2, -1) @ v).sum().backward()  # the same batch without query 0
    torch.testing.assert_close(k_grad, k.grad)


@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-12), (torch.float32, 1e-6), (torch.bfloat16, 1e-2)], ids=str)
def test_masked_softmax_torch_matches_torch_and_numpy(dtype, tol) -> None:
    """The mirror against torch.softmax over masked_fill (rows with a key) and the NumPy version."""
    rng = np.random.default_rng(13)
    scores = rng.standard_normal((2, 4, 5))
    mask = rng.random((4, 5)) < 0.6
    mask[1] = False
    mask[2] = True
    t, m = torch.from_numpy(scores).to(dtype), torch.from_numpy(mask)
    want = torch.softmax(t.masked_fill(~m, float("-inf")), -1)
    got = masked_softmax_torch(t, m)
    assert got.dtype == dtype and got[:, 1].isnan().all()
    torch.testing.assert_close(got[:, [0, 2, 3]], want[:, [0, 2, 3]], atol=tol, rtol=tol)
    safe = masked_softmax_torch(t, m, zero_empty_rows=True)
    assert (safe[:, 1] == 0).all()
    np.testing.assert_allclose(safe.double().numpy(), masked_softmax(scores, mask, zero_empty_rows=True), atol=tol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=str)
def test_minus_1e9_makes_an_added_row_uniform_in_float32_and_bfloat16(dtype) -> None:
    """Added to scores of order 1, -1e9 swallows them in float32 (neighbours 64 apart near 1e9)
    and bfloat16: the fully masked row is exactly uniform, not "as if unmasked" (float64)."""
    rng = np.random.default_rng(14)
    q, k, v = (torch.from_numpy(rng.standard_normal((3, 4))).to(dtype) for _ in range(3))
    mask = np.ones((3, 3), dtype=bool)
    mask[0] = False
    bias = torch.from_numpy(to_additive(mask, fill=-1e9)).to(dtype)
    scores = q @ k.T / 2 + bias
    assert (scores[0] == scores[0, 0]).all()
    assert (torch.softmax(scores, -1)[0] == 1 / 3).all() if dtype == torch.float32 else True
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    torch.testing.assert_close(out[0], v.mean(0), atol=2e-2 if dtype == torch.bfloat16 else 1e-6, rtol=0)


def test_masked_softmax_torch_refuses_numpy() -> None:
    with pytest.raises(TypeError, match=r"scores must be a torch\.Tensor; got a NumPy array"):
        masked_softmax_torch(np.zeros((2, 2)), torch.ones(2, 2, dtype=torch.bool))


# ---------------------------------------------------------------- additive masks and their fill values


def test_additive_masks_equal_boolean_ones() -> None:
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2, 3, 6, 4)) for _ in range(3))
    mask = batch_attention_mask(padding_mask([6, 4]), is_causal=True)
    want = sdpa(q, k, v, mask=mask)
    for fill in (-np.inf, -1e9, "min"):
        assert_close(sdpa(q, k, v, mask=to_additive(mask, fill=fill)), want)
        assert (to_boolean(to_additive(mask, fill=fill)) == mask).all()
    assert to_additive(mask, dtype=np.float32).dtype == np.float32


def test_fill_values_and_their_dtypes() -> None:
    """-1e9 is -inf in float16; finfo.min plus another large negative overflows to -inf."""
    keep = np.array([True, False])
    assert to_additive(keep, fill=-1e9, dtype=np.float16)[1] == -np.inf
    assert torch.tensor(-1e9, dtype=torch.float16).item() == -math.inf
    assert to_additive(keep, fill="min", dtype=np.float16)[1] == -65504.0 == torch.finfo(torch.float16).min
    lowest = to_additive(keep, fill="min", dtype=np.float32)[1]
    assert lowest == np.finfo(np.float32).min == torch.finfo(torch.float32).min
    with np.errstate(over="ignore"):
        assert lowest + lowest == -np.inf  # two finfo.min masks added together
        assert lowest + np.float32(-1e32) == -np.inf  # a very negative score
    t = torch.tensor(torch.finfo(torch.float32).min)
    assert (t + t).item() == -math.inf


def test_fully_masked_row_depends_on_the_fill() -> None:
    """float32, one fully masked row: -inf gives zeros in SDPA; finfo.min swallows the scores
    (min + s rounds back to min), so the row averages all values; -1e9 in float64 adds the same
    constant to the row, which the softmax ignores: as if unmasked."""
    rng = np.random.default_rng(6)
    q, k, v = (rng.standard_normal((3, 4)) for _ in range(3))
    keep = np.ones((3, 3), dtype=bool)
    keep[0] = False
    t = [torch.from_numpy(a.astype(np.float32)) for a in (q, k, v)]
    out_inf = F.scaled_dot_product_attention(*t, attn_mask=torch.from_numpy(to_additive(keep, dtype=np.float32)))
    out_min = F.scaled_dot_product_attention(
        *t, attn_mask=torch.from_numpy(to_additive(keep, fill="min", dtype=np.float32))
    )
    assert (out_inf[0] == 0).all()
    torch.testing.assert_close(out_min[0], t[2].mean(0))
    unmasked = scaled_dot_product_attention(q, k, v)[0]
    np.testing.assert_allclose(sdpa(q, k, v, mask=to_additive(keep, fill=-1e9))[0], unmasked[0], atol=1e-6)


# ---------------------------------------------------------------- a hand-worked example


def check_hand_worked_example(mask_fn: MaskFn) -> None:
    """Two sequences of lengths 2 and 3, right-padded to 3, causal; all scores 0.

    With q = k = 0 every visible key gets the same weight, so each output is the mean of the
    values it may see. Values v = (1, 2, 3) at positions 0, 1, 2 in both sequences.
    Sequence 0 (position 2 is padding): the mask rows are {0}, {0, 1}, {0, 1} (the padded
    query still sees the real keys), so the outputs are 1, (1 + 2) / 2 = 1.5 and 1.5.
    Sequence 1 (no padding): {0}, {0, 1}, {0, 1, 2}, so 1, 1.5 and (1 + 2 + 3) / 3 = 2.
    Left-padded instead, sequence 0 holds its real tokens at positions 1, 2: query 0 sees key
    0 only, which is padding, so its row is empty (SDPA: output 0); query 1 sees {1} and
    outputs 2; query 2 sees {1, 2} and outputs 2.5.
    """
    keep = padding_mask([2, 3], 3)
    mask = mask_fn(keep, is_causal=True)
    assert mask[0, 0].astype(int).tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 0]]
    zeros = np.zeros((2, 1, 3, 1))
    v = np.broadcast_to(np.array([1.0, 2.0, 3.0])[:, None], (2, 1, 3, 1))
    out = sdpa(zeros, zeros, v, mask=mask)[:, 0, :, 0]
    assert_close(out, [[1.0, 1.5, 1.5], [1.0, 1.5, 2.0]])
    left = mask_fn(padding_mask([2, 3], 3, side="left"), is_causal=True)
    assert_close(sdpa(zeros, zeros, v, mask=left)[0, 0, :, 0], [0.0, 2.0, 2.5])


@pytest.mark.parametrize("impl", MASK_FNS)
def test_hand_worked_example(impl: str) -> None:
    check_hand_worked_example(MASK_FNS[impl])


# ---------------------------------------------------------------- MLM's 80/10/10


def within(count: int, n: int, p: float, z: float = 5.0) -> bool:
    """Is count / n within z binomial standard errors of p?"""
    return abs(count / n - p) <= z * math.sqrt(p * (1 - p) / n)


def check_mlm_statistics(mlm_fn: Callable[..., tuple[np.ndarray, np.ndarray]]) -> None:
    """On a million tokens: 15% selected; of those 80% [MASK], 10% random, 10% unchanged.

    A random id equals the original with probability 1/V and [MASK] with probability 1/V,
    so the shares seen in the inputs are 0.8 + 0.1/V, 0.1 + 0.1/V and 0.1 (1 - 2/V). Each
    share must lie within 5 binomial standard errors (a false alarm about once in 3.5 million).
    """
    vocab, mask_id = 1000, 0
    rng = np.random.default_rng(7)
    tokens = rng.integers(1, vocab, size=(1000, 1000))
    can_mask = rng.random(tokens.shape) < 0.9  # 10% padding or special tokens
    inputs, labels = mlm_fn(tokens, vocab_size=vocab, mask_token_id=mask_id, can_mask=can_mask, rng=0)
    selected = labels != IGNORE_INDEX
    assert not selected[~can_mask].any(), "padding and special tokens are never selected"
    assert (labels[selected] == tokens[selected]).all() and (labels[~selected] == -100).all()
    assert (inputs[~selected] == tokens[~selected]).all()
    n, s = int(can_mask.sum()), int(selected.sum())
    assert within(s, n, 0.15)
    masked = int((inputs[selected] == mask_id).sum())
    kept = int((inputs[selected] == tokens[selected]).sum())
    assert within(masked, s, 0.8 + 0.1 / vocab)
    assert within(kept, s, 0.1 + 0.1 / vocab)
    assert within(s - masked - kept, s, 0.1 * (1 - 2 / vocab))
    again = mlm_fn(tokens, vocab_size=vocab, mask_token_id=mask_id, can_mask=can_mask, rng=0)
    assert (again[0] == inputs).all() and (again[1] == labels).all(), "same seed, same corruption"
    other = mlm_fn(tokens, vocab_size=vocab, mask_token_id=mask_id, can_mask=can_mask, rng=1)
    assert not (other[1] == labels).all()


def test_mlm_statistics() -> None:
    check_mlm_statistics(mlm_mask)


def test_mlm_labels_are_ignored_by_cross_entropy() -> None:
    """F.cross_entropy's default ignore_index is -100: the loss averages over the selected tokens only."""
    assert inspect.signature(F.cross_entropy).parameters["ignore_index"].default == IGNORE_INDEX == -100
    rng = np.random.default_rng(8)
    tokens = rng.integers(1, 50, size=(4, 32))
    _, labels = mlm_mask(tokens, vocab_size=50, mask_token_id=0, rng=3)
    logits = torch.randn(4 * 32, 50, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    target = torch.from_numpy(labels.ravel())
    chosen = target != -100
    assert 0 < int(chosen.sum()) < target.numel()
    want = F.cross_entropy(logits[chosen], target[chosen])
    torch.testing.assert_close(F.cross_entropy(logits, target), want)


def test_mlm_hand_cases() -> None:
    tokens = np.array([[5, 6, 7], [8, 9, 4]])
    inputs, labels = mlm_mask(tokens, vocab_size=10, mask_token_id=0, select_prob=1.0, mask_prob=0.0, random_prob=0.0)
    assert (inputs == tokens).all() and (labels == tokens).all()  # selected, left unchanged, still predicted
    inputs, labels = mlm_mask(tokens, vocab_size=10, mask_token_id=0, select_prob=1.0, mask_prob=1.0, random_prob=0.0)
    assert (inputs == 0).all() and (labels == tokens).all()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: padding_mask([[1, 2]]),
            r"lengths must be a non-empty 1-D integer array \(batch,\); got shape \(1, 2\)",
        ),
        (lambda: padding_mask([1.5]), r"lengths must be a non-empty 1-D integer array"),
        (lambda: padding_mask([2, 5], 4), r"lengths must lie in \[0, seq_len\] .*got \[2, 5\], 4"),
        (lambda: padding_mask([0]), r"seq_len >= 1; got \[0\], 0"),
        (lambda: padding_mask([2], side="middle"), r"side must be 'right' or 'left'; got 'middle'"),
        (lambda: prefix_lm_mask(4, 5), r"prefix_len must lie in \[0, seq_len = 4\]; got 5"),
        (lambda: prefix_lm_mask(4, 1.0), r"prefix_len must be an integer; got 1\.0"),
        (lambda: prefix_lm_mask(0, 0), r"seq_len must be at least 1; got 0"),
        (
            lambda: batch_attention_mask(np.ones(3, bool)),
            r"mask must be a boolean \(batch, seq_len\) key padding mask.*got shape \(3,\)",
        ),
        (
            lambda: batch_attention_mask(np.ones((2, 3), int)),
            r"mask must be a boolean \(batch, seq_len\) key padding mask",
        ),
        (
            lambda: batch_attention_mask(np.ones((1, 3), bool), is_causal=True, prefix_len=1),
            r"is_causal=True or prefix_len",
        ),
        (
            lambda: batch_attention_mask(np.ones((1, 3), bool), prefix_len=4),
            r"prefix_len must be an integer in \[0, seq_len = 3\]; got 4",
        ),
        (lambda: via_torch(np.ones((1, 3), int)), r"mask must be a boolean \(batch, seq_len\) key padding mask"),
        (
            lambda: via_torch(np.ones((1, 3), bool), prefix_len=-1),
            r"prefix_len must be an integer in \[0, seq_len = 3\]; got -1",
        ),
        (lambda: to_additive(np.ones(2, int)), r"mask must be a boolean mask .*got dtype int64"),
        (lambda: to_additive(np.ones(2, bool), fill=1.0), r"fill must be a negative number, -inf or 'min'; got 1\.0"),
        (
            lambda: to_additive(np.ones(2, bool), fill="max"),
            r"fill must be a negative number, -inf or 'min'; got 'max'",
        ),
        (lambda: to_additive(np.ones(2, bool), dtype=np.int32), r"dtype must be a floating type; got int32"),
        (lambda: to_boolean(np.zeros(2, bool)), r"bias must be a floating additive mask; got dtype bool"),
        (
            lambda: masked_softmax(np.zeros((2, 2)), np.ones((3, 2), bool)),
            r"mask must be boolean and broadcast to scores \(2, 2\); got bool \(3, 2\)",
        ),
        (lambda: masked_softmax(np.zeros((2, 2)), np.ones((2, 2))), r"mask must be boolean .*got float64"),
        (
            lambda: mlm_mask(np.array([1.0]), vocab_size=5, mask_token_id=0),
            r"tokens must be a non-empty integer array; got dtype float64",
        ),
        (
            lambda: mlm_mask(np.array([7]), vocab_size=5, mask_token_id=0),
            r"token ids and mask_token_id must lie in \[0, vocab_size = 5\)",
        ),
        (
            lambda: mlm_mask(np.array([1]), vocab_size=5, mask_token_id=5),
            r"mask_token_id must lie in \[0, vocab_size = 5\)",
        ),
        (
            lambda: mlm_mask(np.array([1]), vocab_size=5, mask_token_id=0, select_prob=1.5),
            r"select_prob must lie in \[0, 1\]; got 1\.5",
        ),
        (
            lambda: mlm_mask(np.array([1]), vocab_size=5, mask_token_id=0, mask_prob=0.95),
            r"mask_prob \+ random_prob must be at most 1; got 0\.95 \+ 0\.1",
        ),
        (
            lambda: mlm_mask(np.array([1, 2]), vocab_size=5, mask_token_id=0, can_mask=np.ones(3, bool)),
            r"can_mask must be boolean of shape \(2,\); got bool \(3,\)",
        ),
    ],
)
def test_bad_input_raises(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------- the bank's numeric answers


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed from the package rather than copied."""
    defaults = inspect.signature(mlm_mask).parameters
    select, mask_share, random_share = (defaults[n].default for n in ("select_prob", "mask_prob", "random_prob"))
    left = batch_attention_mask(padding_mask([5, 2], 5, side="left"), is_causal=True)
    return {
        "masking.empty-rows": float((~left.any(-1)).sum()),
        "masking.mask-tokens": 512 * select * mask_share,
        "masking.unchanged-share": 100 * select * (1 - mask_share - random_share),
        "masking.float16-min": float(to_additive(np.array([False]), fill="min", dtype=np.float16)[0]),
        # Google's create_pretraining_data.py: min(max_predictions_per_seq, max(1, round(n * masked_lm_prob)))
        "masking.google-predictions": min(20, max(1, round(128 * select))),
    }


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys("masking", computed_answers(), lambda q, v: 1e-6)


def test_expected_mlm_counts_match_a_simulation() -> None:
    """The expected counts the bank asks for (512-token sequences) are what the function does on average."""
    tokens = np.random.default_rng(9).integers(1, 30_000, size=(400, 512))
    inputs, labels = mlm_mask(tokens, vocab_size=30_000, mask_token_id=0, rng=4)
    per_sequence = (inputs == 0).sum(1)
    assert abs(per_sequence.mean() - 512 * 0.15 * 0.8) < 5 * math.sqrt(512 * 0.12 * 0.88 / 400)
    selected_unchanged = (labels != -100) & (inputs == tokens)
    assert within(int(selected_unchanged.sum()), tokens.size, 0.015 + 0.015 / 30_000)


# ---------------------------------------------------------------- the page's other claims


def test_float_facts_behind_the_fill_values() -> None:
    """finfo(float32).min has neighbours about 2e31 apart, so it swallows ordinary scores;
    exp(-1e4) is 0 even in float64, whose smallest positive number is about exp(-744.4)."""
    lowest = np.finfo(np.float32).min
    assert 1e31 < float(np.nextafter(lowest, np.float32(0)) - lowest) < 3e31  # 2**104
    assert lowest + np.float32(123.0) == lowest
    assert np.exp(-1e4) == 0.0 and math.isclose(math.log(np.nextafter(0.0, 1.0)), -744.44, abs_tol=0.01)


def test_empty_rows_under_a_bottom_right_causal_mask() -> None:
    """Five queries over three keys, aligned bottom-right: the first two queries see nothing."""
    mask = causal_mask(5, 3, align="bottom-right")
    assert (~mask.any(-1)).tolist() == [True, True, False, False, False]


def test_mask_memory() -> None:
    """(B, 1, T, T): B T^2 bytes as bool, 4 B T^2 as float32; B = 8, T = 4096 gives 128 and 512 MiB."""
    mask = batch_attention_mask(padding_mask([16, 9, 3]), is_causal=True)
    assert mask.nbytes == 3 * 16**2 and to_additive(mask, dtype=np.float32).nbytes == 4 * 3 * 16**2
    assert 8 * 4096**2 == 128 * 2**20 and 4 * 8 * 4096**2 == 512 * 2**20


def test_a_query_axis_padding_mask_leaves_padded_keys_visible() -> None:
    """keep[:, None, :, None] masks the padded queries' rows, not the padded keys' columns."""
    keep = padding_mask([3, 1])
    wrong = np.broadcast_to(keep[:, None, :, None], (2, 1, 3, 3))
    assert wrong[1, 0, 0].all(), "the real query 0 of the short sequence still sees the padded keys"
    assert not batch_attention_mask(keep)[1, 0, 0, 1:].any()


def test_sdpa_refuses_integer_masks_and_a_mask_with_is_causal() -> None:
    q = torch.zeros(1, 3, 4, dtype=torch.float64)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(3, 3, dtype=torch.int64))
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(3, 3, dtype=torch.bool), is_causal=True)
