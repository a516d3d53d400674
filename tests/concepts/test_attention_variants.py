"""Attention variants checked against full attention under the matching mask, in float64.

References: PyTorch's ``torch.nn.functional.scaled_dot_product_attention`` with a boolean
``attn_mask`` (sliding-window and sparse patterns, multi-head latent attention), the causal
parallel form of linear attention written in PyTorch (``concepts.exercises.attention_variants``),
softmax maps computed directly with ``torch.softmax`` (differential attention), and masks
built pair by pair from their definitions. Each convention that could flip (the window off by
one, the normaliser of linear attention, a transposed up-projection, the scale of the absorbed
form) has a test that fails when it does.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import check_numeric_keys

from concepts.attention import scaled_dot_product_attention
from concepts.attention_variants import (
    diff_lambda,
    diff_lambda_init,
    differential_attention,
    elu_feature_map,
    influence_matrix,
    linear_attention,
    linear_attention_recurrent,
    linear_attention_torch,
    local_global_mask,
    local_global_pair_count,
    mla_attention,
    mla_attention_torch,
    mla_cache_bytes_per_token,
    receptive_field,
    sliding_window_attention,
    sliding_window_mask,
    sliding_window_pair_count,
    sparse_attention,
    strided_mask,
    strided_pair_count,
)
from concepts.exercises._harness import run_checks
from concepts.exercises.attention_variants import CHECKS, torch_linear_attention_parallel
from concepts.kv_cache import kv_cache_bytes_per_token
from concepts.masking import causal_mask

BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "attention_variants.json"


def torch_sdpa(q, k, v, mask=None, *, is_causal=False, scale=None) -> np.ndarray:
    """PyTorch's SDPA on NumPy float64 arrays (boolean mask, True = may attend)."""
    t = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)) for a in (q, k, v)]
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    return F.scaled_dot_product_attention(*t, attn_mask=m, is_causal=is_causal, scale=scale).numpy()


def close(got, want, tol: float = 1e-10) -> None:
    np.testing.assert_allclose(got, want, rtol=tol, atol=1e-12)


# ---------------------------------------------------------------- the exercises' checks on our code


@pytest.mark.parametrize("exercise", sorted(CHECKS))
def test_reference_passes_every_exercise_check(exercise: str) -> None:
    fn = {
        "attention_variants.sliding-window-mask": sliding_window_mask,
        "attention_variants.linear-recurrent": linear_attention_recurrent,
    }[exercise]
    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], fn) if not r.passed]
    assert not failed, failed


# ---------------------------------------------------------------- sliding window


def test_sliding_window_mask_by_hand() -> None:
    """seq_len 5, window 3: query 4 sees keys 2, 3, 4 (three keys, itself included); query 1 sees 0, 1."""
    m = sliding_window_mask(5, 3)
    assert np.flatnonzero(m[4]).tolist() == [2, 3, 4]
    assert np.flatnonzero(m[1]).tolist() == [0, 1]
    assert m.sum(axis=1).max() == 3  # window W means W keys, not W + 1
    assert (sliding_window_mask(6, 6) == causal_mask(6)).all() and (sliding_window_mask(6, 60) == causal_mask(6)).all()
    assert (sliding_window_mask(4, 1) == np.eye(4, dtype=bool)).all()
    sym = sliding_window_mask(5, 2, is_causal=False)
    assert (sym == sym.T).all() and np.flatnonzero(sym[2]).tolist() == [1, 2, 3]


# (batch axes, seq_len, d_k, d_v, window)
SW_CASES = [
    ((), 1, 1, 1, 1),
    ((), 6, 4, 3, 1),
    ((2,), 9, 8, 5, 3),
    ((2, 3), 13, 8, 4, 4),
    ((1,), 7, 4, 4, 7),
    ((), 5, 2, 3, 20),
]


@pytest.mark.parametrize(("batch", "seq_len", "d_k", "d_v", "window"), SW_CASES)
def test_sliding_window_equals_full_attention_under_band(batch, seq_len, d_k, d_v, window) -> None:
    rng = np.random.default_rng(seq_len * 10 + window)
    q, k = rng.standard_normal((2, *batch, seq_len, d_k))
    v = rng.standard_normal((*batch, seq_len, d_v))
    mask = sliding_window_mask(seq_len, window)
    direct = sliding_window_attention(q, k, v, window=window)
    full = scaled_dot_product_attention(q, k, v, mask=mask)[0]
    close(direct, full)
    close(direct, torch_sdpa(q, k, v, mask))
    close(sliding_window_attention(q, k, v, window=window, scale=0.3), torch_sdpa(q, k, v, mask, scale=0.3))


def test_window_off_by_one_is_caught() -> None:
    """Full attention under a band one wider (or narrower) than the window gives different outputs."""
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((3, 8, 4))
    direct = sliding_window_attention(q, k, v, window=3)
    for wrong in (2, 4):
        assert not np.allclose(direct, torch_sdpa(q, k, v, sliding_window_mask(8, wrong)))
    assert not np.allclose(direct, torch_sdpa(q, k, v, sliding_window_mask(8, 3, is_causal=False)))


@pytest.mark.parametrize(("num_layers", "window"), [(1, 1), (1, 3), (2, 3), (3, 2), (2, 4), (4, 3)])
def test_receptive_field_measured_on_stacked_layers(num_layers: int, window: int) -> None:
    """Output i changes exactly when an input j with 0 <= i - j <= L (W - 1) changes: not L W."""
    seq_len = 16
    reach = receptive_field(num_layers, window)
    assert reach == num_layers * (window - 1)
    lag = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]
    got = influence_matrix(num_layers, window, seq_len, rng=num_layers * 7 + window)
    assert (got == ((lag >= 0) & (lag <= reach))).all()
    far = lag == num_layers * window  # the L W convention would count these; they are unreached
    assert far.any() and not got[far].any()


def test_receptive_field_mistral() -> None:
    """Mistral 7B's sizes, 32 layers of window 4096: 131040 back (the paper's i - W..i window gives 131072)."""
    assert receptive_field(32, 4096) == 131_040
    with pytest.raises(ValueError, match="window"):
        receptive_field(2, 0)


# ---------------------------------------------------------------- sparse patterns


def by_definition(seq_len: int, keep) -> np.ndarray:
    return np.array([[bool(keep(i, j)) for j in range(seq_len)] for i in range(seq_len)])


@pytest.mark.parametrize(("seq_len", "stride"), [(1, 1), (5, 2), (9, 3), (16, 4), (17, 4), (10, 12)])
def test_strided_mask_and_pair_count(seq_len: int, stride: int) -> None:
    want = by_definition(seq_len, lambda i, j: j <= i and ((i - j) < stride or (i - j) % stride == 0))
    mask = strided_mask(seq_len, stride)
    assert (mask == want).all()
    assert strided_pair_count(seq_len, stride) == mask.sum()


@pytest.mark.parametrize(
    ("seq_len", "window", "num_global"), [(1, 1, 0), (1, 1, 1), (6, 2, 0), (9, 2, 1), (12, 3, 2), (7, 10, 3), (5, 1, 5)]
)
def test_local_global_mask_and_pair_count(seq_len: int, window: int, num_global: int) -> None:
    want = by_definition(seq_len, lambda i, j: abs(i - j) < window or i < num_global or j < num_global)
    mask = local_global_mask(seq_len, window, num_global)
    assert (mask == want).all()
    assert local_global_pair_count(seq_len, window, num_global) == mask.sum()


@pytest.mark.parametrize(("seq_len", "window"), [(1, 1), (5, 2), (9, 9), (9, 30), (64, 8)])
def test_sliding_window_pair_count(seq_len: int, window: int) -> None:
    assert sliding_window_pair_count(seq_len, window) == sliding_window_mask(seq_len, window).sum()


def test_pair_counts_against_n_squared() -> None:
    """At N = 4096: the band of 256 keeps about W/N of N^2, strided sqrt(N) about 2/sqrt(N), causal about 1/2."""
    n = 4096
    assert sliding_window_pair_count(n, 256) / n**2 == pytest.approx(256 / n, rel=0.04)
    assert strided_pair_count(n, 64) / n**2 == pytest.approx(0.0235, abs=5e-4)  # < 2/sqrt(N) = 0.03125
    assert causal_mask(n).sum() / n**2 == pytest.approx(0.5, abs=1e-3)
    assert local_global_pair_count(n, 257, 2) / n**2 < 0.13
    # the page's figures at N = 1024
    assert strided_pair_count(1024, 32) == 48_144 and round(100 * 48_144 / 1024**2, 1) == 4.6
    assert sliding_window_pair_count(1024, 64) == 63_520
    assert local_global_pair_count(1024, 64, 2) == 129_854


@pytest.mark.parametrize("pattern", ["strided", "local_global", "band"])
@pytest.mark.parametrize(("seq_len", "d_k", "d_v"), [(1, 2, 1), (7, 4, 3), (20, 8, 5)])
def test_sparse_attention_equals_full_attention_under_mask(pattern: str, seq_len: int, d_k: int, d_v: int) -> None:
    rng = np.random.default_rng(seq_len)
    q, k = rng.standard_normal((2, seq_len, d_k))
    v = rng.standard_normal((seq_len, d_v))
    mask = {
        "strided": strided_mask(seq_len, 3),
        "local_global": local_global_mask(seq_len, 2, 1),
        "band": sliding_window_mask(seq_len, 4),
    }[pattern]
    got = sparse_attention(q, k, v, mask)
    close(got, scaled_dot_product_attention(q, k, v, mask=mask)[0])
    close(got, torch_sdpa(q, k, v, mask))


def test_sparse_attention_empty_row_and_bad_mask() -> None:
    x = np.eye(3)
    mask = np.array([[False] * 3, [True, True, False], [True] * 3])
    close(sparse_attention(x, x, x, mask), scaled_dot_product_attention(x, x, x, mask=mask)[0])
    with pytest.raises(ValueError, match="boolean"):
        sparse_attention(x, x, x, mask.astype(float))


# ---------------------------------------------------------------- linear attention


def test_elu_feature_map_is_elu_plus_one() -> None:
    x = np.linspace(-30, 5, 71)
    close(elu_feature_map(x), (F.elu(torch.from_numpy(x)) + 1).numpy())
    assert (elu_feature_map(x) > 0).all()


@pytest.mark.parametrize(("seq_len", "d_k", "d_v"), [(1, 1, 1), (2, 3, 2), (9, 4, 6), (33, 8, 8)])
def test_linear_attention_recurrent_equals_parallel(seq_len: int, d_k: int, d_v: int) -> None:
    rng = np.random.default_rng(seq_len)
    q, k = rng.standard_normal((2, seq_len, d_k))
    v = rng.standard_normal((seq_len, d_v))
    out, S, z = linear_attention_recurrent(q, k, v)
    want, want_S, want_z = torch_linear_attention_parallel(q, k, v)
    close(out, want)
    close(linear_attention(q, k, v), want)
    close(S, want_S)
    close(z, want_z)


def test_linear_attention_batched_and_non_causal() -> None:
    """Batched causal form row by row; the non-causal form equals the full (unmasked) kernel average."""
    rng = np.random.default_rng(3)
    q, k = rng.standard_normal((2, 2, 3, 6, 4))
    v = rng.standard_normal((2, 3, 6, 5))
    got = linear_attention(q, k, v)
    for b in range(2):
        for h in range(3):
            close(got[b, h], linear_attention_recurrent(q[b, h], k[b, h], v[b, h])[0])
    a = elu_feature_map(q) @ np.swapaxes(elu_feature_map(k), -1, -2)  # no mask
    close(linear_attention(q, k, v, is_causal=False), (a @ v) / a.sum(-1, keepdims=True))


@pytest.mark.parametrize("is_causal", [True, False])
@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-12), (torch.float32, 2e-6), (torch.bfloat16, 4e-2)])
def test_linear_attention_torch_mirror(is_causal: bool, dtype, tol: float) -> None:
    """The mirror equals the NumPy specification (float64 reference) and keeps its input's dtype.

    bfloat16 keeps 8 bits of mantissa: errors of about 1e-2 on outputs of size 2 (measured 0.011)."""
    rng = np.random.default_rng(9)
    q, k = rng.standard_normal((2, 2, 3, 17, 8))
    v = rng.standard_normal((2, 3, 17, 5))
    want = linear_attention(q, k, v, is_causal=is_causal)
    got = linear_attention_torch(*(torch.from_numpy(a).to(dtype) for a in (q, k, v)), is_causal=is_causal)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.double().numpy(), want, rtol=tol, atol=tol)
    if is_causal:
        close(
            linear_attention_torch(*(torch.from_numpy(a[0, 0]) for a in (q, k, v))).numpy(),
            torch_linear_attention_parallel(q[0, 0], k[0, 0], v[0, 0])[0],
        )
    with pytest.raises(TypeError, match="NumPy"):
        linear_attention_torch(q, k, v)


def test_linear_attention_state_size_does_not_grow() -> None:
    """The state is d_k x d_v + d_k numbers at length 4 and at length 2000."""
    rng = np.random.default_rng(4)
    sizes = []
    for seq_len in (4, 2000):
        _, S, z = linear_attention_recurrent(*rng.standard_normal((2, seq_len, 8)), rng.standard_normal((seq_len, 6)))
        sizes.append((S.shape, z.shape))
    assert sizes == [((8, 6), (8,))] * 2


def test_linear_attention_needs_its_normaliser() -> None:
    """Without dividing by phi(q) . z the output is a growing sum, not an average: far from the reference."""
    rng = np.random.default_rng(5)
    q, k = rng.standard_normal((2, 6, 3))
    v = rng.standard_normal((6, 2))
    fq, fk = elu_feature_map(q), elu_feature_map(k)
    unnormalised = np.where(causal_mask(6), fq @ fk.T, 0.0) @ v
    assert not np.allclose(unnormalised, linear_attention(q, k, v), atol=1e-3)


# ---------------------------------------------------------------- differential attention


def test_diff_lambda_init_and_lambda() -> None:
    """lambda_init = 0.8 - 0.6 exp(-0.3 (l - 1)): 0.2 at layer 1, rising towards 0.8."""
    assert diff_lambda_init(1) == pytest.approx(0.2, abs=1e-15)
    assert diff_lambda_init(4) == pytest.approx(0.8 - 0.6 * math.exp(-0.9))
    assert diff_lambda_init(100) == pytest.approx(0.8, abs=1e-12)
    rng = np.random.default_rng(6)
    lq1, lk1, lq2, lk2 = 0.1 * rng.standard_normal((4, 16))
    assert diff_lambda(lq1, lk1, lq2, lk2, 0.2) == pytest.approx(math.exp(lq1 @ lk1) - math.exp(lq2 @ lk2) + 0.2)


@pytest.mark.parametrize("is_causal", [True, False])
@pytest.mark.parametrize(("seq_len", "d_model", "d", "d_v"), [(1, 4, 1, 2), (5, 8, 2, 4), (12, 16, 4, 8)])
def test_differential_attention_equals_direct_computation(is_causal, seq_len, d_model, d, d_v) -> None:
    rng = np.random.default_rng(seq_len + d)
    x = rng.standard_normal((seq_len, d_model))
    w_q, w_k = rng.standard_normal((2, d_model, 2 * d)) / math.sqrt(d_model)
    w_v = rng.standard_normal((d_model, d_v))
    lam = 0.37
    t = lambda a: torch.from_numpy(a)  # noqa: E731
    q, k, v = t(x @ w_q), t(x @ w_k), t(x @ w_v)
    scores = [q[:, :d] @ k[:, :d].T / math.sqrt(d), q[:, d:] @ k[:, d:].T / math.sqrt(d)]
    if is_causal:
        scores = [s.masked_fill(~torch.ones(seq_len, seq_len, dtype=torch.bool).tril(), -math.inf) for s in scores]
    a1, a2 = (torch.softmax(s, dim=-1) for s in scores)
    want = ((a1 - lam * a2) @ v).numpy()
    close(differential_attention(x, w_q, w_k, w_v, lam, is_causal=is_causal), want)
    # lambda = 0 is ordinary attention with the first half; a wrong scale (1/sqrt(2d)) is caught
    close(differential_attention(x, w_q, w_k, w_v, 0.0, is_causal=is_causal), (a1 @ v).numpy())
    if seq_len > 1:
        q1, k1 = x @ w_q[:, :d], x @ w_k[:, :d]
        wrong = scaled_dot_product_attention(q1, k1, x @ w_v, is_causal=is_causal, scale=1 / math.sqrt(2 * d))[0]
        assert not np.allclose(wrong, (a1 @ v).numpy())


# ---------------------------------------------------------------- multi-head latent attention


def mla_weights(rng, d_model, d_c, num_heads, head_dim):
    width = num_heads * head_dim
    shapes = [(d_model, d_c), (d_c, width), (d_c, width), (d_model, width), (width, d_model)]
    return [rng.standard_normal(s) / math.sqrt(s[0]) for s in shapes]


# (seq_len, d_model, d_c, num_heads, head_dim)
MLA_CASES = [(1, 4, 2, 1, 3), (5, 8, 4, 2, 4), (9, 16, 6, 4, 2), (12, 12, 3, 3, 5)]


@pytest.mark.parametrize("is_causal", [True, False])
@pytest.mark.parametrize(("seq_len", "d_model", "d_c", "num_heads", "head_dim"), MLA_CASES)
def test_mla_absorbed_equals_non_absorbed_and_torch(is_causal, seq_len, d_model, d_c, num_heads, head_dim) -> None:
    rng = np.random.default_rng(seq_len + d_c)
    x = rng.standard_normal((seq_len, d_model))
    ws = mla_weights(rng, d_model, d_c, num_heads, head_dim)
    w_dkv, w_uk, w_uv, w_q, w_o = ws
    plain = mla_attention(x, *ws, num_heads=num_heads, is_causal=is_causal)
    close(mla_attention(x, *ws, num_heads=num_heads, absorbed=True, is_causal=is_causal), plain)
    split = lambda a: a.reshape(seq_len, num_heads, head_dim).transpose(1, 0, 2)  # noqa: E731
    c = x @ w_dkv
    o = torch_sdpa(split(x @ w_q), split(c @ w_uk), split(c @ w_uv), is_causal=is_causal)
    close(plain, o.transpose(1, 0, 2).reshape(seq_len, -1) @ w_o)


@pytest.mark.parametrize("absorbed", [False, True])
@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-12), (torch.float32, 5e-6), (torch.bfloat16, 5e-2)])
def test_mla_torch_mirror(absorbed: bool, dtype, tol: float) -> None:
    """Both forms of the mirror equal the NumPy float64 result; bfloat16 errs by about 0.015 on outputs near 3."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((11, 16))
    ws = mla_weights(rng, 16, 8, 4, 6)
    want = mla_attention(x, *ws, num_heads=4)
    got = mla_attention_torch(*(torch.from_numpy(a).to(dtype) for a in (x, *ws)), num_heads=4, absorbed=absorbed)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.double().numpy(), want, rtol=tol, atol=tol)
    with pytest.raises(TypeError, match="NumPy"):
        mla_attention_torch(x, *ws, num_heads=4)


def test_mla_absorbed_form_catches_a_transposed_matrix_and_the_wrong_scale() -> None:
    """With d_c == head_dim the transposed up-projection has the right shape but the wrong value;
    scaling by 1/sqrt(d_c) instead of 1/sqrt(head_dim) is wrong too."""
    rng = np.random.default_rng(8)
    seq_len, num_heads, head_dim, d_c = 6, 2, 4, 4
    x = rng.standard_normal((seq_len, 8))
    ws = mla_weights(rng, 8, d_c, num_heads, head_dim)
    w_dkv, w_uk, w_uv, w_q, w_o = ws
    want = mla_attention(x, *ws, num_heads=num_heads)
    c = x @ w_dkv
    q = (x @ w_q).reshape(seq_len, num_heads, head_dim).transpose(1, 0, 2)
    uk = w_uk.reshape(d_c, num_heads, head_dim).transpose(1, 0, 2)
    uv_o = w_uv.reshape(d_c, num_heads, head_dim).transpose(1, 0, 2) @ w_o.reshape(num_heads, head_dim, -1)

    def absorbed(q_lat, scale):
        o_lat = scaled_dot_product_attention(q_lat, c, c, is_causal=True, scale=scale)[0]
        return np.einsum("hsc,hcm->sm", o_lat, uv_o)

    close(absorbed(q @ np.swapaxes(uk, -1, -2), 1 / math.sqrt(head_dim)), want)
    assert not np.allclose(absorbed(q @ uk, 1 / math.sqrt(head_dim)), want)  # W_UK not transposed
    ws_big = mla_weights(rng, 8, 9, num_heads, head_dim)
    c = x @ ws_big[0]
    uk = ws_big[1].reshape(9, num_heads, head_dim).transpose(1, 0, 2)
    uv_o = ws_big[2].reshape(9, num_heads, head_dim).transpose(1, 0, 2) @ ws_big[4].reshape(num_heads, head_dim, -1)
    q = (x @ ws_big[3]).reshape(seq_len, num_heads, head_dim).transpose(1, 0, 2)
    want = mla_attention(x, *ws_big, num_heads=num_heads)
    assert not np.allclose(absorbed(q @ np.swapaxes(uk, -1, -2), 1 / 3.0), want)  # 1/sqrt(d_c)


def test_mla_cache_against_mha_and_gqa_deepseek_v2() -> None:
    """DeepSeek-V2: d_c = 4 d_h = 512, d_h^R = d_h / 2 = 64, 128 heads of 128, 60 layers.
    MLA caches 576 numbers per token per layer, MHA 2 * 128 * 128 = 32768, as much as GQA with 2.25 groups."""
    mla, mha = mla_cache_bytes_per_token(1, 512, 64, 1), kv_cache_bytes_per_token(1, 128, 128, 1)
    assert (mla, mha) == (576, 32768)
    assert mla / (2 * 128) == 2.25  # GQA groups of the same size
    assert kv_cache_bytes_per_token(1, 8, 128, 1) == 2048 > mla  # GQA with 8 KV heads caches more
    assert mha / mla == pytest.approx(56.89, abs=0.005)
    assert mla_cache_bytes_per_token(60, 512, 64, 2) == 60 * 576 * 2  # bf16, all 60 layers: 69120 bytes


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="window"):
        sliding_window_mask(4, 0)
    with pytest.raises(ValueError, match="num_global"):
        local_global_mask(3, 1, 4)
    with pytest.raises(ValueError, match="even"):
        differential_attention(np.eye(2), np.eye(2)[:, :1], np.eye(2)[:, :1], np.eye(2), 0.5)
    with pytest.raises(ValueError, match="w_uk"):
        mla_attention(
            np.eye(2), np.eye(2), np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 4)), np.ones((4, 2)), num_heads=2
        )
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        linear_attention(torch.zeros(2, 2), np.zeros((2, 2)), np.zeros((2, 2)))


# ---------------------------------------------------------------- the bank's numeric keys


def test_bank_numeric_keys() -> None:
    check_numeric_keys(
        "attention_variants",
        {
            "attention_variants.mistral-reach": receptive_field(32, 4096),
            "attention_variants.mla-cache": mla_cache_bytes_per_token(1, 512, 64, 1),
            "attention_variants.mla-ratio": kv_cache_bytes_per_token(1, 128, 128, 1)
            / mla_cache_bytes_per_token(1, 512, 64, 1),
            "attention_variants.gqa-equivalent": mla_cache_bytes_per_token(1, 512, 64, 1) / (2 * 128),
            "attention_variants.strided-fraction": strided_pair_count(1024, 32) / 1024**2,
            "attention_variants.lambda-init": diff_lambda_init(4),
            "attention_variants.linear-state": 64 * 64 + 64,
            "attention_variants.window-pairs": sliding_window_pair_count(8, 3),
        },
        lambda q, value: max(q.get("abs_tol", 0.0), q.get("rel_tol", 0.0) * abs(value)) + 1e-12,
    )
    assert BANK.exists()
