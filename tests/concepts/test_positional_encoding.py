"""Positional encodings checked against independent formulations, in float64.

The references: a per-entry loop over the paper's formula (sinusoidal), ``F.embedding``
(learned table), the complex-number RoPE of Meta's Llama code and the ``rotate_half`` RoPE
of GPT-NeoX / Hugging Face (both written here from their formulas), the recursive slope rule
of the ALiBi reference code, and ``F.scaled_dot_product_attention`` for the attention-level
claims. Each ``check_*`` takes the implementation under test, so it can grade a learner's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import bank_tolerance, check_numeric_keys

from concepts.exercises._harness import run_checks
from concepts.exercises.positional_encoding import CHECKS
from concepts.positional_encoding import (
    alibi_bias,
    alibi_bias_torch,
    alibi_slopes,
    init_position_table,
    learned_positions,
    ntk_aware_base,
    position_embedding_torch,
    rope,
    rope_frequencies,
    rope_permutation,
    rope_scaled_frequencies,
    rope_torch,
    sinusoidal_encoding,
    sinusoidal_encoding_torch,
    yarn_attention_factor,
)

SHAPES = [(1, 1, 1, 2), (1, 2, 5, 8), (2, 3, 7, 16), (3, 2, 33, 64)]  # (B, h, T, d)
PAIRINGS = ["half", "interleaved"]


def sdpa(q, k, v, mask=None):
    """Reference attention on NumPy arrays, through PyTorch in float64."""
    t = [torch.from_numpy(np.ascontiguousarray(a)) for a in (q, k, v)]
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    return F.scaled_dot_product_attention(*t, attn_mask=m).numpy()


# ---------------------------------------------------------------- sinusoidal


def check_sinusoidal(pe_fn):
    """Every entry equals the paper's formula, evaluated one entry at a time."""
    for seq_len, d in [(1, 2), (5, 8), (17, 6), (50, 64)]:
        pe = np.asarray(pe_fn(seq_len, d))
        want = np.empty((seq_len, d))
        for pos in range(seq_len):
            for i in range(d // 2):
                angle = pos / 10000 ** (2 * i / d)
                want[pos, 2 * i], want[pos, 2 * i + 1] = math.sin(angle), math.cos(angle)
        np.testing.assert_allclose(pe, want, rtol=0, atol=1e-12)


def test_sinusoidal_matches_formula():
    check_sinusoidal(sinusoidal_encoding)
    check_sinusoidal(lambda t, d: sinusoidal_encoding_torch(t, d).numpy())


def test_sinusoidal_hand_example():
    """d = 4: the frequencies are 1/10000^(0/4) = 1 and 1/10000^(2/4) = 1/100.

    Position 0 gives sin 0 = 0 and cos 0 = 1 in both pairs: [0, 1, 0, 1].
    Position 2 gives angles 2 and 0.02: [sin 2, cos 2, sin 0.02, cos 0.02].
    """
    pe = sinusoidal_encoding(3, 4)
    assert pe[0].tolist() == [0.0, 1.0, 0.0, 1.0]
    np.testing.assert_allclose(pe[2], [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)], atol=1e-15)


def test_sinusoidal_offset_is_a_linear_map():
    """The paper's claim: PE[pos + k] is a fixed linear function (a rotation) of PE[pos]."""
    seq_len, d, k = 40, 16, 7
    pe = sinusoidal_encoding(seq_len + k, d)
    w = 10000 ** (-np.arange(0, d, 2) / d)
    m_k = np.zeros((d, d))  # depends on k only, never on pos
    for i, wi in enumerate(w):
        c, s = math.cos(k * wi), math.sin(k * wi)
        # (sin(a + b), cos(a + b)) = (sin a cos b + cos a sin b, cos a cos b - sin a sin b)
        m_k[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[c, s], [-s, c]]
    np.testing.assert_allclose(pe[:seq_len] @ m_k.T, pe[k:], atol=1e-12)


def test_sinusoidal_dot_product_depends_on_offset_only():
    pe = sinusoidal_encoding(60, 32)
    gram = pe @ pe.T
    for offset in range(-5, 6):
        diag = np.diagonal(gram, offset=offset)
        np.testing.assert_allclose(diag, diag[0], atol=1e-12)
    assert np.allclose(np.diagonal(gram), 16.0)  # sin^2 + cos^2 = 1 for each of the d/2 pairs


@pytest.mark.parametrize("fn", [sinusoidal_encoding, sinusoidal_encoding_torch])
def test_sinusoidal_bad_input(fn):
    with pytest.raises(ValueError, match=r"d_model must be a positive even integer; got 5"):
        fn(4, 5)
    with pytest.raises(ValueError, match=r"seq_len must be a positive integer; got 0"):
        fn(0, 4)


# ---------------------------------------------------------------- learned table


def check_learned_lookup(lookup_fn):
    rng = np.random.default_rng(0)
    for max_len, d, shape in [(1, 3, (1,)), (8, 4, (5,)), (64, 16, (2, 9))]:
        table = rng.standard_normal((max_len, d))
        pos = rng.integers(0, max_len, size=shape)
        want = F.embedding(torch.from_numpy(pos), torch.from_numpy(table)).numpy()
        np.testing.assert_array_equal(lookup_fn(table, pos), want)


def test_learned_lookup_matches_embedding():
    check_learned_lookup(learned_positions)


def test_learned_init_std():
    table = init_position_table(2048, 64, rng=np.random.default_rng(0))
    assert abs(table.std() - 0.02) < 0.001 and abs(table.mean()) < 0.001
    torch.manual_seed(0)
    emb = position_embedding_torch(2048, 64)
    assert abs(float(emb.weight.detach().std()) - 0.02) < 0.001
    assert init_position_table(4, 2, std=1.0, rng=np.random.default_rng(1)).std() > 0.1
    assert init_position_table(1024, 768).size == 1024 * 768 == 786_432  # L_max * d parameters


def test_learned_bad_input():
    table = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"positions must lie in \[0, 4\) for this table; got 0\.\.4"):
        learned_positions(table, np.array([0, 4]))
    with pytest.raises(ValueError, match=r"got -1\.\.2"):
        learned_positions(table, np.array([-1, 2]))
    with pytest.raises(ValueError, match=r"positions must be integers; got dtype float64"):
        learned_positions(table, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"table must have shape \(max_len, d_model\); got \(4,\)"):
        learned_positions(np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match=r"std must be positive; got 0"):
        init_position_table(4, 2, std=0)
    with pytest.raises(ValueError, match=r"max_len must be a positive integer; got 0"):
        position_embedding_torch(0, 2)


# ---------------------------------------------------------------- RoPE


def rope_complex(x, positions, base=10000.0):
    """Interleaved RoPE as Meta's Llama writes it: pairs (2i, 2i+1) as complex numbers times e^{i m theta}."""
    xt = torch.from_numpy(x)
    d = x.shape[-1]
    theta = 1.0 / base ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    freqs = torch.polar(torch.ones(len(positions), d // 2, dtype=torch.float64), torch.outer(positions, theta))
    z = torch.view_as_complex(xt.reshape(*xt.shape[:-1], d // 2, 2).contiguous())
    return torch.view_as_real(z * freqs).flatten(-2).numpy()


def rope_rotate_half(x, positions, base=10000.0):
    """Half-split RoPE as GPT-NeoX / Hugging Face write it: x cos + rotate_half(x) sin."""
    xt = torch.from_numpy(x)
    d = x.shape[-1]
    theta = 1.0 / base ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    emb = torch.outer(positions, theta).repeat(1, 2)  # (T, d): the d/2 angles twice
    rotated = torch.cat([-xt[..., d // 2 :], xt[..., : d // 2]], dim=-1)
    return (xt * emb.cos() + rotated * emb.sin()).numpy()


def check_rope_references(rope_fn):
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        x = rng.standard_normal(shape)
        pos = rng.integers(0, 100_000, size=shape[-2])  # large angles too
        pos_t = torch.from_numpy(pos).to(torch.float64)
        np.testing.assert_allclose(rope_fn(x, pos, pairing="interleaved"), rope_complex(x, pos_t), atol=1e-10)
        np.testing.assert_allclose(rope_fn(x, pos, pairing="half"), rope_rotate_half(x, pos_t), atol=1e-10)
        np.testing.assert_allclose(rope_fn(x, pos, pairing="half", base=500.0), rope_rotate_half(x, pos_t, 500.0))


def torch_rope_as_numpy(x, positions=None, **kw):
    pos = None if positions is None else torch.from_numpy(np.asarray(positions))
    return rope_torch(torch.from_numpy(x), pos, **kw).numpy()


@pytest.mark.parametrize("rope_fn", [rope, torch_rope_as_numpy])
def test_rope_matches_library_formulations(rope_fn):
    check_rope_references(rope_fn)


def test_rope_hand_example():
    """d = 4 gives theta = (10000^0, 10000^(-2/4)) = (1, 0.01).

    x = (0, 0, 0, 2) at position 3. Interleaved pairs (0,1) and (2,3): the second pair (0, 2)
    turns by 3 * 0.01 = 0.03 rad, giving (-2 sin 0.03, 2 cos 0.03); the first pair is zero.
    Half-split pairs (0,2) and (1,3): feature 3 is the second half of pair i = 1, which also
    turns by 0.03, so x becomes (0, -2 sin 0.03, 0, 2 cos 0.03).
    """
    x = np.array([[0.0, 0.0, 0.0, 2.0]])
    s, c = 2 * math.sin(0.03), 2 * math.cos(0.03)
    assert rope_frequencies(4).tolist() == [1.0, 0.01]
    np.testing.assert_allclose(rope(x, [3], pairing="interleaved"), [[0, 0, -s, c]], atol=1e-15)
    np.testing.assert_allclose(rope(x, [3], pairing="half"), [[0, -s, 0, c]], atol=1e-15)
    # x = (1, 0, 0, 0) at position 1: pair i = 0 turns by 1 rad; feature 0 partners 1 or 2.
    e0 = np.array([[1.0, 0.0, 0.0, 0.0]])
    c1, s1 = math.cos(1), math.sin(1)
    np.testing.assert_allclose(rope(e0, [1], pairing="interleaved"), [[c1, s1, 0, 0]], atol=1e-15)
    np.testing.assert_allclose(rope(e0, [1], pairing="half"), [[c1, 0, s1, 0]], atol=1e-15)


def check_rope_permutation(rope_fn, perm_fn):
    """Interleaved RoPE = permute features, apply half-split RoPE, permute back."""
    rng = np.random.default_rng(1)
    for shape in SHAPES:
        x = rng.standard_normal(shape)
        p = perm_fn(shape[-1])
        inv = np.argsort(p)
        np.testing.assert_allclose(
            rope_fn(x, pairing="interleaved"), rope_fn(x[..., p], pairing="half")[..., inv], atol=1e-12
        )
        # Converting a checkpoint: permute the rows of W_q and W_k, and every score is unchanged.
        k = rng.standard_normal(shape)
        scores_i = rope_fn(x, pairing="interleaved") @ np.swapaxes(rope_fn(k, pairing="interleaved"), -1, -2)
        scores_h = rope_fn(x[..., p], pairing="half") @ np.swapaxes(rope_fn(k[..., p], pairing="half"), -1, -2)
        np.testing.assert_allclose(scores_i, scores_h, atol=1e-10)


def test_rope_conventions_agree_up_to_permutation():
    assert rope_permutation(6).tolist() == [0, 2, 4, 1, 3, 5]  # evens first, then odds
    assert rope_permutation(8).tolist() == [0, 2, 4, 6, 1, 3, 5, 7]
    check_rope_permutation(rope, rope_permutation)
    check_rope_permutation(torch_rope_as_numpy, rope_permutation)
    x = np.random.default_rng(2).standard_normal((5, 8))
    assert not np.allclose(rope(x, pairing="interleaved"), rope(x, pairing="half"))  # not interchangeable


def check_rope_relative(rope_fn, pairing):
    """q_m . k_n depends only on m - n: shifting both positions leaves every score unchanged."""
    rng = np.random.default_rng(3)
    for d in (2, 8, 64):
        q, k = rng.standard_normal((2, 1, d))
        for m, n, shift in [(0, 0, 5), (7, 3, 100), (3, 7, 12345), (1000, 2, 50_000)]:
            score = (rope_fn(q, [m], pairing=pairing) @ rope_fn(k, [n], pairing=pairing).T).item()
            shifted = (rope_fn(q, [m + shift], pairing=pairing) @ rope_fn(k, [n + shift], pairing=pairing).T).item()
            only_offset = (rope_fn(q, [m - n], pairing=pairing) @ k.T).item()  # k at position 0
            assert score == pytest.approx(shifted, abs=1e-9)
            assert score == pytest.approx(only_offset, abs=1e-9)


@pytest.mark.parametrize("pairing", PAIRINGS)
@pytest.mark.parametrize("rope_fn", [rope, torch_rope_as_numpy])
def test_rope_scores_depend_on_offset_only(rope_fn, pairing):
    check_rope_relative(rope_fn, pairing)


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_rope_is_a_rotation(pairing):
    x = np.random.default_rng(4).standard_normal((3, 9, 16))
    y = rope(x, np.arange(9) * 37, pairing=pairing)
    np.testing.assert_allclose(np.linalg.norm(y, axis=-1), np.linalg.norm(x, axis=-1), atol=1e-12)
    np.testing.assert_array_equal(rope(x[:, :1], [0], pairing=pairing), x[:, :1])  # position 0: identity


def test_rope_position_interpolation():
    """scale s maps position s * m onto the angle of position m (linear interpolation)."""
    x = np.random.default_rng(5).standard_normal((2, 6, 8))
    m = np.arange(6)
    np.testing.assert_allclose(rope(x, 4 * m, scale=4.0), rope(x, m), atol=1e-12)
    np.testing.assert_allclose(torch_rope_as_numpy(x, 4 * m, scale=4.0), rope(x, m), atol=1e-12)


def test_rope_wavelengths():
    """Wavelengths 2 pi / theta_i run from 2 pi to 2 pi base^((d-2)/d) (the page, the bank).

    d = 64, L = 2048: 2 pi 10000^(i/32) <= 2048 needs 10000^(i/32) <= 326, i.e. i <= 20.1,
    so pairs i = 0..20 (21 of them) complete a full turn within 2048 tokens.
    """
    wavelength = 2 * np.pi / rope_frequencies(64)
    assert wavelength[0] == pytest.approx(2 * np.pi)
    assert wavelength[-1] == pytest.approx(2 * np.pi * 10000 ** (62 / 64))
    assert int((wavelength <= 2048).sum()) == 21


@pytest.mark.parametrize("rope_fn", [rope, torch_rope_as_numpy])
def test_rope_bad_input(rope_fn):
    with pytest.raises(ValueError, match=r"d \(the last axis of x\) must be a positive even integer; got 5"):
        rope_fn(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., seq, d\); got \(4,\)"):
        rope_fn(np.zeros(4))
    with pytest.raises(ValueError, match=r"positions must have shape \(3,\); got \(2,\)"):
        rope_fn(np.zeros((3, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"pairing must be one of \('half', 'interleaved'\); got 'neox'"):
        rope_fn(np.zeros((3, 4)), pairing="neox")
    with pytest.raises(ValueError, match=r"scale must be positive; got 0"):
        rope_fn(np.zeros((3, 4)), scale=0)
    with pytest.raises(ValueError, match=r"head_dim must be a positive even integer; got 7"):
        rope_permutation(7)


# ---------------------------------------------------------------- ALiBi


def reference_slopes(n):
    """The ALiBi reference code's rule, written recursively as it states it."""
    if n & (n - 1) == 0:
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))  # = 2^(-8/n)
        return [start ** (h + 1) for h in range(n)]
    p = 2 ** math.floor(math.log2(n))
    return reference_slopes(p) + reference_slopes(2 * p)[0::2][: n - p]


def check_alibi_slopes(slopes_fn):
    assert list(slopes_fn(8)) == [1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256]
    for n in range(1, 65):
        np.testing.assert_allclose(slopes_fn(n), reference_slopes(n), rtol=1e-14)


def test_alibi_slopes():
    check_alibi_slopes(alibi_slopes)


def test_alibi_slopes_hand_example():
    """6 heads: the largest power of two below is 4, whose slopes are 2^-2, 2^-4, 2^-6, 2^-8.
    The 2 missing ones come from the 8-head sequence 2^-1, 2^-2, ..., 2^-8 taking every other
    one (2^-1, 2^-3, 2^-5, 2^-7) and keeping the first two: 2^-1 and 2^-3.
    12 heads: the 8 slopes 2^-1..2^-8, then every other of 16 heads' 2^-0.5, 2^-1, ...: the
    first four are 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5.
    """
    assert alibi_slopes(6).tolist() == [2**-2, 2**-4, 2**-6, 2**-8, 2**-1, 2**-3]
    want_12 = [2.0**-e for e in (1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5)]
    np.testing.assert_allclose(alibi_slopes(12), want_12, rtol=1e-15)


def check_alibi_attention(bias_fn):
    """With the ALiBi bias as SDPA's float mask, attention equals the reference code's form.

    The reference code adds m_h * j (key index only) plus a causal mask. That differs from
    -m_h (i - j) by m_h * i, a constant along each row, which softmax ignores.
    """
    rng = np.random.default_rng(6)
    for (b, h, t, d), logit_scale in [((1, 1, 1, 2), 1.0), ((2, 8, 9, 4), 1.0), ((1, 12, 33, 8), 30.0)]:
        q, k, v = rng.standard_normal((3, b, h, t, d))
        q = q * logit_scale  # large logits
        bias = np.asarray(bias_fn(h, t))
        causal = np.triu(np.full((t, t), -np.inf), k=1)
        key_only = alibi_slopes(h)[:, None, None] * np.arange(t)[None, None, :] + causal
        np.testing.assert_allclose(sdpa(q, k, v, bias), sdpa(q, k, v, key_only), atol=1e-10)
        rows, cols = np.triu_indices(t, 1)
        assert np.isneginf(bias[:, rows, cols]).all()  # future keys are masked


def test_alibi_attention_matches_reference_form():
    check_alibi_attention(alibi_bias)
    check_alibi_attention(lambda h, t: alibi_bias_torch(h, t).numpy())


def test_alibi_bias_hand_example_and_symmetric():
    """2 heads: slopes 2^-4 and 2^-8. Row i = 2 of head 0 is -(2, 1, 0) / 16."""
    bias = alibi_bias(2, 3)
    assert bias.shape == (2, 3, 3)
    assert bias[0, 2].tolist() == [-0.125, -0.0625, 0.0]
    assert bias[1, 2].tolist() == [-2 / 256, -1 / 256, 0.0]
    sym = alibi_bias(2, 3, is_causal=False)
    assert sym[0, 0].tolist() == [0.0, -0.0625, -0.125]
    np.testing.assert_array_equal(sym, np.swapaxes(sym, -1, -2))
    np.testing.assert_array_equal(alibi_bias_torch(2, 3, is_causal=False).numpy(), sym)


@pytest.mark.parametrize("fn", [alibi_bias, alibi_bias_torch])
def test_alibi_bad_input(fn):
    with pytest.raises(ValueError, match=r"num_heads must be a positive integer; got 0"):
        fn(0, 4)
    with pytest.raises(ValueError, match=r"seq_len must be a positive integer; got -1"):
        fn(2, -1)


# ---------------------------------------------------------------- why positions are needed


def check_permutation_equivariance(attn_fn):
    """Without positions, permuting the tokens permutes the outputs the same way."""
    rng = np.random.default_rng(7)
    for b, t, d in [(1, 1, 4), (1, 6, 8), (3, 11, 16)]:
        x = rng.standard_normal((b, t, d))
        w_q, w_k, w_v = rng.standard_normal((3, d, d))
        perm = rng.permutation(t)
        out = attn_fn(x @ w_q, x @ w_k, x @ w_v)
        xp = x[:, perm]
        np.testing.assert_allclose(attn_fn(xp @ w_q, xp @ w_k, xp @ w_v), out[:, perm], atol=1e-10)


def test_attention_without_positions_is_permutation_equivariant():
    check_permutation_equivariance(sdpa)


def test_positions_break_the_symmetry():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 6, 8))
    w_q, w_k, w_v = rng.standard_normal((3, 8, 8))
    perm = np.array([5, 4, 3, 2, 1, 0])
    pe = sinusoidal_encoding(6, 8)

    def with_sinusoid(tokens):
        h = tokens + pe
        return sdpa(h @ w_q, h @ w_k, h @ w_v)

    def with_rope(tokens):
        return sdpa(rope(tokens @ w_q), rope(tokens @ w_k), tokens @ w_v)

    for attn in (with_sinusoid, with_rope):
        assert not np.allclose(attn(x[:, perm]), attn(x)[:, perm], atol=1e-6)


# ---------------------------------------------------------------- low precision and mirrors

LOW = [(torch.float32, 1e-6, 1e-5), (torch.bfloat16, 1e-2, 4e-2), (torch.float16, 1e-3, 5e-3)]  # dtype, rtol, atol


@pytest.mark.parametrize(("dtype", "rtol", "atol"), LOW, ids=["float32", "bfloat16", "float16"])
def test_rope_torch_in_low_precision_matches_float64(dtype, rtol, atol):
    """Up to position 4095 the mirror stays within the dtype's rounding of the float64 result.

    The first version cast the angle m * theta to x.dtype before cos/sin; in bfloat16 an angle
    near 4000 is a multiple of 16, so the rotation was wrong by radians (this test failed).
    """
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 17, 16))
    pos = np.concatenate([np.arange(8), rng.integers(1000, 4096, size=9)])
    for pairing in PAIRINGS:
        want = rope(x, pos, pairing=pairing)
        got = rope_torch(torch.from_numpy(x).to(dtype), torch.from_numpy(pos), pairing=pairing)
        assert got.dtype == dtype
        # the input itself is rounded to the dtype: compare against the float64 rotation of that
        x_rounded = torch.from_numpy(x).to(dtype).to(torch.float64).numpy()
        np.testing.assert_allclose(
            got.to(torch.float64).numpy(), rope(x_rounded, pos, pairing=pairing), rtol=rtol, atol=atol
        )
        assert np.abs(got.to(torch.float64).numpy() - want).max() < 10 * atol


@pytest.mark.parametrize(("dtype", "rtol", "atol"), LOW, ids=["float32", "bfloat16", "float16"])
def test_table_mirrors_in_low_precision(dtype, rtol, atol):
    pe = sinusoidal_encoding_torch(300, 16, dtype=dtype)
    assert pe.dtype == dtype
    np.testing.assert_allclose(pe.to(torch.float64).numpy(), sinusoidal_encoding(300, 16), rtol=rtol, atol=atol)
    bias = alibi_bias_torch(12, 40, dtype=dtype)
    assert bias.dtype == dtype
    finite = np.isfinite(alibi_bias(12, 40))
    np.testing.assert_allclose(bias.to(torch.float64).numpy()[finite], alibi_bias(12, 40)[finite], rtol=rtol, atol=atol)
    assert torch.isneginf(bias.to(torch.float64)).numpy().tolist() == (~finite).tolist()


def test_float32_angles_drift_at_long_positions():
    """Why the mirrors compute angles in float64: at position 100,000, float32 spacing is
    2^-7 = 0.0078, so a float32 angle m * theta_0 = m can be off by up to 0.004 rad."""
    m = np.arange(100_000, 100_064)
    angle32 = (torch.from_numpy(m).to(torch.float32) * torch.tensor(1.0)).double().numpy() + 0.3
    exact = m + 0.3
    assert np.abs(np.float32(exact) - exact).max() > 1e-3  # float32 cannot even hold m + 0.3
    assert np.abs(angle32 - exact).max() < 1e-9  # integers alone are exact up to 2^24
    pe32 = sinusoidal_encoding_torch(100_064, 2, dtype=torch.float32)[100_000:].double().numpy()
    np.testing.assert_allclose(pe32, sinusoidal_encoding(100_064, 2)[100_000:], atol=1e-7)


def test_torch_mirrors_refuse_numpy_and_numpy_refuses_tensors():
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor; got a NumPy array"):
        rope_torch(np.zeros((3, 4)))
    with pytest.raises(TypeError, match=r"positions must be a torch.Tensor; got a NumPy array"):
        rope_torch(torch.zeros(3, 4), np.arange(3))
    with pytest.raises(TypeError, match=r"x must be a NumPy array or array-like; got a torch.Tensor"):
        rope(torch.zeros(3, 4))
    assert rope([[1.0, 0.0]], [1]).shape == (1, 2)  # array-likes are fine


def test_position_embedding_generator_is_reproducible():
    a = position_embedding_torch(8, 4, generator=torch.Generator().manual_seed(3)).weight
    b = position_embedding_torch(8, 4, generator=torch.Generator().manual_seed(3)).weight
    assert torch.equal(a, b)
    np.testing.assert_array_equal(
        init_position_table(8, 4, rng=5), init_position_table(8, 4, rng=np.random.default_rng(5))
    )


# ---------------------------------------------------------------- context extension


def hf_frequencies(rope_type, head_dim, max_len, seq_len=None, **params):
    """Hugging Face ``transformers``' inverse frequencies for a config (computed in float32)."""
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    config = LlamaConfig(
        hidden_size=2 * head_dim,
        num_attention_heads=2,
        head_dim=head_dim,
        max_position_embeddings=max_len,
        rope_parameters={"rope_type": rope_type, **params},
    )
    inv_freq, attention_factor = ROPE_INIT_FUNCTIONS[rope_type](config, "cpu", seq_len=seq_len)
    return inv_freq.double().numpy(), attention_factor


@pytest.mark.parametrize("head_dim", [64, 128])
def test_scaled_frequencies_match_transformers(head_dim):
    for factor, base, length in [(4.0, 10000.0, 4096), (8.0, 500000.0, 8192), (2.0, 10000.0, 2048)]:
        kw = {"rope_theta": base, "factor": factor}
        want, _ = hf_frequencies("linear", head_dim, length, **kw)
        got = rope_scaled_frequencies(head_dim, method="linear", factor=factor, base=base)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        for seq_len in (length // 2, length, 3 * length):
            want, _ = hf_frequencies("dynamic", head_dim, length, seq_len=seq_len, **kw)
            got = rope_scaled_frequencies(
                head_dim, method="dynamic-ntk", factor=factor, base=base, original_max_len=length, seq_len=seq_len
            )
            np.testing.assert_allclose(got, want, rtol=1e-5)
        want, attention = hf_frequencies(
            "yarn", head_dim, int(factor * length), original_max_position_embeddings=length, **kw
        )
        got = rope_scaled_frequencies(head_dim, method="yarn", factor=factor, base=base, original_max_len=length)
        np.testing.assert_allclose(got, want, rtol=1e-5)
        assert yarn_attention_factor(factor) == pytest.approx(attention, rel=1e-12)
        llama = {"low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": length}
        want, _ = hf_frequencies("llama3", head_dim, int(factor * length), **kw, **llama)
        got = rope_scaled_frequencies(head_dim, method="llama3", factor=factor, base=base, original_max_len=length)
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_ntk_aware_base_hand_values():
    """base' = base * s^(d/(d-2)). d = 128, s = 4: 4^(128/126) = 4.08899..., base' = 40,889.9.
    The slowest pair then turns exactly s times slower; the fastest is unchanged."""
    assert ntk_aware_base(10000.0, 4.0, 128) == pytest.approx(10000 * 4 ** (128 / 126))
    assert round(ntk_aware_base(10000.0, 4.0, 128), 1) == 40889.9
    for d, s in [(64, 8.0), (128, 4.0), (128, 16.0)]:
        theta = rope_frequencies(d)
        ntk = rope_scaled_frequencies(d, method="ntk", factor=s)
        assert ntk[0] == theta[0] == 1.0
        assert ntk[-1] == pytest.approx(theta[-1] / s, rel=1e-12)
        middle = ntk / theta
        assert np.all(np.diff(middle) < 0) and np.all(middle <= 1)  # slowed more the slower the pair


def test_llama3_frequency_bands():
    """Llama 3.1 (head_dim 128, base 500,000, factor 8, L0 = 8192, band factors 1 and 4):
    wavelengths below 8192 / 4 = 2048 keep theta, above 8192 are divided by 8, blended between.
    2 pi 500000^(2i/128) < 2048 means 2i/128 < ln(326)/ln(500000) = 0.4404, i <= 28 (29 pairs);
    > 8192 means 2i/128 > ln(1304)/ln(500000) = 0.5470, i >= 35 (29 pairs); 6 pairs blend."""
    theta = rope_frequencies(128, base=500000.0)
    wavelength = 2 * np.pi / theta
    assert int((wavelength < 2048).sum()) == 29 and int((wavelength > 8192).sum()) == 29
    got = rope_scaled_frequencies(128, method="llama3", factor=8.0, base=500000.0, original_max_len=8192)
    np.testing.assert_array_equal(got[:29], theta[:29])
    np.testing.assert_allclose(got[35:], theta[35:] / 8, rtol=1e-15)
    assert np.all((got[29:35] < theta[29:35]) & (got[29:35] > theta[29:35] / 8))
    assert wavelength[-1] == pytest.approx(2 * np.pi * 500000 ** (126 / 128)) == pytest.approx(2.559e6, rel=1e-3)


def test_position_interpolation_equals_scaled_frequencies():
    x = np.random.default_rng(12).standard_normal((5, 8))
    theta = rope_scaled_frequencies(8, method="linear", factor=4.0)
    m = np.arange(5) * 3
    angle = m[:, None] * theta
    want = np.concatenate(
        [x[:, :4] * np.cos(angle) - x[:, 4:] * np.sin(angle), x[:, :4] * np.sin(angle) + x[:, 4:] * np.cos(angle)],
        axis=-1,
    )
    np.testing.assert_allclose(rope(x, m, scale=4.0), want, atol=1e-12)


def test_scaling_bad_input():
    with pytest.raises(ValueError, match=r"method must be one of .*; got 'rope'"):
        rope_scaled_frequencies(8, method="rope", factor=2.0)
    with pytest.raises(ValueError, match=r"method 'yarn' needs original_max_len, the trained context length; got None"):
        rope_scaled_frequencies(8, method="yarn", factor=2.0)
    with pytest.raises(ValueError, match=r"factor must be positive; got 0"):
        rope_scaled_frequencies(8, method="linear", factor=0)
    with pytest.raises(ValueError, match=r"head_dim must be at least 4 for an NTK-aware base; got 2"):
        ntk_aware_base(10000.0, 2.0, 2)


# ---------------------------------------------------------------- the bank's numeric keys


def test_bank_numeric_answers_are_right():
    """Every numeric key recomputed from the package, within the tolerance the quiz grants."""
    theta = rope_frequencies(128)
    llama = rope_frequencies(128, base=500000.0)
    llama31 = rope_scaled_frequencies(128, method="llama3", factor=8.0, base=500000.0, original_max_len=8192)
    computed = {
        "positional_encoding.sinusoid-value": float(sinusoidal_encoding(3, 4)[2, 3]),
        "positional_encoding.alibi-slope-8": float(alibi_slopes(8)[2]),
        "positional_encoding.alibi-slope-12": float(alibi_slopes(12)[8]),
        "positional_encoding.wavelength-count": int((2 * np.pi / rope_frequencies(64) <= 2048).sum()),
        "positional_encoding.learned-params": init_position_table(1024, 768, rng=0).size,
        "positional_encoding.pi-adjacent-angle": float(
            rope_scaled_frequencies(64, method="linear", factor=32768 / 4096)[0]
        ),
        "positional_encoding.ntk-base": ntk_aware_base(10000.0, 4.0, 128),
        "positional_encoding.ntk-middle-pair": float(
            theta[32] / rope_scaled_frequencies(128, method="ntk", factor=4.0)[32]
        ),
        "positional_encoding.yarn-logit-scale": yarn_attention_factor(8.0) ** 2,
        "positional_encoding.llama3-wavelength": float(2 * np.pi / llama[-1]) / 1e6,
        "positional_encoding.llama3-unchanged-pairs": int((llama31 == llama).sum()),
    }
    numeric = check_numeric_keys("positional_encoding", computed, bank_tolerance)
    assert numeric["positional_encoding.sinusoid-value"]["abs_tol"] < abs(
        1.0 - computed["positional_encoding.sinusoid-value"]
    )


# ---------------------------------------------------------------- exercises: the learner's checks on our code


@pytest.mark.parametrize(
    ("exercise", "impl"), [("positional_encoding.sinusoidal", sinusoidal_encoding), ("positional_encoding.rope", rope)]
)
def test_exercise_checks_pass_on_our_code(exercise, impl):
    results = run_checks(CHECKS[exercise], impl)
    assert [(r.name, r.message) for r in results if not r.passed] == []


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16, torch.float16])
def test_position_embedding_mirror_in_each_dtype(dtype):
    """The learned table's lookup equals learned_positions on the same numbers, in every dtype,
    and its initial spread is N(0, 0.02^2) whatever the dtype it is cast to."""
    emb = position_embedding_torch(512, 32, generator=torch.Generator().manual_seed(0)).to(dtype)
    idx = torch.tensor([[0, 5, 511], [3, 3, 7]])
    got = emb(idx)
    assert got.dtype == dtype
    want = learned_positions(emb.weight.detach().to(torch.float64).numpy(), idx.numpy())
    np.testing.assert_array_equal(got.detach().to(torch.float64).numpy(), want)
    assert abs(float(emb.weight.detach().double().std()) - 0.02) < 0.001
