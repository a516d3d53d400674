"""Multi-head attention checked against ``torch.nn.MultiheadAttention`` with copied weights, in float64.

Four implementations are under test: the NumPy loop over heads, the batched NumPy version,
the from-scratch ``nn.Module`` and the functional version over
``F.scaled_dot_product_attention``. Each is wrapped in an adapter with one signature,
``impl(x_q, x_kv, weights, num_heads, mask) -> (output, per-head weights or None)`` on
NumPy arrays, where ``weights`` is the dict of ``init_mha_weights`` (``x @ W`` matrices)
and ``mask`` follows SDPA (``True`` = may attend). Every ``check_*`` takes such an
adapter, so the same checks can grade a learner's implementation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from support import bank_tolerance, check_numeric_keys
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from concepts.attention import scaled_dot_product_attention
from concepts.exercises._harness import run_checks
from concepts.exercises.multi_head_attention import CHECKS
from concepts.multi_head_attention import (
    MultiHeadAttention,
    init_mha_weights,
    merge_heads,
    mha_flops,
    mha_param_count,
    mha_weights_from_torch,
    multi_head_attention,
    multi_head_attention_loop,
    multi_head_attention_sdpa_torch,
    split_heads,
)

Impl = Callable[..., tuple[np.ndarray, np.ndarray | None]]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The tensors are tiny: worker threads only add overhead on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _t(a: Any) -> torch.Tensor | None:
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a))


def loop_impl(x_q, x_kv, w, num_heads, mask=None):
    return multi_head_attention_loop(x_q, x_kv, num_heads=num_heads, mask=mask, **w)


def batched_impl(x_q, x_kv, w, num_heads, mask=None):
    return multi_head_attention(x_q, x_kv, num_heads=num_heads, mask=mask, **w)


def module_impl(x_q, x_kv, w, num_heads, mask=None):
    """Build the from-scratch module and copy the weights in, transposed to ``nn.Linear``'s ``(out, in)``."""
    biases = w["biases"]
    mha = MultiHeadAttention(x_q.shape[-1], num_heads, bias=biases is not None).double()
    with torch.no_grad():
        layers = (mha.W_q, mha.W_k, mha.W_v, mha.W_o)
        for i, (lin, key) in enumerate(zip(layers, ("w_q", "w_k", "w_v", "w_o"), strict=True)):
            lin.weight.copy_(_t(w[key].T))
            if biases is not None:
                lin.bias.copy_(_t(biases[i]))
        out, weights = mha(_t(x_q), _t(x_kv), mask=_t(mask))
    return out.numpy(), weights.numpy()


def sdpa_impl(x_q, x_kv, w, num_heads, mask=None):
    tw = {k: _t(v) for k, v in w.items() if k != "biases"}
    biases = None if w["biases"] is None else tuple(_t(b) for b in w["biases"])
    out = multi_head_attention_sdpa_torch(_t(x_q), _t(x_kv), num_heads=num_heads, biases=biases, mask=_t(mask), **tw)
    return out.numpy(), None


IMPLS = {"loop": loop_impl, "batched": batched_impl, "module": module_impl, "sdpa": sdpa_impl}


def reference(d_model: int, num_heads: int, *, seed: int, bias: bool = True) -> nn.MultiheadAttention:
    """``nn.MultiheadAttention`` in float64 with random (non-zero) biases; it initialises them to 0."""
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(d_model, num_heads, bias=bias, batch_first=True, dtype=torch.float64).eval()
    if bias:
        with torch.no_grad():
            ref.in_proj_bias.normal_()
            ref.out_proj.bias.normal_()
    return ref


def make_mask(kind: str, rng: np.random.Generator, b: int, h: int, tq: int, tk: int):
    """Our mask (True = may attend) and the same mask in ``nn.MultiheadAttention``'s arguments.

    ``nn.MultiheadAttention`` uses the opposite boolean meaning (True = blocked) for both
    ``attn_mask`` and ``key_padding_mask``. Key 0 stays visible so no query is fully masked.
    """
    if kind == "none":
        return None, {}
    if kind == "key_padding":
        lengths = rng.integers(1, tk + 1, size=b)
        pad = np.arange(tk)[None, :] >= lengths[:, None]  # (B, T_k), True = padding
        return ~pad[:, None, None, :], {"key_padding_mask": _t(pad)}
    if kind == "float":
        bias = rng.standard_normal((tq, tk))
        bias[rng.random((tq, tk)) < 0.3] = -np.inf
        bias[:, 0] = 0.0
        return bias, {"attn_mask": _t(bias)}
    if kind == "causal":
        blocked = np.triu(np.ones((tq, tk), dtype=bool), k=1)  # top-left aligned, key 0 always visible
        return ~blocked, {"attn_mask": _t(blocked)}
    blocked = rng.random((b, h, tq, tk) if kind == "per_head" else (tq, tk)) < 0.4
    blocked[..., 0] = False
    if kind == "bool":
        return ~blocked, {"attn_mask": _t(blocked)}
    if kind == "per_head":  # nn.MultiheadAttention takes a 3-D mask as (B * h, T_q, T_k)
        return ~blocked, {"attn_mask": _t(blocked.reshape(b * h, tq, tk))}
    pad = np.zeros((b, tk), dtype=bool)
    pad[:, -1] = tk > 1  # "both": pad the last key and block at random
    return ~blocked[None, None] & ~pad[:, None, None, :], {"attn_mask": _t(blocked), "key_padding_mask": _t(pad)}


def check_against_torch_mha(
    impl: Impl, *, b: int, tq: int, tk: int, d: int, h: int, mask_kind: str, seed: int = 0, scale: float = 1.0
) -> None:
    """Output, per-head weights and head-averaged weights equal ``nn.MultiheadAttention``'s.

    Self-attention (the same tensor as query, key and value) when ``tq == tk``, else
    cross-attention. ``scale`` multiplies the inputs, to push the logits up.
    """
    rng = np.random.default_rng(seed)
    ref = reference(d, h, seed=seed)
    x_q = scale * rng.standard_normal((b, tq, d))
    x_kv = x_q if tq == tk else scale * rng.standard_normal((b, tk, d))
    mask, torch_masks = make_mask(mask_kind, rng, b, h, tq, tk)
    with torch.no_grad():
        want, want_w = ref(_t(x_q), _t(x_kv), _t(x_kv), need_weights=True, average_attn_weights=False, **torch_masks)
        _, want_avg = ref(_t(x_q), _t(x_kv), _t(x_kv), need_weights=True, average_attn_weights=True, **torch_masks)
    out, weights = impl(x_q, x_kv, mha_weights_from_torch(ref), h, mask)
    np.testing.assert_allclose(out, want.numpy(), rtol=1e-9, atol=1e-10)
    if weights is not None:
        assert weights.shape == (b, h, tq, tk)
        np.testing.assert_allclose(weights, want_w.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(weights.mean(axis=1), want_avg.numpy(), rtol=1e-9, atol=1e-12)


SHAPES = [  # (batch, seq_q, seq_k, d_model, num_heads)
    (1, 1, 1, 4, 1),  # length 1, batch of one, a single head
    (1, 1, 1, 4, 4),  # d_head = 1
    (2, 5, 5, 8, 2),
    (3, 4, 7, 12, 3),  # cross-attention, seq_q < seq_k
    (2, 9, 6, 16, 8),  # cross-attention, seq_q > seq_k
    (1, 16, 16, 32, 4),
]
MASKS = ["none", "key_padding", "bool", "float", "causal", "per_head", "both"]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mask_kind", MASKS)
def test_matches_torch_multihead_attention(impl: str, shape: tuple[int, ...], mask_kind: str) -> None:
    b, tq, tk, d, h = shape
    check_against_torch_mha(IMPLS[impl], b=b, tq=tq, tk=tk, d=d, h=h, mask_kind=mask_kind, seed=sum(shape))


@pytest.mark.parametrize("impl", IMPLS)
def test_large_logits_stay_finite_and_match(impl: str) -> None:
    check_against_torch_mha(IMPLS[impl], b=2, tq=5, tk=5, d=8, h=2, mask_kind="causal", scale=300.0)


def check_fully_masked_query(impl: Impl) -> None:
    """A query with no visible key gets weights 0, so its output is exactly ``b_o`` (no NaN)."""
    rng = np.random.default_rng(1)
    w = init_mha_weights(8, rng=1)
    x_q, x_kv = rng.standard_normal((2, 3, 8)), rng.standard_normal((2, 4, 8))
    mask = np.ones((2, 1, 1, 4), dtype=bool)
    mask[1] = False  # every key of the second sequence is padding
    out, weights = impl(x_q, x_kv, w, 2, mask)
    np.testing.assert_allclose(out[1], np.broadcast_to(w["biases"][3], (3, 8)), rtol=0, atol=1e-12)
    np.testing.assert_allclose(out[0], batched_impl(x_q[:1], x_kv[:1], w, 2)[0][0], rtol=1e-9, atol=1e-12)
    if weights is not None:
        assert np.all(weights[1] == 0.0)


@pytest.mark.parametrize("impl", IMPLS)
def test_fully_masked_query(impl: str) -> None:
    check_fully_masked_query(IMPLS[impl])


def test_torch_mha_fully_masked_query_depends_on_the_code_path() -> None:
    """The page's pitfall: NaN with ``need_weights=True`` and on the inference fast path, ``b_o`` through SDPA."""
    ref = reference(8, 2, seed=3)
    x = torch.randn(2, 3, 8, dtype=torch.float64)
    pad = torch.tensor([[False, False, False], [True, True, True]])
    with torch.no_grad():
        with_weights, avg = ref(x, x, x, key_padding_mask=pad, need_weights=True)
        fast, _ = ref(x, x, x, key_padding_mask=pad, need_weights=False)  # self-attention, eval, no grad
        cross, _ = ref(x, x.clone(), x.clone(), key_padding_mask=pad, need_weights=False)
    assert torch.isnan(with_weights[1]).all() and torch.isnan(avg[1]).all()
    assert torch.isnan(fast[1]).all()
    torch.testing.assert_close(cross[1], ref.out_proj.bias.detach().expand(3, 8))
    assert not torch.isnan(with_weights[0]).any()


def test_torch_mha_boolean_masks_mean_blocked() -> None:
    """In ``nn.MultiheadAttention`` a boolean ``True`` blocks a key (the opposite of SDPA's ``attn_mask``)."""
    ref = reference(4, 2, seed=4)
    x = torch.randn(1, 3, 4, dtype=torch.float64)
    blocked = torch.tensor([[False, True, False]] * 3)
    pad = torch.tensor([[False, False, True]])
    with torch.no_grad():
        _, w_attn = ref(x, x, x, attn_mask=blocked)
        _, w_pad = ref(x, x, x, key_padding_mask=pad)
    assert torch.all(w_attn[..., 1] == 0) and torch.all(w_attn[..., 0] > 0)
    assert torch.all(w_pad[..., 2] == 0) and torch.all(w_pad[..., 1] > 0)


def test_four_implementations_agree_with_each_other() -> None:
    rng = np.random.default_rng(5)
    w = init_mha_weights(12, rng=5)
    x_q, x_kv = rng.standard_normal((2, 6, 12)), rng.standard_normal((2, 5, 12))
    mask = rng.random((2, 1, 6, 5)) < 0.7
    mask[..., 0] = True
    results = {name: impl(x_q, x_kv, w, 3, mask) for name, impl in IMPLS.items()}
    for name, (out, weights) in results.items():
        np.testing.assert_allclose(out, results["loop"][0], rtol=1e-10, atol=1e-12, err_msg=name)
        if weights is not None:
            np.testing.assert_allclose(weights, results["loop"][1], rtol=1e-10, atol=1e-13, err_msg=name)


def check_hand_example(impl: Impl) -> None:
    """Two tokens x = I (d_model = 2), W_q = W_k = W_v = I, W_o swaps the two features, b_o = (1, 0).

    Two heads, d_head = 1, scale 1/sqrt(1) = 1. Head 0 sees feature 0 only, so q = k = v = (1, 0)
    over the two tokens and its scores are [[1, 0], [0, 0]]. Row 0 of its weights is
    (e, 1) / (e + 1) = (0.731059, 0.268941), row 1 is (0.5, 0.5); its output is weights @ v =
    (0.731059, 0.5). Head 1 is the mirror image: weights [[0.5, 0.5], [0.268941, 0.731059]],
    output (0.5, 0.731059). Concatenating gives token 0 = (0.731059, 0.5), token 1 =
    (0.5, 0.731059); swapping the features and adding (1, 0) gives (1.5, 0.731059) and
    (1.731059, 0.5).

    One head instead: d_head = 2, scale 1/sqrt(2), scores I / sqrt(2), so row 0 is
    (sigma(0.707107), 1 - sigma(0.707107)) = (0.669762, 0.330238) with sigma(z) = 1/(1 + e^-z);
    the head outputs (0.669762, 0.330238) and (0.330238, 0.669762), and after W_o and b_o
    token 0 is (1.330238, 0.669762): not the two-head answer.
    """
    eye, swap = np.eye(2), np.array([[0.0, 1.0], [1.0, 0.0]])
    w = {"w_q": eye, "w_k": eye, "w_v": eye, "w_o": swap, "biases": (np.zeros(2), np.zeros(2), np.zeros(2), [1, 0])}
    out, weights = impl(np.eye(2)[None], np.eye(2)[None], w, 2, None)
    np.testing.assert_allclose(out[0], [[1.5, 0.731059], [1.731059, 0.5]], atol=1e-6)
    if weights is not None:
        np.testing.assert_allclose(weights[0, 0], [[0.731059, 0.268941], [0.5, 0.5]], atol=1e-6)
        np.testing.assert_allclose(weights[0, 1], [[0.5, 0.5], [0.268941, 0.731059]], atol=1e-6)
    out1, _ = impl(np.eye(2)[None], np.eye(2)[None], w, 1, None)
    np.testing.assert_allclose(out1[0, 0], [1.330238, 0.669762], atol=1e-6)


@pytest.mark.parametrize("impl", IMPLS)
def test_hand_worked_example(impl: str) -> None:
    check_hand_example(IMPLS[impl])


def test_one_head_is_plain_attention_with_projections() -> None:
    rng = np.random.default_rng(6)
    w = init_mha_weights(6, rng=6)
    x = rng.standard_normal((2, 4, 6))
    b_q, b_k, b_v, b_o = w["biases"]
    head, _ = scaled_dot_product_attention(x @ w["w_q"] + b_q, x @ w["w_k"] + b_k, x @ w["w_v"] + b_v)
    np.testing.assert_allclose(multi_head_attention(x, x, num_heads=1, **w)[0], head @ w["w_o"] + b_o, rtol=1e-12)


def test_concat_then_project_is_a_sum_over_heads() -> None:
    """Concat(head_1, ..., head_h) W_o = sum_i head_i W_o^(i), W_o^(i) the i-th block of d_head rows."""
    rng = np.random.default_rng(7)
    heads, w_o = rng.standard_normal((2, 4, 5, 3)), rng.standard_normal((12, 12))  # (B, h, T, d_head)
    summed = sum(heads[:, i] @ w_o[3 * i : 3 * (i + 1)] for i in range(4))
    np.testing.assert_allclose(merge_heads(heads) @ w_o, summed, rtol=1e-12)


def test_split_heads_takes_contiguous_blocks_and_merge_inverts_it() -> None:
    x = np.random.default_rng(8).standard_normal((2, 3, 512))
    parts = split_heads(x, 8)
    assert parts.shape == (2, 8, 3, 64)  # the base Transformer: d_model 512, h = 8, d_k = d_v = 64
    np.testing.assert_array_equal(parts[:, 5], x[..., 5 * 64 : 6 * 64])
    np.testing.assert_array_equal(merge_heads(parts), x)


def check_param_count(count_fn: Callable[..., int]) -> None:
    """Equals ``sum(p.numel())`` of ``nn.MultiheadAttention`` and of the from-scratch module, for any h."""
    for d, heads in [(1, [1]), (4, [1, 2, 4]), (12, [1, 3, 12]), (64, [8]), (512, [1, 8, 16])]:
        for bias in (True, False):
            for h in heads:
                ref = nn.MultiheadAttention(d, h, bias=bias, batch_first=True)
                ours = MultiHeadAttention(d, h, bias=bias)
                assert count_fn(d, bias=bias) == sum(p.numel() for p in ref.parameters()), (d, h, bias)
                assert count_fn(d, bias=bias) == sum(p.numel() for p in ours.parameters()), (d, h, bias)


def test_param_count() -> None:
    check_param_count(mha_param_count)


def test_param_count_figures_on_the_page_and_in_the_bank() -> None:
    """d = 512 (base Transformer), 768 (GPT-2 small) and 1024 without biases, against PyTorch."""
    for d, h, bias, want in [(512, 8, True, 1_050_624), (768, 12, True, 2_362_368), (1024, 16, False, 4_194_304)]:
        assert mha_param_count(d, bias=bias) == want
        ref = nn.MultiheadAttention(d, h, bias=bias, batch_first=True)
        assert sum(p.numel() for p in ref.parameters()) == want
    assert 768 // 12 == 64 and split_heads(np.zeros((1, 1, 768)), 12).shape[-1] == 64


def test_flops_do_not_depend_on_the_number_of_heads() -> None:
    """FlopCounterMode over the from-scratch module: the same matmul FLOPs for h = 1 ... d, equal to mha_flops."""
    torch.manual_seed(0)
    for b, tq, tk, d, heads in [(2, 7, 7, 16, (1, 2, 4, 16)), (1, 3, 5, 8, (1, 8))]:
        x_q, x_kv = torch.randn(b, tq, d, dtype=torch.float64), torch.randn(b, tk, d, dtype=torch.float64)
        for h in heads:
            with FlopCounterMode(display=False) as counter:
                MultiHeadAttention(d, h).double()(x_q, x_kv)
            assert counter.get_total_flops() == mha_flops(b, tq, tk, d), (b, tq, tk, d, h)


def test_flops_figures_in_the_bank() -> None:
    """Self-attention: projections 8 B T d^2 equal the attention matmuls 4 B T^2 d exactly at T = 2 d."""
    assert mha_flops(1, 1024, 1024, 512) == 2 * 8 * 1024 * 512**2 == 4_294_967_296
    d = 4096
    assert 4 * d**2 * (2 * 2 * d) == 4 * (2 * d) ** 2 * d  # T = 2 d = 8192 balances the two terms


def test_weights_memory_grows_with_heads() -> None:
    """The stored weights are (B, h, T_q, T_k): h times one head's. 32 heads x 4096^2 x 2 bytes = 1024 MiB."""
    x = np.zeros((1, 6, 8))
    w = init_mha_weights(8)
    assert (
        multi_head_attention(x, x, num_heads=4, **w)[1].size == 4 * multi_head_attention(x, x, num_heads=1, **w)[1].size
    )
    assert 32 * 4096**2 * 2 / 2**20 == 1024


def test_weights_from_torch_split_in_proj() -> None:
    ref = reference(6, 2, seed=9)
    w = mha_weights_from_torch(ref)
    d = 6
    np.testing.assert_array_equal(w["w_k"], ref.in_proj_weight.detach().numpy()[d : 2 * d].T)
    np.testing.assert_array_equal(w["biases"][2], ref.in_proj_bias.detach().numpy()[2 * d :])
    assert mha_weights_from_torch(reference(6, 2, seed=9, bias=False))["biases"] is None
    with pytest.raises(ValueError, match="kdim = vdim = embed_dim"):
        mha_weights_from_torch(nn.MultiheadAttention(6, 2, kdim=4, vdim=4))
    with pytest.raises(ValueError, match="add_bias_kv=False"):
        mha_weights_from_torch(nn.MultiheadAttention(6, 2, add_bias_kv=True))


def test_init_weights_is_seeded() -> None:
    a, b, c = init_mha_weights(4, rng=1), init_mha_weights(4, rng=1), init_mha_weights(4, rng=2)
    np.testing.assert_array_equal(a["w_v"], b["w_v"])
    assert not np.array_equal(a["w_v"], c["w_v"])
    assert init_mha_weights(4, bias=False)["biases"] is None


# ---------------------------------------------------------------- errors

W4 = init_mha_weights(4)
X = np.zeros((2, 3, 4))
BAD_CALLS = [  # (x_q, x_kv, weight overrides, num_heads, mask, message)
    (np.zeros(3), X, {}, 2, None, r"x_q must have shape \(batch, seq_q, d_model\) with non-zero sizes; got \(3,\)"),
    (X, np.zeros((2, 0, 4)), {}, 2, None, r"x_kv must have shape \(batch, seq_k, d_model\)"),
    (X, np.zeros((1, 3, 4)), {}, 2, None, r"x_kv must have batch = 2 and d_model = 4 like x_q; got x_kv of shape"),
    (X, X, {}, 3, None, r"d_model must be divisible by num_heads; got d_model = 4, num_heads = 3"),
    (X, X, {}, 0, None, r"num_heads must be a positive integer; got 0"),
    (X, X, {"w_q": np.zeros((4, 2))}, 2, None, r"w_q must have shape \(d_model, d_model\) = \(4, 4\) .*got \(4, 2\)"),
    (X, X, {"biases": (np.zeros(4),) * 3}, 2, None, r"biases must be 4 vectors \(b_q, b_k, b_v, b_o\)"),
    (X, X, {}, 2, np.ones((2, 3, 3, 3), dtype=bool), r"mask must broadcast to .* = \(2, 2, 3, 3\); got \(2, 3, 3, 3\)"),
]


@pytest.mark.parametrize("impl", ["loop", "batched", "sdpa"])
@pytest.mark.parametrize("call", BAD_CALLS, ids=range(len(BAD_CALLS)))
def test_bad_input_raises(impl: str, call: tuple) -> None:
    x_q, x_kv, overrides, h, mask, message = call
    with pytest.raises(ValueError, match=message):
        IMPLS[impl](x_q, x_kv, {**W4, **overrides}, h, mask)


@pytest.mark.parametrize("call", [c for c in BAD_CALLS if not c[2]], ids=lambda c: c[-1][:30])
def test_module_bad_input_raises(call: tuple) -> None:
    x_q, x_kv, _, h, mask, message = call
    if h < 1 or 4 % h:  # bad head counts fail when the module is built
        with pytest.raises(ValueError, match=message):
            MultiHeadAttention(4, h)
        return
    mha = MultiHeadAttention(4, h).double()
    with pytest.raises(ValueError, match=message):
        mha(_t(x_q), _t(x_kv), mask=_t(mask))


def test_module_rejects_a_different_width() -> None:
    with pytest.raises(ValueError, match=r"w_q must have shape \(d_model, d_model\) = \(6, 6\) to match x_q"):
        MultiHeadAttention(4, 2).double()(torch.zeros(1, 2, 6, dtype=torch.float64), torch.zeros(1, 2, 6))


def test_helper_errors() -> None:
    with pytest.raises(ValueError, match=r"x must have shape \(batch, seq, d_model\); got \(4,\)"):
        split_heads(np.zeros(4), 2)
    with pytest.raises(ValueError, match="d_model must be divisible by num_heads; got d_model = 6, num_heads = 4"):
        split_heads(np.zeros((1, 2, 6)), 4)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, num_heads, seq, d_head\); got \(2, 3\)"):
        merge_heads(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="d_model must be a positive integer; got 0"):
        mha_param_count(0)
    with pytest.raises(ValueError, match=r"d_model must be a positive integer; got 2.5"):
        mha_param_count(2.5)
    with pytest.raises(ValueError, match="seq_k must be a positive integer; got -1"):
        mha_flops(1, 2, -1, 4)
    with pytest.raises(ValueError, match="d_model must be a positive integer; got True"):
        init_mha_weights(True)


def test_reshaping_straight_to_heads_mixes_tokens() -> None:
    """The page's pitfall: (B, T, d) -> (B, h, T, d_head) directly has the right shape and wrong contents."""
    x = np.arange(24.0).reshape(1, 3, 8)
    wrong = x.reshape(1, 2, 3, 4)
    assert wrong.shape == split_heads(x, 2).shape
    assert not np.array_equal(wrong, split_heads(x, 2))
    np.testing.assert_array_equal(wrong[0, 0, 1], [4.0, 5.0, 6.0, 7.0])  # "token 1" of head 0 is token 0's second half
    heads = torch.randn(2, 4, 3, 5).transpose(1, 2)  # (B, T, h, d_head), not contiguous
    with pytest.raises(RuntimeError):
        heads.view(2, 3, 20)
    assert heads.reshape(2, 3, 20).shape == (2, 3, 20)


def test_scaling_by_d_model_flattens_every_head() -> None:
    """Dividing by sqrt(d_model) = sqrt(h) sqrt(d_head) raises the softmax temperature: every row's entropy grows."""
    rng = np.random.default_rng(11)
    d_model, h = 64, 16
    q, k = (split_heads(rng.standard_normal((2, 5, d_model)), h) for _ in range(2))
    v = np.zeros((2, h, 5, 1))
    _, right = scaled_dot_product_attention(q, k, v)
    _, wrong = scaled_dot_product_attention(q, k, v, scale=1 / math.sqrt(d_model))
    _, via_h = scaled_dot_product_attention(q / math.sqrt(h), k, v)
    np.testing.assert_allclose(wrong, via_h, rtol=1e-12)

    def entropy(p: np.ndarray) -> np.ndarray:
        return -(p * np.log(p)).sum(-1)

    assert np.all(entropy(wrong) > entropy(right))


def test_torch_mha_default_is_sequence_first() -> None:
    """Without batch_first=True, a (B, T, d) input is read as (T, B, d): it runs and attends across the batch."""
    ref = reference(8, 2, seed=10)
    seq_first = nn.MultiheadAttention(8, 2, dtype=torch.float64).eval()
    seq_first.load_state_dict(ref.state_dict())
    x = torch.randn(3, 5, 8, dtype=torch.float64)  # meant as (B = 3, T = 5, d = 8)
    with torch.no_grad():
        right, _ = ref(x, x, x)
        misread, _ = seq_first(x, x, x)
        as_batch_first, _ = ref(*(x.transpose(0, 1),) * 3)
    assert not torch.allclose(right, misread)
    torch.testing.assert_close(misread, as_batch_first.transpose(0, 1))


def test_bank_split_options() -> None:
    """The bank's split question: einsum over W_q viewed as (d, h, d_h) is right; a strided split is not."""
    b, t, d, h = 2, 3, 8, 2
    x, w_q = torch.randn(b, t, d, dtype=torch.float64), torch.randn(d, d, dtype=torch.float64)
    q = x @ w_q
    right = q.view(b, t, h, d // h).transpose(1, 2)
    np.testing.assert_allclose(right.numpy(), split_heads(q.numpy(), h))
    torch.testing.assert_close(torch.einsum("btd,dhe->bhte", x, w_q.view(d, h, d // h)), right)
    assert not torch.allclose(q.view(b, t, d // h, h).permute(0, 3, 1, 2), right)


def test_each_heads_scores_have_rank_at_most_d_head() -> None:
    """The low-rank bottleneck on the page: Q_i K_i^T is (T, T) but has rank at most d_head."""
    rng = np.random.default_rng(12)
    q, k = (split_heads(rng.standard_normal((1, 10, 8)), 4) for _ in range(2))  # d_head = 2, T = 10
    ranks = [np.linalg.matrix_rank(q[0, i] @ k[0, i].T) for i in range(4)]
    assert ranks == [2, 2, 2, 2]


# ---------------------------------------------------------------- audit fixes: masks, lazy torch, low precision


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_integer_masks_are_refused_by_every_implementation(impl: str, dtype) -> None:
    """An int mask could mean 0/1 keep-flags or an additive bias: all four refuse it the same way.

    The module used to add it to the scores, so ``[[1, 0], ...]`` shifted logits instead of masking.
    """
    w, x = init_mha_weights(4), np.zeros((1, 2, 4))
    with pytest.raises(ValueError, match=r"mask must be boolean \(True = may attend\) or floating \(added\)"):
        IMPLS[impl](x, x, w, 2, np.ones((2, 2), dtype=dtype))


def test_torch_versions_refuse_numpy_arrays_and_numpy_refuses_tensors() -> None:
    w = {k: torch.zeros(4, 4) for k in ("w_q", "w_k", "w_v", "w_o")}
    with pytest.raises(TypeError, match=r"x_q must be a torch.Tensor; got a NumPy array"):
        multi_head_attention_sdpa_torch(np.zeros((1, 2, 4)), torch.zeros(1, 2, 4), num_heads=2, **w)
    with pytest.raises(TypeError, match=r"x_kv must be a torch.Tensor; got a NumPy array"):
        MultiHeadAttention(4, 2)(torch.zeros(1, 2, 4), np.zeros((1, 2, 4)))
    with pytest.raises(TypeError, match=r"x_q must be a NumPy array or array-like; got a torch.Tensor"):
        multi_head_attention(torch.zeros(1, 2, 4), np.zeros((1, 2, 4)), num_heads=2, **init_mha_weights(4))
    with pytest.raises(TypeError, match=r"mha must be a torch.nn.MultiheadAttention; got MultiHeadAttention"):
        mha_weights_from_torch(MultiHeadAttention(4, 2))


def test_module_imports_without_torch() -> None:
    """``import concepts.multi_head_attention`` needs no PyTorch; the module class asks for the extra."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import numpy as np, concepts.multi_head_attention as m\n"
        "w = m.init_mha_weights(4); x = np.ones((1, 2, 4))\n"
        "print(m.multi_head_attention(x, x, num_heads=2, **w)[0].shape)\n"
        "try:\n    m.MultiHeadAttention\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "(1, 2, 4)",
        "this function needs PyTorch, which is not installed: pip install 'interview-concepts[torch]'",
    ]


LOW_PRECISION = [  # dtype, atol, rtol: bfloat16 keeps 8 significant bits, so ~2^-8 relative error per rounding
    (torch.float32, 2e-5, 1e-5),
    (torch.bfloat16, 5e-2, 5e-2),
    (torch.float16, 5e-3, 5e-3),
]


@pytest.mark.parametrize(("dtype", "atol", "rtol"), LOW_PRECISION, ids=lambda v: str(v))
@pytest.mark.parametrize("which", ["module", "sdpa"])
def test_torch_versions_match_torch_mha_in_low_precision(which: str, dtype, atol: float, rtol: float) -> None:
    """The two PyTorch versions run in float32 / bfloat16 / float16 and agree with ``nn.MultiheadAttention``
    in the same dtype, within that dtype's rounding (a causal mask, so masking is exercised too)."""
    ref = reference(16, 4, seed=11).to(dtype)
    x = torch.randn(2, 6, 16, generator=torch.Generator().manual_seed(11)).to(dtype)
    blocked = torch.ones(6, 6, dtype=torch.bool).triu(1)
    with torch.no_grad():
        want, _ = ref(x, x, x, attn_mask=blocked, need_weights=False)
        if which == "module":
            mha = MultiHeadAttention(16, 4).to(dtype)
            for lin, (w_in, b_in) in zip(
                (mha.W_q, mha.W_k, mha.W_v),
                zip(ref.in_proj_weight.chunk(3), ref.in_proj_bias.chunk(3), strict=True),
                strict=True,
            ):
                lin.weight.copy_(w_in), lin.bias.copy_(b_in)
            mha.W_o.weight.copy_(ref.out_proj.weight), mha.W_o.bias.copy_(ref.out_proj.bias)
            got, weights = mha(x, x, mask=~blocked)
            assert weights.dtype == dtype
        else:
            w_q, w_k, w_v = (w.T for w in ref.in_proj_weight.chunk(3))
            biases = (*ref.in_proj_bias.chunk(3), ref.out_proj.bias)
            got = multi_head_attention_sdpa_torch(
                x, x, w_q, w_k, w_v, ref.out_proj.weight.T, 4, biases=biases, mask=~blocked
            )
    assert got.dtype == dtype
    torch.testing.assert_close(got, want, atol=atol, rtol=rtol)


def test_bank_numeric_answers_are_right() -> None:
    """Every numeric key of the bank, recomputed from the package (float64 NumPy, or exact integers)."""
    x = np.eye(2)[None]
    _, hand = multi_head_attention(x, x, np.eye(2), np.eye(2), np.eye(2), np.eye(2), 2)
    keep = np.array([[1, 0], [1, 1]])  # the int keep-mask, wrongly added as if it were a float bias
    _, added = scaled_dot_product_attention(np.zeros((2, 1)), np.zeros((2, 1)), np.eye(2), mask=keep.astype(float))
    d = 4096
    crossover = next(t for t in range(1, 4 * d) if 8 * t * d**2 == 4 * t**2 * d)
    w = init_mha_weights(512, bias=False)
    q_head = split_heads(np.random.default_rng(0).standard_normal((1, 1024, 512)) @ w["w_q"], 8)[0, 0]
    k_head = split_heads(np.random.default_rng(1).standard_normal((1, 1024, 512)) @ w["w_k"], 8)[0, 0]
    computed = {
        "multi_head_attention.dhead-gpt2": split_heads(np.zeros((1, 1, 768)), 12).shape[-1],
        "multi_head_attention.params-base": mha_param_count(512),
        "multi_head_attention.params-no-bias": mha_param_count(1024, bias=False),
        "multi_head_attention.crossover": crossover,
        "multi_head_attention.weights-memory": 32 * 4096**2 * np.dtype(np.float16).itemsize / 2**20,
        "multi_head_attention.hand-weight": float(hand[0, 0, 0, 0]),
        "multi_head_attention.int-mask-added": float(added[0, 1]),
        "multi_head_attention.head-rank": int(np.linalg.matrix_rank(q_head @ k_head.T)),
        "multi_head_attention.forward-gflops": mha_flops(1, 2048, 2048, 1024) / 1e9,
    }
    check_numeric_keys("multi_head_attention", computed, bank_tolerance)


@pytest.mark.parametrize(
    ("exercise", "impl"),
    [("multi_head_attention.split-heads", split_heads), ("multi_head_attention.forward", multi_head_attention)],
)
def test_exercise_checks_pass_on_our_code(exercise: str, impl) -> None:
    """The checks that grade a learner's file pass on our implementation."""
    results = run_checks(CHECKS[exercise], impl)
    assert [(r.name, r.message) for r in results if not r.passed] == []


@pytest.mark.parametrize("impl", ["loop", "module"])
def test_the_other_implementations_pass_the_layer_checks(impl: str) -> None:
    """The exercise's checks, run on the loop and the module (the SDPA version returns no weights)."""

    def candidate(x_q, x_kv, w_q, w_k, w_v, w_o, num_heads, *, biases=None, mask=None):
        w = {"w_q": w_q, "w_k": w_k, "w_v": w_v, "w_o": w_o, "biases": biases}
        return IMPLS[impl](np.asarray(x_q), np.asarray(x_kv), w, num_heads, mask)

    results = run_checks(CHECKS["multi_head_attention.forward"], candidate)
    assert [(r.name, r.message) for r in results if not r.passed] == []
