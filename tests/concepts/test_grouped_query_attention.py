"""Grouped-query attention checked against PyTorch's SDPA with ``enable_gqa=True``, in float64.

The reference is ``torch.nn.functional.scaled_dot_product_attention(..., enable_gqa=True)``;
it returns only the output, so its weights are read off by attending over identity
matrices as values (``P @ I = P``). Each ``check_*`` takes the implementation under test,
a function with the signature of ``concepts.grouped_query_attention.grouped_query_attention``
on NumPy arrays, so the same checks can grade a learner's solution. Published model
configurations (Llama-2, Llama-3, Mistral 7B, Falcon-7B) are checked through the byte and
parameter formulas.
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

from concepts.attention import scaled_dot_product_attention
from concepts.exercises._harness import run_checks
from concepts.exercises.grouped_query_attention import CHECKS as EXERCISE_CHECKS
from concepts.grouped_query_attention import (
    gqa_param_count,
    gqa_self_attention,
    grouped_query_attention,
    grouped_query_attention_torch,
    kv_head_of,
    mean_pool_kv_heads,
    repeat_kv,
)
from concepts.kv_cache import kv_cache_bytes, kv_cache_bytes_per_token
from concepts.multi_head_attention import mha_param_count, multi_head_attention

Attention = Callable[..., tuple[np.ndarray, np.ndarray]]
BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "grouped_query_attention.json"
KiB, MiB, GiB = 2**10, 2**20, 2**30


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one intra-op thread avoids oversubscribing a shared two-core machine."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def as_numpy(torch_fn: Callable) -> Attention:
    """Wrap a PyTorch GQA so it takes and returns NumPy arrays (float64 stays float64)."""

    def fn(q, k, v, *, mask=None, is_causal=False, scale=None):
        t = [torch.from_numpy(np.ascontiguousarray(a)) for a in (q, k, v)]
        m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
        out, weights = torch_fn(*t, mask=m, is_causal=is_causal, scale=scale)
        return out.numpy(), weights.numpy()

    return fn


IMPLEMENTATIONS = {"numpy": grouped_query_attention, "torch": as_numpy(grouped_query_attention_torch)}


def sdpa_gqa(q, k, v, *, mask=None, is_causal=False, scale=None) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's SDPA with enable_gqa=True on NumPy arrays, returning (output, weights) like ours."""
    q, k, v = (torch.from_numpy(np.ascontiguousarray(a)) for a in (q, k, v))
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    kw = dict(attn_mask=m, is_causal=is_causal, scale=scale, enable_gqa=True)
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    eye = torch.eye(k.shape[-2], dtype=k.dtype).expand(*k.shape[:-1], k.shape[-2])  # g heads of identity values
    return out.numpy(), F.scaled_dot_product_attention(q, k, eye, **kw).numpy()


def assert_close(got, want) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def random_qkv(rng, batch, h, g, seq_q, seq_k, d_k, d_v, *, size=1.0):
    q = size * rng.standard_normal((*batch, h, seq_q, d_k))
    k = size * rng.standard_normal((*batch, g, seq_k, d_k))
    return q, k, rng.standard_normal((*batch, g, seq_k, d_v))


# ---------------------------------------------------------------- against SDPA(enable_gqa=True)

# (batch axes, h, g, seq_q, seq_k, d_k, d_v)
CASES = [
    ((), 1, 1, 1, 1, 1, 1),  # length 1, no batch axis
    ((1,), 4, 2, 1, 6, 8, 8),  # batch of one, one decoding query over six keys
    ((2,), 8, 2, 5, 5, 16, 16),  # GQA, groups of four
    ((2,), 6, 3, 7, 4, 8, 5),  # cross-attention, seq_q > seq_k, d_v != d_k
    ((1,), 8, 1, 9, 9, 4, 4),  # MQA
    ((2,), 4, 4, 3, 3, 8, 8),  # MHA
    ((2, 3), 4, 2, 4, 6, 8, 3),  # two batch axes
]
MASKS = ["none", "causal", "bool", "bool-per-head", "additive"]


def make_mask(kind: str, batch, h, seq_q, seq_k, rng):
    """(mask, is_causal) of the given kind."""
    if kind == "none":
        return None, False
    if kind == "causal":
        return None, True
    if kind == "bool":  # shared by every head; may leave a query with no key
        return rng.random((seq_q, seq_k)) < 0.7, False
    if kind == "bool-per-head":  # a different mask for each query head: tests the head order
        return rng.random((*batch, h, seq_q, seq_k)) < 0.6, False
    if kind == "additive":
        shape = (*batch, h, seq_q, seq_k)
        return np.where(rng.random(shape) < 0.3, -np.inf, rng.standard_normal(shape)), False
    raise AssertionError(kind)


def check_against_sdpa(attn_fn: Attention, batch, h, g, seq_q, seq_k, d_k, d_v, mask_kind, seed=0) -> None:
    """Output and weights equal SDPA(enable_gqa=True), with the default scale and an explicit one."""
    rng = np.random.default_rng(seed)
    q, k, v = random_qkv(rng, batch, h, g, seq_q, seq_k, d_k, d_v)
    mask, is_causal = make_mask(mask_kind, batch, h, seq_q, seq_k, rng)
    for scale in (None, 0.3):
        out, weights = attn_fn(q, k, v, mask=mask, is_causal=is_causal, scale=scale)
        want_out, want_weights = sdpa_gqa(q, k, v, mask=mask, is_causal=is_causal, scale=scale)
        assert out.shape == (*batch, h, seq_q, d_v) and weights.shape == (*batch, h, seq_q, seq_k)
        assert_close(out, want_out)
        assert_close(weights, want_weights)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("mask_kind", MASKS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[0] + c[1:])))
def test_matches_sdpa_enable_gqa(impl: str, mask_kind: str, case) -> None:
    check_against_sdpa(IMPLEMENTATIONS[impl], *case, mask_kind)


def test_sdpa_groups_consecutive_heads() -> None:
    """SDPA's enable_gqa equals repeat_interleave of the K/V heads (our grouping), not repeat (i % g)."""
    rng = np.random.default_rng(1)
    q, k, v = (torch.from_numpy(a) for a in random_qkv(rng, (2,), 8, 2, 3, 5, 4, 4))
    got = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    interleaved = F.scaled_dot_product_attention(q, k.repeat_interleave(4, -3), v.repeat_interleave(4, -3))
    tiled = F.scaled_dot_product_attention(q, k.repeat(1, 4, 1, 1), v.repeat(1, 4, 1, 1))
    torch.testing.assert_close(got, interleaved, rtol=1e-12, atol=1e-12)
    assert not torch.allclose(got, tiled)


def check_grouping(attn_fn: Attention) -> None:
    """Query head i is plain attention of q_i over K/V head i // (h/g), and not over head i % g."""
    rng = np.random.default_rng(2)
    h, g = 6, 2
    q, k, v = random_qkv(rng, (2,), h, g, 4, 5, 8, 3)
    out, _ = attn_fn(q, k, v)
    for i, j in enumerate(kv_head_of(h, g)):
        assert j == i // 3
        assert_close(out[:, i], scaled_dot_product_attention(q[:, i], k[:, j], v[:, j])[0])
        if j != i % g:
            assert not np.allclose(out[:, i], scaled_dot_product_attention(q[:, i], k[:, i % g], v[:, i % g])[0])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_grouping(impl: str) -> None:
    check_grouping(IMPLEMENTATIONS[impl])


def check_mha_and_mqa_limits(attn_fn: Attention) -> None:
    """g = h is ordinary multi-head attention; g = 1 is multi-query attention (one K/V head for all)."""
    rng = np.random.default_rng(3)
    q, k, v = random_qkv(rng, (2,), 4, 4, 5, 5, 8, 8)
    mask = rng.random((2, 4, 5, 5)) < 0.7
    out, weights = attn_fn(q, k, v, mask=mask)
    want = torch.nn.functional.scaled_dot_product_attention(  # SDPA without enable_gqa: one K/V per head
        *(torch.from_numpy(a) for a in (q, k, v)), attn_mask=torch.from_numpy(mask)
    )
    assert_close(out, want.numpy())
    assert_close(out, scaled_dot_product_attention(q, k, v, mask=mask)[0])
    k1, v1 = k[:, :1], v[:, :1]  # g = 1
    out, weights = attn_fn(q, k1, v1, is_causal=True)
    for i in range(4):
        want_out, want_w = scaled_dot_product_attention(q[:, i], k1[:, 0], v1[:, 0], is_causal=True)
        assert_close(out[:, i], want_out)
        assert_close(weights[:, i], want_w)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_mha_and_mqa_limits(impl: str) -> None:
    check_mha_and_mqa_limits(IMPLEMENTATIONS[impl])


def check_fully_masked_rows(attn_fn: Attention) -> None:
    """A query with every key masked gets zeros (as SDPA with enable_gqa does), never NaN."""
    rng = np.random.default_rng(4)
    q, k, v = random_qkv(rng, (2,), 4, 2, 3, 5, 4, 2)
    mask = np.ones((4, 3, 5), dtype=bool)
    mask[1, 2] = False  # head 1, query 2 sees nothing
    mask[:, 0] = False  # query 0 sees nothing in any head
    want_out, want_weights = sdpa_gqa(q, k, v, mask=mask)
    assert (want_out[:, 1, 2] == 0).all() and (want_out[:, :, 0] == 0).all(), "SDPA no longer returns zeros"
    out, weights = attn_fn(q, k, v, mask=mask)
    assert not np.isnan(out).any() and not np.isnan(weights).any()
    assert (out[:, 1, 2] == 0).all() and (weights[:, :, 0] == 0).all()
    assert_close(out, want_out)
    assert_close(weights, want_weights)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_fully_masked_rows(impl: str) -> None:
    check_fully_masked_rows(IMPLEMENTATIONS[impl])


def check_large_logits(attn_fn: Attention) -> None:
    """Scores of order 1e4 neither overflow nor give NaN, and still equal SDPA's."""
    rng = np.random.default_rng(5)
    q, k, v = random_qkv(rng, (2,), 4, 2, 6, 6, 16, 3, size=100.0)
    assert np.abs(q @ np.repeat(k, 2, axis=-3).swapaxes(-1, -2) / 4).max() > 1e4
    with np.errstate(over="raise", invalid="raise"):
        out, weights = attn_fn(q, k, v)
    assert np.isfinite(out).all() and np.isfinite(weights).all()
    want_out, want_weights = sdpa_gqa(q, k, v)
    assert_close(out, want_out)
    assert_close(weights, want_weights)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_large_logits(impl: str) -> None:
    check_large_logits(IMPLEMENTATIONS[impl])


def check_hand_worked_example(attn_fn: Attention) -> None:
    """h = 4 query heads, g = 2 key/value heads, d_k = d_v = 1, one query, two keys; by hand.

    The group size is r = 4 / 2 = 2: heads 0, 1 read KV head 0, heads 2, 3 read KV head 1.
    The scale is 1 / sqrt(1) = 1. KV head 0 has keys (0, 1) and values (10, 20); KV head 1
    has keys (2, 0) and values (0, 4).

    - head 0, q = 1: scores (0, 1), weights (1/(1+e), e/(1+e)) = (0.268941, 0.731059),
      output 10 + 10 e/(1+e) = 17.310586.
    - head 1, q = -1: scores (0, -1), weights (e/(1+e), 1/(1+e)), output 10 + 10/(1+e) = 12.689414.
    - head 2, q = 0: scores (0, 0), weights (1/2, 1/2), output (0 + 4)/2 = 2.
    - head 3, q = ln(3)/2: scores (ln 3, 0), weights (3/4, 1/4), output 4/4 = 1.

    Had head 1 read KV head i % g = 1 instead, its scores would be (-2, 0) and its output
    4 / (1 + e^-2) = 3.523188, not 12.689414.
    """
    q = np.array([1.0, -1.0, 0.0, math.log(3) / 2]).reshape(4, 1, 1)  # (h, seq_q, d_k)
    k = np.array([[0.0, 1.0], [2.0, 0.0]]).reshape(2, 2, 1)  # (g, seq_k, d_k)
    v = np.array([[10.0, 20.0], [0.0, 4.0]]).reshape(2, 2, 1)
    s = math.e / (1 + math.e)
    out, weights = attn_fn(q, k, v)
    np.testing.assert_allclose(weights[:, 0], [[1 - s, s], [s, 1 - s], [0.5, 0.5], [0.75, 0.25]], atol=1e-12)
    np.testing.assert_allclose(out[:, 0, 0], [10 + 10 * s, 10 + 10 * (1 - s), 2.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(np.round(out[:2, 0, 0], 4), [17.3106, 12.6894], atol=1e-12)
    assert abs(out[1, 0, 0] - 4 / (1 + math.exp(-2))) > 9


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_hand_worked_example(impl: str) -> None:
    check_hand_worked_example(IMPLEMENTATIONS[impl])


def test_torch_mirror_keeps_dtype() -> None:
    gen = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 4, 3, 8, generator=gen), torch.randn(2, 2, 3, 8, generator=gen)
    out, weights = grouped_query_attention_torch(q, k, k, is_causal=True)
    assert out.dtype == weights.dtype == torch.float32
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, k, is_causal=True, enable_gqa=True))


# ---------------------------------------------------------------- the grouping helpers


@pytest.mark.parametrize("h, g", [(1, 1), (4, 4), (8, 2), (8, 1), (64, 8), (6, 3)])
def test_kv_head_of_matches_repeat_interleave(h: int, g: int) -> None:
    want = torch.arange(g).repeat_interleave(h // g)
    assert kv_head_of(h, g).tolist() == want.tolist()
    assert np.bincount(kv_head_of(h, g)).tolist() == [h // g] * g  # every KV head serves h/g query heads


def check_repeat_kv(fn: Callable) -> None:
    """Equal to torch's repeat_interleave on the head axis and to the expand-then-reshape idiom."""
    rng = np.random.default_rng(6)
    for shape, n_rep in [((3, 2, 4), 1), ((2, 2, 5, 4), 4), ((1, 1, 3, 2), 8)]:
        kv = rng.standard_normal(shape)
        got = fn(kv, n_rep)
        t = torch.from_numpy(kv)
        assert_close(got, t.repeat_interleave(n_rep, dim=-3).numpy())
        *lead, g, seq, d = shape
        expanded = t.unsqueeze(-3).expand(*lead, g, n_rep, seq, d).reshape(*lead, g * n_rep, seq, d)
        assert_close(got, expanded.numpy())


def test_repeat_kv() -> None:
    check_repeat_kv(repeat_kv)


def test_repeat_kv_then_attention_equals_gqa() -> None:
    """Copying K/V to h heads and running MHA gives GQA's result: GQA only saves the copies."""
    rng = np.random.default_rng(7)
    q, k, v = random_qkv(rng, (2,), 8, 2, 4, 6, 8, 8)
    want = grouped_query_attention(q, k, v, is_causal=True)
    got = scaled_dot_product_attention(q, repeat_kv(k, 4), repeat_kv(v, 4), is_causal=True)
    assert_close(got[0], want[0])
    assert_close(got[1], want[1])


# ---------------------------------------------------------------- the layer


def torch_gqa_layer(x, w_q, w_k, w_v, w_o, h, g, *, is_causal=False) -> np.ndarray:
    """The same layer written with nn.functional.linear and SDPA(enable_gqa=True)."""
    x, w_q, w_k, w_v, w_o = (torch.from_numpy(a) for a in (x, w_q, w_k, w_v, w_o))
    (b, t, _), d_head = x.shape, w_q.shape[1] // h
    q = F.linear(x, w_q.T).view(b, t, h, d_head).transpose(1, 2)
    k = F.linear(x, w_k.T).view(b, t, g, d_head).transpose(1, 2)
    v = F.linear(x, w_v.T).view(b, t, g, d_head).transpose(1, 2)
    o = F.scaled_dot_product_attention(q, k, v, is_causal=is_causal, enable_gqa=True)
    return F.linear(o.transpose(1, 2).reshape(b, t, h * d_head), w_o.T).numpy()


def random_layer(rng, d, h, g, d_head=None):
    d_head = d_head or d // h
    shapes = [(d, h * d_head), (d, g * d_head), (d, g * d_head), (h * d_head, d)]
    return [rng.standard_normal(s) / math.sqrt(s[0]) for s in shapes]


@pytest.mark.parametrize("d, h, g, is_causal", [(8, 4, 2, True), (16, 8, 1, False), (12, 6, 6, True), (4, 1, 1, False)])
def test_layer_matches_torch(d: int, h: int, g: int, is_causal: bool) -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 5, d))
    ws = random_layer(rng, d, h, g)
    assert_close(
        gqa_self_attention(x, *ws, h, g, is_causal=is_causal), torch_gqa_layer(x, *ws, h, g, is_causal=is_causal)
    )


def test_layer_with_g_equal_h_is_multi_head_attention() -> None:
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 5, 8))
    ws = random_layer(rng, 8, 4, 4)
    assert_close(gqa_self_attention(x, *ws, 4, 4), multi_head_attention(x, x, *ws, 4)[0])


# ---------------------------------------------------------------- converting an MHA checkpoint


def check_conversion(pool_fn: Callable) -> None:
    """Mean-pooling K and V heads per group (Ainslie et al., 2023).

    Exact when the heads within each group are already identical: the pooled GQA layer
    gives the MHA layer's output. Not exact otherwise, which is why the paper uptrains.
    """
    rng = np.random.default_rng(10)
    d, h, g, d_head = 16, 8, 2, 2
    x = rng.standard_normal((2, 6, d))
    w_q, w_k, w_v, w_o = random_layer(rng, d, h, h, d_head)
    # an MHA checkpoint whose K and V heads repeat within each group of h/g = 4
    w_k_same = np.repeat(w_k[:, : g * d_head].reshape(d, g, 1, d_head), 4, axis=2).reshape(d, h * d_head)
    w_v_same = np.repeat(w_v[:, : g * d_head].reshape(d, g, 1, d_head), 4, axis=2).reshape(d, h * d_head)
    mha = gqa_self_attention(x, w_q, w_k_same, w_v_same, w_o, h, h, is_causal=True)
    assert_close(
        mha, multi_head_attention(x, x, w_q, w_k_same, w_v_same, w_o, h, mask=np.tril(np.ones((6, 6), bool)))[0]
    )
    pk, pv = pool_fn(w_k_same, h, g), pool_fn(w_v_same, h, g)
    assert pk.shape == pv.shape == (d, g * d_head)
    assert_close(gqa_self_attention(x, w_q, pk, pv, w_o, h, g, is_causal=True), mha)
    # distinct heads: pooling changes the function
    mha = gqa_self_attention(x, w_q, w_k, w_v, w_o, h, h)
    pooled = gqa_self_attention(x, w_q, pool_fn(w_k, h, g), pool_fn(w_v, h, g), w_o, h, g)
    assert np.abs(pooled - mha).max() > 1e-2
    # each pooled head is the mean of its group's heads, computed the torch way
    want = torch.from_numpy(w_k).view(d, g, h // g, d_head).mean(dim=2).reshape(d, g * d_head)
    assert_close(pool_fn(w_k, h, g), want.numpy())


def test_conversion() -> None:
    check_conversion(mean_pool_kv_heads)


def test_conversion_on_nn_linear_layout_and_biases() -> None:
    """nn.Linear stores (out, in): pool along axis 0. A bias pools like a one-row matrix."""
    rng = np.random.default_rng(11)
    w = rng.standard_normal((4, 24))  # d_model = 4, h = 6 heads of d_head = 4
    assert_close(mean_pool_kv_heads(w.T, 6, 3, axis=0), mean_pool_kv_heads(w, 6, 3).T)
    b = rng.standard_normal(24)
    assert_close(mean_pool_kv_heads(b, 6, 1), b.reshape(6, 4).mean(0))  # MQA: the mean of all six heads


@pytest.mark.parametrize("d, h, g", [(16, 8, 2), (8192, 64, 8), (4096, 32, 8), (4096, 32, 1)])
def test_conversion_removes_the_counted_parameters(d: int, h: int, g: int) -> None:
    """Pooling K and V from h to g heads removes 2 d (h - g) d_head parameters: the formula's difference."""
    d_head = d // h
    pooled = mean_pool_kv_heads(np.zeros((1, h * d_head)), h, g)  # one row of the (d, h d_head) matrix
    removed = 2 * d * (h * d_head - pooled.shape[1])  # K and V, d rows each
    assert removed == gqa_param_count(d, h, h) - gqa_param_count(d, h, g) == 2 * d * (h - g) * d_head


# ---------------------------------------------------------------- parameters and published configurations


def torch_projection_params(d: int, h: int, g: int, d_head: int, bias: bool) -> int:
    """Parameters of four nn.Linear projections, built on the meta device (no memory)."""
    dims = [(d, h * d_head), (d, g * d_head), (d, g * d_head), (h * d_head, d)]
    layers = [torch.nn.Linear(i, o, bias=bias, device="meta") for i, o in dims]
    return sum(p.numel() for layer in layers for p in layer.parameters())


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize(
    "d, h, g, d_head",
    [
        (8, 4, 2, None),
        (4096, 32, 32, None),
        (4096, 32, 8, None),
        (8192, 64, 8, None),
        (4544, 71, 1, None),
        (8, 2, 1, 8),
    ],
)
def test_param_count_matches_nn_linear(d: int, h: int, g: int, d_head: int | None, bias: bool) -> None:
    want = torch_projection_params(d, h, g, d_head or d // h, bias)
    assert gqa_param_count(d, h, g, head_dim=d_head, bias=bias) == want
    if g == h and d_head is None:
        assert gqa_param_count(d, h, h, bias=bias) == mha_param_count(d, bias=bias)


def test_llama2_70b_attention_parameters() -> None:
    """Llama-2-70B: d = 8192, h = 64, g = 8, d_head = 128, 80 layers, no biases."""
    assert gqa_param_count(8192, 64, 8) == 150_994_944
    assert gqa_param_count(8192, 64, 64) == 4 * 8192**2 == 268_435_456
    assert 80 * (gqa_param_count(8192, 64, 64) - gqa_param_count(8192, 64, 8)) == 9_395_240_960


def test_kv_cache_shrinks_by_h_over_g() -> None:
    for layers, h, d_head in [(32, 32, 128), (80, 64, 128), (2, 6, 4)]:
        mha = kv_cache_bytes_per_token(layers, h, d_head, 2)
        for g in (d for d in range(1, h + 1) if h % d == 0):
            assert mha / kv_cache_bytes_per_token(layers, g, d_head, 2) == h / g


def test_published_kv_cache_sizes() -> None:
    """Per-token fp16/bf16 caches of published configurations.

    Llama-2-70B: 80 layers, 8 KV heads of 128: 2 * 80 * 8 * 128 * 2 = 327,680 bytes = 320 KiB;
    with one KV head per query head (64), 8x that, 2.5 MiB. Mistral 7B and Llama-3-8B:
    32 layers, 8 KV heads of 128: 128 KiB, a quarter of Llama-2-7B's 512 KiB (32 KV heads).
    Falcon-7B: MQA, 32 layers, one KV head of 4544 / 71 = 64: 8 KiB.
    """
    assert kv_cache_bytes_per_token(80, 8, 128, 2) == 327_680 == 320 * KiB
    assert kv_cache_bytes_per_token(80, 64, 128, 2) == 2_621_440 == 2.5 * MiB
    assert kv_cache_bytes_per_token(32, 8, 128, 2) == 131_072 == 128 * KiB
    assert kv_cache_bytes_per_token(32, 32, 128, 2) == 512 * KiB
    assert 4544 // 71 == 64 and 4544 % 71 == 0
    assert kv_cache_bytes_per_token(32, 1, 64, 2) == 8 * KiB
    assert [n for n in range(1, 72) if 71 % n == 0] == [1, 71]  # 71 heads: only MQA or MHA are possible


def test_figure_numbers() -> None:
    """The page's 7B-like model (32 layers, 32 heads of 128, fp16) at 32,768 tokens: 16 GiB, 4 GiB, 0.5 GiB."""
    sizes = [kv_cache_bytes(32, g, 128, 2, 32_768) / GiB for g in (32, 8, 1)]
    assert sizes == [16.0, 4.0, 0.5]


def test_interview_numbers() -> None:
    """A 4,096-token sequence of Llama-2-70B: 1.25 GiB of cache with GQA, 10 GiB with 64 KV heads."""
    assert kv_cache_bytes(80, 8, 128, 2, 4096) / GiB == 1.25
    assert kv_cache_bytes(80, 64, 128, 2, 4096) / GiB == 10.0


# ---------------------------------------------------------------- bad input


def bad_inputs() -> list[tuple[dict, str]]:
    """(keyword arguments, the message that must name the problem)."""
    q, k = np.zeros((4, 2, 3)), np.zeros((2, 5, 3))
    return [
        (dict(q=np.zeros((2, 3)), k=k, v=k), r"q must have shape \(\.\.\., num_heads, seq_q, d_k\).*got \(2, 3\)"),
        (dict(q=q, k=np.zeros((5, 3)), v=k), r"k must have shape \(\.\.\., num_kv_heads, seq_k, d_k\).*got \(5, 3\)"),
        (dict(q=q, k=k, v=np.zeros((0, 5, 3))), r"v must have shape .*non-zero sizes; got \(0, 5, 3\)"),
        (dict(q=q, k=k, v=np.zeros((2, 4, 3))), r"k and v must have the same num_kv_heads and seq_k"),
        (dict(q=q, k=np.zeros((2, 5, 2)), v=np.zeros((2, 5, 2))), r"k must have d_k = 3 .*\(2, 5, 2\)"),
        (dict(q=q, k=np.zeros((3, 5, 3)), v=np.zeros((3, 5, 3))), r"num_kv_heads must divide num_heads.*= 4.*= 3"),
        (
            dict(q=np.zeros((3, 4, 2, 3)), k=np.zeros((2, 2, 5, 3)), v=np.zeros((2, 2, 5, 3))),
            r"leading axes .* broadcast",
        ),
        (dict(q=q, k=k, v=k, mask=np.ones((3, 5), bool)), r"mask must broadcast to .*\(4, 2, 5\).*got \(3, 5\)"),
        (dict(q=q, k=k, v=k, mask=np.ones((2, 5), int)), r"mask must be boolean .*got dtype int64"),
        (dict(q=q, k=k, v=k, mask=np.ones((2, 5), bool), is_causal=True), r"either mask or is_causal"),
        (dict(q=q, k=k, v=k, scale=-1.0), r"scale must be a positive finite number; got -1\.0"),
    ]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_bad_input_raises(impl: str) -> None:
    for kwargs, message in bad_inputs():
        with pytest.raises(ValueError, match=message):
            IMPLEMENTATIONS[impl](**kwargs)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: kv_head_of(8, 3), r"num_kv_heads must divide num_heads; got 3 and 8"),
        (lambda: kv_head_of(0, 1), r"num_heads must be a positive integer; got 0"),
        (lambda: repeat_kv(np.zeros((2, 3)), 2), r"kv must have shape \(\.\.\., num_kv_heads, seq, d\); got \(2, 3\)"),
        (lambda: repeat_kv(np.zeros((1, 2, 3)), 0), r"n_rep must be a positive integer; got 0"),
        (lambda: gqa_param_count(10, 4, 2), r"give head_dim, or a d_model divisible by num_heads; got 10 and 4"),
        (lambda: gqa_param_count(8, 4, 2, head_dim=0), r"head_dim must be a positive integer; got 0"),
        (lambda: gqa_param_count(8, 4, 3), r"num_kv_heads must divide num_heads"),
        (lambda: mean_pool_kv_heads(np.zeros((2, 10)), 4, 2), r"axis -1 must hold num_heads = 4 equal blocks; got 10"),
        (lambda: mean_pool_kv_heads(np.zeros((2, 8)), 4, 3), r"num_kv_heads must divide num_heads"),
        (lambda: gqa_self_attention(np.zeros((3, 4)), *[np.eye(4)] * 4, 2, 2), r"x must have shape \(batch, seq"),
        (
            lambda: gqa_self_attention(np.zeros((1, 3, 4)), np.eye(4), np.eye(4), np.eye(4), np.eye(4), 2, 1),
            r"w_k must have shape \(4, 2\) \(h=2, g=1\); got \(4, 4\)",
        ),
        (lambda: gqa_self_attention(np.zeros((1, 3, 4)), np.eye(4)[:, :3], *[np.eye(4)] * 3, 2, 2), r"w_q must have"),
    ],
)
def test_helpers_bad_input(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------- the bank's numeric answers


def tp_copies_per_kv_head(h: int, g: int, *, gpus: int) -> int:
    """GPUs holding each key/value head when query heads are dealt out in consecutive blocks."""
    gpu_of_query_head = np.arange(h) // (h // gpus)
    copies = {int(j): len(set(gpu_of_query_head[kv_head_of(h, g) == j])) for j in range(g)}
    assert len(set(copies.values())) == 1
    return copies[0]


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed here rather than copied."""
    return {
        "grouped_query_attention.llama2-70b-kib": kv_cache_bytes_per_token(80, 8, 128, 2) / KiB,
        "grouped_query_attention.tp-replicas": tp_copies_per_kv_head(64, 8, gpus=16),
        "grouped_query_attention.repeat-kv-extra": (
            repeat_kv(np.zeros((8, 8192, 128), np.float16), 4).size - 8 * 8192 * 128
        )
        * 2  # keys and values
        * 2  # fp16 bytes
        / MiB,
        "grouped_query_attention.group-size": 32 / 8,
        "grouped_query_attention.which-kv-head": float(kv_head_of(32, 8)[13]),
        "grouped_query_attention.mistral-kib": kv_cache_bytes_per_token(32, 8, 128, 2) / KiB,
        "grouped_query_attention.param-saving": (gqa_param_count(4096, 32, 32) - gqa_param_count(4096, 32, 8)) / 1e6,
        "grouped_query_attention.pooled-value": float(mean_pool_kv_heads(np.array([[2.0, 4.0, 6.0, 8.0]]), 4, 2)[0, 1]),
        "grouped_query_attention.mqa-gib": kv_cache_bytes(32, 1, 128, 2, 32_768) / GiB,
    }


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys("grouped_query_attention", computed_answers(), lambda q, v: 1e-6 * max(1.0, abs(v)))


def test_repeated_llama2_70b_figure_appears_once_in_the_banks() -> None:
    """The audit: 320 KiB per token (Llama-2-70B) was asked four times across two banks; one item keeps it."""
    import json

    items = []
    for slug in ("grouped_query_attention", "kv_cache"):
        bank = json.loads((BANK.parent / f"{slug}.json").read_text(encoding="utf-8"))
        items += [q for q in bank["questions"] + bank["interview"] if "320" in json.dumps(q)]
    assert [q["id"] for q in items] == ["grouped_query_attention.llama2-70b-kib"]


def test_sdpa_refuses_heads_that_do_not_divide() -> None:
    """The page says g must divide h: SDPA with enable_gqa refuses 3 KV heads for 4 query heads."""
    q, k = torch.zeros(1, 4, 2, 8), torch.zeros(1, 3, 2, 8)
    with pytest.raises(RuntimeError, match="must divide"):
        F.scaled_dot_product_attention(q, k, k, enable_gqa=True)


def test_rope_commutes_with_mean_pooling() -> None:
    """Pooled weights give the pooled keys (keys are linear in W_K), and RoPE, the same rotation
    for every head at a position, commutes with that average: converting before RoPE is right."""
    from concepts.positional_encoding import rope

    rng = np.random.default_rng(12)
    d, h, g, d_head, seq = 16, 4, 2, 8, 5
    x, w_k = rng.standard_normal((seq, d)), rng.standard_normal((d, h * d_head))
    heads = (x @ w_k).reshape(seq, h, d_head).transpose(1, 0, 2)  # (h, T, d_head)
    pooled = (x @ mean_pool_kv_heads(w_k, h, g)).reshape(seq, g, d_head).transpose(1, 0, 2)  # (g, T, d_head)
    assert_close(pooled, heads.reshape(g, h // g, seq, d_head).mean(1))
    assert_close(rope(pooled), rope(heads).reshape(g, h // g, seq, d_head).mean(1))


# ---------------------------------------------------------------- audit: low precision, types, lazy torch


@pytest.mark.parametrize(
    ("dtype", "atol", "rtol"),
    [(torch.float32, 1e-5, 1e-5), (torch.bfloat16, 3e-2, 3e-2), (torch.float16, 3e-3, 3e-3)],
    ids=str,
)
@pytest.mark.parametrize("mask_kind", ["none", "causal", "bool-per-head", "additive"])
def test_torch_mirror_matches_sdpa_in_low_precision(dtype, atol: float, rtol: float, mask_kind: str) -> None:
    """``grouped_query_attention_torch`` in float32, bfloat16 and float16 against SDPA(enable_gqa=True)
    in the same dtype: same dtype out, equal within that dtype's rounding."""
    rng = np.random.default_rng(7)
    batch, h, g, seq = (2,), 8, 2, 6
    q, k, v = (torch.from_numpy(a).to(dtype) for a in random_qkv(rng, batch, h, g, seq, seq, 16, 16))
    mask, is_causal = make_mask(mask_kind, batch, h, seq, seq, rng)
    if mask is not None:
        mask = torch.from_numpy(mask)
        mask = mask if mask.dtype == torch.bool else mask.to(dtype)
        mask[..., 0] = True if mask.dtype == torch.bool else 0.0  # keep one key per row: no NaN rows in SDPA
    out, weights = grouped_query_attention_torch(q, k, v, mask=mask, is_causal=is_causal)
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal, enable_gqa=True)
    assert out.dtype == weights.dtype == dtype
    torch.testing.assert_close(out, want, atol=atol, rtol=rtol)


def test_torch_mirror_refuses_numpy_and_numpy_refuses_tensors() -> None:
    q = np.zeros((2, 1, 4))
    with pytest.raises(TypeError, match=r"q must be a torch\.Tensor; got a NumPy array"):
        grouped_query_attention_torch(q, torch.zeros(1, 1, 4), torch.zeros(1, 1, 4))
    with pytest.raises(TypeError, match=r"k must be a NumPy array or array-like; got a torch\.Tensor"):
        grouped_query_attention(q, torch.zeros(1, 1, 4), np.zeros((1, 1, 4)))


def test_module_imports_without_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import concepts.grouped_query_attention as m\n"
        "print(m.gqa_param_count(8, 4, 2), m.kv_head_of(4, 2).tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["192 [0, 0, 1, 1]"]


@pytest.mark.parametrize(
    ("exercise", "impl"),
    [
        ("grouped_query_attention.repeat-kv", repeat_kv),
        ("grouped_query_attention.gqa", grouped_query_attention),
        ("grouped_query_attention.gqa", as_numpy(grouped_query_attention_torch)),
    ],
)
def test_exercise_checks_pass_on_our_code(exercise: str, impl) -> None:
    """The checks that grade a learner's file pass on our NumPy code and on the PyTorch mirror."""
    results = run_checks(EXERCISE_CHECKS[exercise], impl)
    assert [(r.name, r.message) for r in results if not r.passed] == []
