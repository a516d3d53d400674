"""Scaled dot-product attention checked against PyTorch's SDPA in float64.

The reference is ``torch.nn.functional.scaled_dot_product_attention``; it returns only the
output, so its weights are read off by attending over the identity matrix as values
(``P @ I = P``). Each ``check_*`` takes the implementation under test, a function with the
signature of ``concepts.attention.scaled_dot_product_attention`` on NumPy arrays, so the
same checks can grade a learner's solution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import check_numeric_keys
from torch.nn.attention.bias import causal_lower_right, causal_upper_left

from concepts.attention import (
    scaled_dot_product_attention,
    scaled_dot_product_attention_torch,
    softmax,
)
from concepts.exercises._harness import run_checks
from concepts.exercises.attention import (
    CHECKS,
    check_causality,
    check_hand_worked_example,
    check_large_logits,
)
from concepts.masking import causal_mask

Attention = Callable[..., tuple[np.ndarray, np.ndarray]]
BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "attention.json"


def as_numpy(torch_fn: Callable) -> Attention:
    """Wrap a PyTorch attention so it takes and returns NumPy arrays (float64 stays float64)."""

    def fn(q, k, v, *, mask=None, is_causal=False, scale=None):
        t = [torch.from_numpy(np.ascontiguousarray(a)) for a in (q, k, v)]
        m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
        out, weights = torch_fn(*t, mask=m, is_causal=is_causal, scale=scale)
        return out.numpy(), weights.numpy()

    return fn


IMPLEMENTATIONS = {
    "numpy": scaled_dot_product_attention,
    "torch": as_numpy(scaled_dot_product_attention_torch),
}


def sdpa(q, k, v, *, mask=None, is_causal=False, scale=None) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's SDPA on NumPy arrays, returning (output, weights) like ours."""
    q, k, v = (torch.from_numpy(np.ascontiguousarray(a)) for a in (q, k, v))
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=is_causal, scale=scale)
    eye = torch.eye(k.shape[-2], dtype=k.dtype).expand(*k.shape[:-1], k.shape[-2])
    weights = F.scaled_dot_product_attention(q, k, eye, attn_mask=m, is_causal=is_causal, scale=scale)
    return out.numpy(), weights.numpy()


def make_mask(kind: str, batch: tuple[int, ...], seq_q: int, seq_k: int, rng: np.random.Generator):
    """A mask of the given kind, or None; ``(mask, is_causal)``."""
    if kind == "none":
        return None, False
    if kind == "causal":
        return None, True
    if kind == "bool":  # broadcast over the batch; may leave a query with no key at all
        return rng.random((seq_q, seq_k)) < 0.7, False
    if kind == "padding":  # (..., 1, seq_k): the last keys of each sequence are padding
        lengths = rng.integers(1, seq_k + 1, size=(*batch, 1, 1))
        return np.arange(seq_k) < lengths, False
    if kind == "additive":  # a bias on every score, -inf on some
        shape = (*batch, seq_q, seq_k)
        return np.where(rng.random(shape) < 0.3, -np.inf, rng.standard_normal(shape)), False
    raise AssertionError(kind)


def assert_close(got, want) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- against SDPA

# (batch axes, seq_q, seq_k, d_k, d_v)
CASES = [
    ((), 1, 1, 1, 1),  # length 1, no batch axis
    ((1,), 1, 5, 4, 3),  # batch of one, one query over five keys (a decoding step)
    ((1,), 7, 7, 8, 8),  # batch of one, self-attention
    ((2, 3), 5, 9, 16, 4),  # batch and heads, cross-attention with seq_q < seq_k
    ((3,), 9, 4, 8, 6),  # cross-attention with seq_q > seq_k
    ((2, 4), 33, 33, 64, 32),
]
MASKS = ["none", "bool", "padding", "additive", "causal"]


def check_against_sdpa(attn_fn: Attention, batch, seq_q, seq_k, d_k, d_v, mask_kind, seed=0) -> None:
    """Output and weights equal SDPA's, with the default scale and with an explicit one."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((*batch, seq_q, d_k))
    k = rng.standard_normal((*batch, seq_k, d_k))
    v = rng.standard_normal((*batch, seq_k, d_v))
    mask, is_causal = make_mask(mask_kind, batch, seq_q, seq_k, rng)
    for scale in (None, 0.3):
        out, weights = attn_fn(q, k, v, mask=mask, is_causal=is_causal, scale=scale)
        want_out, want_weights = sdpa(q, k, v, mask=mask, is_causal=is_causal, scale=scale)
        assert out.shape == (*batch, seq_q, d_v) and weights.shape == (*batch, seq_q, seq_k)
        assert_close(out, want_out)
        assert_close(weights, want_weights)
        sums = weights.sum(-1)
        assert (weights >= 0).all() and np.allclose(sums[sums > 0.5], 1.0)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("mask_kind", MASKS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[0] + c[1:])))
def test_matches_sdpa(impl: str, mask_kind: str, case) -> None:
    check_against_sdpa(IMPLEMENTATIONS[impl], *case, mask_kind)


def check_fully_masked_rows(attn_fn: Attention) -> None:
    """A query with every key masked gets zeros (SDPA's behaviour since 2.5), never NaN.

    A row masked with a large finite number instead of -inf is not masked at all: adding
    the same constant to every score of a row leaves its softmax unchanged.
    """
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 2))
    bool_mask = np.ones((3, 5), dtype=bool)
    bool_mask[1] = False
    inf_mask = np.where(bool_mask, 0.0, -np.inf)
    for mask in (bool_mask, inf_mask):
        want_out, want_weights = sdpa(q, k, v, mask=mask)
        assert (want_out[:, 1] == 0).all() and (want_weights[:, 1] == 0).all(), "SDPA no longer returns zeros"
        out, weights = attn_fn(q, k, v, mask=mask)
        assert not np.isnan(out).any() and not np.isnan(weights).any()
        assert (out[:, 1] == 0).all() and (weights[:, 1] == 0).all()
        assert_close(out, want_out)
    big_mask = np.where(bool_mask, 0.0, -1e9)
    out, _ = attn_fn(q, k, v, mask=big_mask)
    assert_close(out, sdpa(q, k, v, mask=big_mask)[0])
    # as if unmasked, up to the digits that s - 1e9 rounds away (1e9 * 2**-52 is about 2e-7)
    np.testing.assert_allclose(out[:, 1], attn_fn(q, k, v)[0][:, 1], rtol=0, atol=1e-5)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_fully_masked_rows(impl: str) -> None:
    check_fully_masked_rows(IMPLEMENTATIONS[impl])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_large_logits(impl: str) -> None:
    check_large_logits(IMPLEMENTATIONS[impl])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_hand_worked_example(impl: str) -> None:
    check_hand_worked_example(IMPLEMENTATIONS[impl])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_causality(impl: str) -> None:
    check_causality(IMPLEMENTATIONS[impl])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_the_exercise_checks_pass_on_our_implementations(impl: str) -> None:
    """The checks that grade a learner's attention.sdpa, run on ours (NumPy and PyTorch)."""
    failed = [(r.name, r.message) for r in run_checks(CHECKS["attention.sdpa"], IMPLEMENTATIONS[impl]) if not r.passed]
    assert not failed, failed


def test_the_softmax_exercise_checks_pass_on_ours() -> None:
    failed = [(r.name, r.message) for r in run_checks(CHECKS["attention.softmax"], softmax) if not r.passed]
    assert not failed, failed


def test_torch_mirror_keeps_dtype() -> None:
    q = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))
    out, weights = scaled_dot_product_attention_torch(q, q, q, is_causal=True)
    assert out.dtype == weights.dtype == torch.float32
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, q, q, is_causal=True))


# ---------------------------------------------------------------- masks


# torch warns that its own kernels give NaN for the empty rows of a lower-right mask with seq_q > seq_k
@pytest.mark.filterwarnings("ignore:Lower right causal bias will produce NaNs")
@pytest.mark.parametrize("seq_q, seq_k", [(1, 1), (1, 10), (4, 4), (3, 7), (7, 3)])
def test_causal_mask_alignments_match_torch(seq_q: int, seq_k: int) -> None:
    top_left = causal_mask(seq_q, seq_k)
    assert (top_left == torch.ones(seq_q, seq_k, dtype=torch.bool).tril().numpy()).all()
    assert (top_left == causal_upper_left(seq_q, seq_k)._materialize().numpy()).all()
    bottom_right = causal_mask(seq_q, seq_k, align="bottom-right")
    assert (bottom_right == causal_lower_right(seq_q, seq_k)._materialize().numpy()).all()
    assert (top_left == bottom_right).all() == (seq_q == seq_k)


def test_is_causal_is_top_left_so_a_decoding_query_sees_only_the_first_key() -> None:
    """One new query over ten cached keys: is_causal=True lets it see key 0 only."""
    rng = np.random.default_rng(4)
    q, k, v = rng.standard_normal((1, 4)), rng.standard_normal((10, 4)), rng.standard_normal((10, 3))
    for fn in (sdpa, scaled_dot_product_attention):
        assert_close(fn(q, k, v, is_causal=True)[0], v[:1])
        assert_close(fn(q, k, v, mask=causal_mask(1, 10, align="bottom-right"))[0], fn(q, k, v)[0])


def test_torch_refuses_what_we_refuse() -> None:
    """SDPA rejects a mask together with is_causal, and an integer mask."""
    q = torch.zeros(2, 4, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(2, 2, dtype=torch.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="attn_mask dtype"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(2, 2, dtype=torch.int64))


def test_functional_sdpa_dropout_ignores_eval_mode() -> None:
    """F.scaled_dot_product_attention has no training flag: dropout_p > 0 drops even in inference."""
    q = torch.ones(1, 8, 4, dtype=torch.float64)
    with torch.no_grad():
        torch.manual_seed(0)
        a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
        torch.manual_seed(1)
        b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert not torch.equal(a, b)


def test_multihead_attention_masks_mean_the_opposite() -> None:
    """In nn.MultiheadAttention a boolean True means "ignore": the opposite of SDPA's attn_mask."""
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(4, 1, batch_first=True, dtype=torch.float64)
    x = torch.randn(1, 3, 4, dtype=torch.float64)
    drop_key_2 = torch.tensor([[False, False, True]])
    for kwargs in ({"key_padding_mask": drop_key_2}, {"attn_mask": drop_key_2.expand(3, 3)}):
        _, weights = mha(x, x, x, **kwargs)
        assert (weights[0, :, 2] == 0).all() and (weights[0, :, :2] > 0).all()


def test_multihead_attention_fully_masked_row_depends_on_the_path() -> None:
    """nn.MultiheadAttention with a fully masked row, in torch 2.13.

    need_weights=True (the default) materialises the weights with a plain softmax: NaN.
    need_weights=False in training mode, or with autograd on, calls SDPA and gets zeros, so
    the output is the output projection's bias (zero at initialisation). The inference
    fast path (eval mode, no grad, self-attention with query is key is value, batch_first,
    an even number of heads) runs a fused kernel instead and returns NaN even with
    need_weights=False. One head is odd, so it never takes the fast path.
    """
    everything = torch.ones(1, 3, dtype=torch.bool)
    for dtype in (torch.float64, torch.float32):
        for num_heads in (1, 2):
            torch.manual_seed(0)
            mha = torch.nn.MultiheadAttention(4, num_heads, batch_first=True, dtype=dtype)
            x = torch.randn(1, 3, 4, dtype=dtype)
            with torch.no_grad():
                assert mha(x, x, x, key_padding_mask=everything)[0].isnan().all()
                out, _ = mha(x, x, x, key_padding_mask=everything, need_weights=False)
            torch.testing.assert_close(out, mha.out_proj.bias.expand(1, 3, 4))  # training mode: zeros
            mha.eval()
            with torch.no_grad():
                out, _ = mha(x, x, x, key_padding_mask=everything, need_weights=False)
            assert out.isnan().all() if num_heads == 2 else (out == 0).all()  # 2 heads: the fast path
            out, _ = mha(x, x, x, key_padding_mask=everything, need_weights=False)  # eval, grad on: SDPA
            assert (out == 0).all()


def test_the_bank_s_fast_path_case_gives_nan_only_for_the_padded_sequence() -> None:
    """attention.mha-fast-path as asked: 512 wide, 8 heads, eval, no_grad, one sequence all padding."""
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(512, 8, batch_first=True).eval()
    x = torch.randn(2, 5, 512)
    pad = torch.zeros(2, 5, dtype=torch.bool)
    pad[1] = True
    with torch.no_grad():
        out, _ = mha(x, x, x, key_padding_mask=pad, need_weights=False)
    assert out[1].isnan().all() and out[0].isfinite().all()


LOW_PRECISION = [(torch.float32, 2e-6), (torch.bfloat16, 2e-2)]


@pytest.mark.parametrize("dtype, tol", LOW_PRECISION, ids=["float32", "bfloat16"])
def test_a_large_negative_fill_makes_a_fully_masked_row_uniform_in_low_precision(dtype, tol) -> None:
    """-1e9 added to every score of a row: "as if unmasked" in float64 only.

    float32 numbers near 1e9 are 2**(29 - 23) = 64 apart, and bfloat16's (8 significant
    bits) 2**22 apart, so s - 1e9 rounds to the same number for every score of order 1:
    the row becomes exactly uniform and the output is the mean of the values. In float64
    the spacing is 2**-23 (about 1.2e-7), so the scores survive and the row equals the
    unmasked one to about 1e-6.
    """
    assert torch.finfo(torch.float32).eps * 2**29 == 64 and torch.finfo(torch.bfloat16).eps * 2**29 == 2**22
    rng = np.random.default_rng(10)
    q, k, v = (torch.from_numpy(rng.standard_normal(shape)) for shape in ((3, 4), (5, 4), (5, 2)))
    fill = torch.zeros(3, 5, dtype=torch.float64)
    fill[1] = -1e9
    unmasked = F.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(
        F.scaled_dot_product_attention(q, k, v, attn_mask=fill)[1], unmasked[1], atol=1e-5, rtol=0
    )
    q, k, v, fill = (t.to(dtype) for t in (q, k, v, fill))
    scores = q @ k.T / 2 + fill
    assert (scores[1] == scores[1, 0]).all(), "every score of the row rounded to the same number"
    assert (torch.softmax(scores, -1)[1] == torch.softmax(scores, -1)[1, 0]).all()
    for fn in (F.scaled_dot_product_attention, lambda *a, **kw: scaled_dot_product_attention_torch(*a, **kw)[0]):
        out = fn(q, k, v, mask=fill) if fn is not F.scaled_dot_product_attention else fn(q, k, v, attn_mask=fill)
        torch.testing.assert_close(out[1], v.mean(0), atol=tol, rtol=0)
        assert (out[1] - unmasked[1].to(dtype)).abs().max() > 0.05, "not the unmasked output"
    _, weights = scaled_dot_product_attention_torch(q, k, v, mask=fill)
    assert (weights[1] == weights[1, 0]).all()


@pytest.mark.parametrize("dtype, tol", LOW_PRECISION, ids=["float32", "bfloat16"])
@pytest.mark.parametrize("mask_kind", MASKS)
def test_torch_mirror_matches_sdpa_in_low_precision(dtype, tol, mask_kind: str) -> None:
    """The PyTorch mirror against SDPA in the same dtype (SDPA's CPU math runs in float32 for bf16)."""
    rng = np.random.default_rng(11)
    batch, seq_q, seq_k = (2, 3), 5, 9
    q, k, v = (rng.standard_normal((*batch, n, 8)) for n in (seq_q, seq_k, seq_k))
    mask, is_causal = make_mask(mask_kind, batch, seq_q, seq_k, rng)
    q, k, v = (torch.from_numpy(a).to(dtype) for a in (q, k, v))
    m = None if mask is None else torch.from_numpy(mask)
    m = m.to(dtype) if m is not None and m.is_floating_point() else m
    out, weights = scaled_dot_product_attention_torch(q, k, v, mask=m, is_causal=is_causal)
    assert out.dtype == weights.dtype == dtype
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=is_causal)
    torch.testing.assert_close(out, want, atol=tol, rtol=tol)


def test_torch_mirror_refuses_numpy_arrays() -> None:
    x = np.zeros((2, 4))
    with pytest.raises(TypeError, match=r"q must be a torch\.Tensor; got a NumPy array"):
        scaled_dot_product_attention_torch(x, x, x)
    t = torch.zeros(2, 4)
    with pytest.raises(TypeError, match=r"mask must be a torch\.Tensor; got a NumPy array"):
        scaled_dot_product_attention_torch(t, t, t, mask=np.ones((2, 2), bool))
    with pytest.raises(TypeError, match=r"q must be a NumPy array or array-like; got a torch\.Tensor"):
        scaled_dot_product_attention(t, t, t)


def test_exp_overflow_thresholds() -> None:
    """exp overflows float64 just above 709 and float16 just above 11."""
    with np.errstate(over="ignore"):
        assert np.isfinite(np.exp(709.0)) and np.isinf(np.exp(710.0))
        assert np.isfinite(np.exp(np.float16(11.0))) and np.isinf(np.exp(np.float16(11.1)))


def test_large_negative_fill_values_and_float16() -> None:
    """float16 cannot hold -1e9: it becomes -inf. Its most negative finite value is -65504."""
    with np.errstate(over="ignore"):  # the overflow is the point
        assert np.float16(-1e9) == -np.inf
    assert torch.tensor(-1e9, dtype=torch.float16).item() == -math.inf
    assert np.finfo(np.float16).min == torch.finfo(torch.float16).min == -65504


# ---------------------------------------------------------------- softmax


@pytest.mark.parametrize("shape, axis", [((1,), -1), ((5,), 0), ((3, 7), -1), ((4, 6, 2), 1)])
def test_softmax_matches_torch(shape: tuple[int, ...], axis: int) -> None:
    x = 50 * np.random.default_rng(5).standard_normal(shape)
    want = torch.softmax(torch.from_numpy(x), dim=axis).numpy()
    assert_close(softmax(x, axis=axis), want)
    assert_close(softmax(x + 1e4, axis=axis), want)  # shift invariance, without overflow


def test_softmax_edge_rows() -> None:
    np.testing.assert_allclose(softmax([[1e308, -np.inf, 1e308]]), [[0.5, 0.0, 0.5]])
    with np.errstate(invalid="ignore"):
        assert np.isnan(softmax([-np.inf, -np.inf])).all()
    assert torch.softmax(torch.tensor([-math.inf, -math.inf]), 0).isnan().all()


# ---------------------------------------------------------------- why sqrt(d_k)


@pytest.mark.parametrize("d_k", [4, 64, 512])
def test_dot_product_variance_grows_like_d_k(d_k: int) -> None:
    """Var(q.k) = d_k for independent unit-variance entries; dividing by sqrt(d_k) gives 1.

    The relative standard error of the variance estimate is sqrt((2 + 6/d_k) / n) < 2% for
    n = 10,000, so the 8% tolerance is over four standard errors.
    """
    rng = np.random.default_rng(6)
    q, k = rng.standard_normal((2, 10_000, d_k))
    scores = np.einsum("nd,nd->n", q, k)
    assert abs(scores.var() / d_k - 1) < 0.08
    assert abs((scores / math.sqrt(d_k)).var() - 1) < 0.08


def mean_largest_weight(attn_fn: Attention, d_k: int, *, scaled: bool, n_keys: int = 16) -> float:
    """The average over 200 random queries of the largest of its n_keys attention weights."""
    rng = np.random.default_rng(7)
    q, k = rng.standard_normal((200, 1, d_k)), rng.standard_normal((200, n_keys, d_k))
    _, weights = attn_fn(q, k, np.zeros((200, n_keys, 1)), scale=None if scaled else 1.0)
    return float(weights.max(-1).mean())


def check_saturation(attn_fn: Attention) -> None:
    """Unscaled, softmax heads for one-hot as d_k grows; scaled, it stays put."""
    unscaled = [mean_largest_weight(attn_fn, d, scaled=False) for d in (4, 64, 1024)]
    scaled = [mean_largest_weight(attn_fn, d, scaled=True) for d in (4, 64, 1024)]
    assert unscaled[0] < unscaled[1] < unscaled[2] and unscaled[2] > 0.9
    assert all(0.15 < w < 0.35 for w in scaled)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_unscaled_softmax_saturates(impl: str) -> None:
    check_saturation(IMPLEMENTATIONS[impl])


def test_saturated_softmax_has_vanishing_gradient() -> None:
    """The softmax Jacobian is diag(p) - p p^T, which tends to 0 as p tends to one-hot."""
    rng = np.random.default_rng(8)
    d_k = 1024
    q, k = rng.standard_normal((50, 1, d_k)), rng.standard_normal((50, 16, d_k))
    norms = {}
    for name, scale in (("unscaled", 1.0), ("scaled", 1 / math.sqrt(d_k))):
        scores = torch.from_numpy((q @ k.swapaxes(-1, -2))[:, 0] * scale)
        jac = [torch.autograd.functional.jacobian(lambda s: torch.softmax(s, 0), row) for row in scores]
        p = torch.softmax(scores, -1)
        torch.testing.assert_close(jac[0], torch.diag(p[0]) - torch.outer(p[0], p[0]))
        norms[name] = float(torch.stack([j.norm() for j in jac]).mean())
    assert norms["unscaled"] < norms["scaled"] / 3


# ---------------------------------------------------------------- bad input


def bad_inputs() -> list[tuple[dict, str]]:
    """(keyword arguments, the message that must name the problem)."""
    x = np.zeros((2, 4))
    return [
        (dict(q=np.zeros(3), k=x, v=x), r"q must have shape \(\.\.\., seq_q, d_k\).*got \(3,\)"),
        (dict(q=x, k=np.zeros((0, 4)), v=x), r"k must have shape .*non-zero"),
        (dict(q=x, k=np.zeros((2, 5)), v=x), r"k must have d_k = 4 .*got k of shape \(2, 5\)"),
        (dict(q=x, k=x, v=np.zeros((3, 4))), r"v must have seq_k = 2 .*\(3, 4\)"),
        (dict(q=np.zeros((3, 2, 4)), k=np.zeros((2, 2, 4)), v=x), r"leading axes of q, k and v must broadcast"),
        (dict(q=x, k=x, v=x, mask=np.ones((3, 2), bool)), r"mask must broadcast to .*\(2, 2\).*got \(3, 2\)"),
        (dict(q=x, k=x, v=x, mask=np.ones((2, 2), int)), r"mask must be boolean .*got dtype int64"),
        (dict(q=x, k=x, v=x, mask=np.ones((2, 2), bool), is_causal=True), r"either mask or is_causal"),
        (dict(q=x, k=x, v=x, scale=0.0), r"scale must be a positive finite number; got 0\.0"),
        (dict(q=x, k=x, v=x, scale=float("nan")), r"scale must be a positive finite number; got nan"),
    ]


def check_bad_input(attn_fn: Attention) -> None:
    for kwargs, message in bad_inputs():
        with pytest.raises(ValueError, match=message):
            attn_fn(**kwargs)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_bad_input_raises(impl: str) -> None:
    check_bad_input(IMPLEMENTATIONS[impl])


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((0,), {}, r"seq_q must be a positive integer; got 0"),
        ((3, 2.5), {}, r"seq_k must be a positive integer; got 2\.5"),
        ((3,), {"align": "left"}, r"align must be one of \('top-left', 'bottom-right'\); got 'left'"),
    ],
)
def test_causal_mask_bad_input(args, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        causal_mask(*args, **kwargs)


@pytest.mark.parametrize("x", [np.float64(1.0), np.zeros((2, 0))])
def test_softmax_bad_input(x) -> None:
    with pytest.raises(ValueError, match=r"x must have a non-empty axis -1; got shape"):
        softmax(x)


# ---------------------------------------------------------------- the bank's numeric answers


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed here rather than copied."""
    x = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    rng = np.random.default_rng(9)
    q, k = rng.standard_normal((2, 20_000, 64))
    # log w_0 - log w_1 = scale (s_0 - s_1): read the default scale off the weights at d_k = 64
    q1, k2 = rng.standard_normal((1, 64)), rng.standard_normal((2, 64))
    w = scaled_dot_product_attention(q1, k2, np.zeros((2, 1)))[1][0]
    s = k2 @ q1[0]
    default_scale = (math.log(w[0]) - math.log(w[1])) / (s[0] - s[1])
    weights_n = scaled_dot_product_attention(np.zeros((8, 2)), np.zeros((8, 2)), np.zeros((8, 1)))[1]
    weights_2n = scaled_dot_product_attention(np.zeros((16, 2)), np.zeros((16, 2)), np.zeros((16, 1)))[1]
    return {
        "attention.score-variance": float(np.einsum("nd,nd->n", q, k).var()),  # a sample variance near 64
        "attention.divide-by": 1 / default_scale,
        "attention.first-weight": float(scaled_dot_product_attention(x, x, x)[1][0, 0]),
        "attention.sink-mass": float(softmax([0.0, 0.5, -1.0, 0.2])[1:].sum()),  # a zero sink logit first
        "attention.score-memory": np.empty((4096, 4096), dtype=np.float32).nbytes / 2**20,
        "attention.memory-growth": weights_2n.size / weights_n.size,
    }


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys(
        "attention", computed_answers(), lambda q, v: 0.03 * v if q["id"] == "attention.score-variance" else 1e-4
    )


# ---------------------------------------------------------------- the pages' code excerpts
