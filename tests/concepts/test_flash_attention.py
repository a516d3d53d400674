"""Flash attention checked against PyTorch's SDPA, torch.logsumexp and autograd, in float64.

The trusted references: ``torch.nn.functional.scaled_dot_product_attention`` for the output,
``torch.logsumexp`` of the masked scaled scores for the log-sum-exp, PyTorch's own CPU flash
kernel for the log-sum-exp too, and autograd through naive attention written with torch ops
for the gradients. ``concepts.attention.scaled_dot_product_attention`` appears only where two
of our implementations are compared (and as the naive side of the memory measurement).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import check_numeric_keys
from torch.nn.attention import SDPBackend, sdpa_kernel

from concepts.attention import scaled_dot_product_attention
from concepts.exercises._harness import run_checks
from concepts.exercises.flash_attention import CHECKS, torch_attention_with_lse
from concepts.flash_attention import (
    attention_hbm_bytes,
    flash_attention,
    flash_attention2_hbm_bytes,
    flash_attention_hbm_bytes,
    flash_attention_torch,
    online_softmax,
    peak_memory_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
WRONG = ROOT / "concepts" / "exercises" / "wrong"


def flash_torch_as_numpy(q, k, v, *, mask=None, is_causal=False, scale=None, block_q=64, block_k=64):
    """The PyTorch mirror on float64 NumPy arrays, so the exercise checks can run on it."""
    t = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)) for a in (q, k, v)]
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    out, lse = flash_attention_torch(*t, mask=m, is_causal=is_causal, scale=scale, block_q=block_q, block_k=block_k)
    return out.numpy(), lse.numpy()


def naive_torch(q, k, v, *, mask=None, is_causal=False, scale=None):
    """Attention with torch ops (differentiable by autograd): ``(output, logsumexp)``."""
    s = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
    if mask is not None and mask.dtype == torch.bool:
        s = s.masked_fill(~mask, -math.inf)
    elif mask is not None:
        s = s + mask
    dead = (s == -math.inf).all(dim=-1, keepdim=True)
    p = torch.softmax(s.masked_fill(dead, 0.0), dim=-1).masked_fill(dead, 0.0)
    return p @ v, torch.logsumexp(s, dim=-1)


def assert_close(got, want, rtol=1e-10, atol=1e-12) -> None:
    if isinstance(want, tuple):
        for g, w in zip(got, want, strict=True):
            assert_close(g, w, rtol, atol)
        return
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol)


# ---------------------------------------------------------------- the exercise checks on our code


@pytest.mark.parametrize("impl", [flash_attention, flash_torch_as_numpy], ids=["numpy", "torch"])
def test_forward_passes_every_check(impl) -> None:
    results = run_checks(CHECKS["flash_attention.forward"], impl)
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]


def test_online_softmax_passes_every_check() -> None:
    results = run_checks(CHECKS["flash_attention.online-softmax"], online_softmax)
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]


def _wrong(name: str):
    spec = importlib.util.spec_from_file_location(name, WRONG / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name",
    [
        "flash_attention_forward__output_not_rescaled",  # the running output not rescaled when m grows
        "flash_attention_forward__no_rescale",
        "flash_attention_forward__normalise_each_tile",  # divided by l tile by tile, before accumulating
        "flash_attention_forward__first_block_max",
    ],
)
def test_a_flipped_convention_fails(name: str) -> None:
    """Each classic mistake is caught by the check it names, and by nothing that our code fails."""
    module = _wrong(name)
    results = {r.name: r for r in run_checks(CHECKS["flash_attention.forward"], module.flash_attention)}
    assert not results[module.EXPECTED_FAILURE].passed


# ---------------------------------------------------------------- forward against the references

# (batch, seq_q, seq_k, d_k, d_v, block_q, block_k): tiles that do not divide the lengths
CASES = [
    ((), 1, 1, 1, 1, 1, 1),
    ((), 10, 10, 4, 4, 3, 4),
    ((1,), 1, 7, 8, 3, 2, 3),  # one query (a decoding step)
    ((2,), 17, 23, 16, 8, 5, 7),
    ((2, 3), 33, 20, 8, 5, 64, 6),  # one query tile longer than seq_q
    ((3,), 20, 33, 32, 16, 8, 8),
    ((1, 2), 65, 65, 64, 64, 16, 24),
]


@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[0] + c[1:])))
def test_matches_sdpa_and_logsumexp_float64(case, is_causal: bool) -> None:
    batch, seq_q, seq_k, d_k, d_v, bq, bk = case
    rng = np.random.default_rng(seq_q * 100 + seq_k)
    q, k = 3 * rng.standard_normal((*batch, seq_q, d_k)), rng.standard_normal((*batch, seq_k, d_k))
    v = rng.standard_normal((*batch, seq_k, d_v))
    want = torch_attention_with_lse(q, k, v, is_causal=is_causal)
    for impl in (flash_attention, flash_torch_as_numpy):
        out, lse = impl(q, k, v, is_causal=is_causal, block_q=bq, block_k=bk)
        assert out.shape == (*batch, seq_q, d_v) and lse.shape == (*batch, seq_q)
        assert_close(out, want[0])
        assert_close(lse, want[1])
    ours = scaled_dot_product_attention(q, k, v, is_causal=is_causal)[0]  # two of ours agree too
    assert_close(flash_attention(q, k, v, is_causal=is_causal, block_q=bq, block_k=bk)[0], ours)


@pytest.mark.parametrize("kind", ["bool", "padding", "additive"])
def test_masks_match_sdpa(kind: str) -> None:
    rng = np.random.default_rng(5)
    q, k, v = rng.standard_normal((2, 9, 8)), rng.standard_normal((2, 11, 8)), rng.standard_normal((2, 11, 4))
    if kind == "bool":
        mask = rng.random((9, 11)) < 0.6
    elif kind == "padding":
        mask = np.arange(11) < np.array([4, 11])[:, None, None]  # (2, 1, 11)
    else:
        mask = np.where(rng.random((2, 9, 11)) < 0.3, -np.inf, rng.standard_normal((2, 9, 11)))
    want = torch_attention_with_lse(q, k, v, mask=mask, scale=0.7)
    for impl in (flash_attention, flash_torch_as_numpy):
        assert_close(impl(q, k, v, mask=mask, scale=0.7, block_q=4, block_k=3), want)


def test_fully_masked_tile_and_row() -> None:
    """Tile (queries 0-3, keys 4-7) is empty and query 5 sees nothing: output 0, lse -inf, no NaN."""
    rng = np.random.default_rng(6)
    q, k, v = rng.standard_normal((8, 4)), rng.standard_normal((10, 4)), rng.standard_normal((10, 3))
    mask = np.ones((8, 10), dtype=bool)
    mask[:4, 4:8] = False
    mask[5] = False
    want_out = F.scaled_dot_product_attention(
        *(torch.from_numpy(a) for a in (q, k, v)), attn_mask=torch.from_numpy(mask)
    )
    assert (want_out[5] == 0).all(), "SDPA no longer gives zeros for a fully masked row"
    for impl in (flash_attention, flash_torch_as_numpy):
        out, lse = impl(q, k, v, mask=mask, block_q=4, block_k=4)
        assert not np.isnan(out).any() and not np.isnan(lse).any()
        assert (out[5] == 0).all() and lse[5] == -np.inf
        assert_close(out, want_out.numpy())
        assert_close(lse, torch_attention_with_lse(q, k, v, mask=mask)[1])


def test_lse_equals_pytorch_cpu_flash_kernel() -> None:
    """PyTorch's own CPU flash kernel returns the log-sum-exp as its second output; ours agrees."""
    rng = np.random.default_rng(7)
    q, k, v = (torch.from_numpy(rng.standard_normal((2, 3, 19, 16))) for _ in range(3))
    for is_causal in (False, True):
        want_out, want_lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, k, v, is_causal=is_causal)
        out, lse = flash_attention_torch(q, k, v, is_causal=is_causal, block_q=5, block_k=4)
        assert_close(out, want_out)
        assert_close(lse, want_lse)


def test_hand_worked_example() -> None:
    """One query q = (1, 0), keys (0, 0), (2, 0), (-2, 0), values 1, 2, 3, scale 1, tiles of one key.

    Scores 0, 2, -2. Tile 1: m = 0, l = 1, acc = 1. Tile 2 raises m to 2: l = e^-2 * 1 + 1,
    acc = e^-2 * 1 + 2. Tile 3: l = e^-2 + 1 + e^-4, acc = e^-2 + 2 + 3 e^-4. The output is
    acc / l and lse = 2 + log(l) = log(1 + e^2 + e^-2).
    """
    q, k, v = np.array([[1.0, 0.0]]), np.array([[0.0, 0.0], [2.0, 0.0], [-2.0, 0.0]]), np.array([[1.0], [2.0], [3.0]])
    ell = math.exp(-2) + 1 + math.exp(-4)
    out, lse = flash_attention(q, k, v, scale=1.0, block_q=1, block_k=1)
    assert out[0, 0] == pytest.approx((math.exp(-2) + 2 + 3 * math.exp(-4)) / ell, abs=1e-15)
    assert lse[0] == pytest.approx(math.log(1 + math.exp(2) + math.exp(-2)), abs=1e-15)
    m, l_total = online_softmax([[0.0], [2.0], [-2.0]])
    assert float(m) == 2.0 and float(l_total) == pytest.approx(ell, abs=1e-15)


def test_online_softmax_matches_scipy() -> None:
    from scipy.special import logsumexp

    rng = np.random.default_rng(8)
    x = 10 * rng.standard_normal((3, 4, 50))
    m, ell = online_softmax(np.array_split(x, [3, 4, 20, 33], axis=-1))
    assert_close(m, x.max(-1))
    assert_close(m + np.log(ell), logsumexp(x, axis=-1))


# ---------------------------------------------------------------- backward by recomputation


def _grads(fn, q, k, v, **kwargs):
    q, k, v = (t.detach().clone().requires_grad_(True) for t in (q, k, v))
    out, lse = fn(q, k, v, **kwargs)
    finite = torch.isfinite(lse)
    loss = (out * torch.linspace(-1, 1, out.shape[-1], dtype=out.dtype)).sum() + torch.where(
        finite, lse, 0.0
    ).sin().sum()
    loss.backward()
    return out.detach(), lse.detach(), q.grad, k.grad, v.grad


@pytest.mark.parametrize(
    ("shape_q", "shape_k", "d_v", "kwargs"),
    [
        ((7, 4), (7, 4), 4, {"is_causal": True, "block_q": 3, "block_k": 2}),
        ((2, 11, 8), (2, 13, 8), 5, {"block_q": 4, "block_k": 5}),
        ((2, 3, 16, 8), (2, 3, 16, 8), 8, {"is_causal": True, "block_q": 5, "block_k": 7, "scale": 0.4}),
        ((2, 9, 4), (1, 10, 4), 3, {"block_q": 2, "block_k": 3}),  # k and v broadcast over the batch
    ],
)
def test_gradients_equal_autograd_through_naive_float64(shape_q, shape_k, d_v, kwargs) -> None:
    gen = torch.Generator().manual_seed(9)
    q = torch.randn(shape_q, dtype=torch.float64, generator=gen)
    k = torch.randn(shape_k, dtype=torch.float64, generator=gen)
    v = torch.randn((*shape_k[:-1], d_v), dtype=torch.float64, generator=gen)
    naive_kwargs = {key: val for key, val in kwargs.items() if key in ("is_causal", "scale")}
    got = _grads(flash_attention_torch, q, k, v, **kwargs)
    want = _grads(naive_torch, q, k, v, **naive_kwargs)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        assert_close(g, w)


def test_gradients_with_a_fully_masked_row_and_tile() -> None:
    gen = torch.Generator().manual_seed(10)
    q, k, v = (torch.randn(6, 4, dtype=torch.float64, generator=gen) for _ in range(3))
    mask = torch.ones(6, 6, dtype=torch.bool)
    mask[:3, 3:] = False  # a fully masked tile
    mask[4] = False  # a fully masked row
    got = _grads(flash_attention_torch, q, k, v, mask=mask, block_q=3, block_k=3)
    want = _grads(naive_torch, q, k, v, mask=mask)
    for g, w in zip(got, want, strict=True):
        assert not torch.isnan(g).any()
        assert_close(g, w)
    assert (got[2][4] == 0).all()  # dq of the row that sees nothing


def test_gradcheck() -> None:
    gen = torch.Generator().manual_seed(11)
    q, k, v = (torch.randn(2, 5, 3, dtype=torch.float64, generator=gen, requires_grad=True) for _ in range(3))
    assert torch.autograd.gradcheck(
        lambda a, b, c: flash_attention_torch(a, b, c, is_causal=True, block_q=2, block_k=2), (q, k, v)
    )


def test_backward_saves_only_inputs_output_and_lse() -> None:
    """Nothing of size seq_q x seq_k is kept for the backward pass: q, k, v, O and the lse only."""
    seq = 64
    q, k, v = (torch.randn(seq, 8, dtype=torch.float64, requires_grad=True) for _ in range(3))
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        flash_attention_torch(q, k, v, block_q=16, block_k=16)
    assert [tuple(t.shape) for t in saved] == [(seq, 8)] * 4 + [(seq,)]
    assert sum(t.numel() for t in saved) == 4 * seq * 8 + seq  # against seq * seq = 4096 for P alone
    naive_saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: naive_saved.append(t) or t, lambda t: t):
        naive_torch(q, k, v)
    assert any(t.shape == (seq, seq) for t in naive_saved)


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float32, 2e-5), (torch.bfloat16, 3e-2)])
def test_low_precision_against_sdpa(dtype, tol: float) -> None:
    """In float32 and bfloat16 the output and gradients stay within the dtype's rounding of SDPA's."""
    gen = torch.Generator().manual_seed(12)
    q, k, v = (torch.randn(2, 40, 16, generator=gen).to(dtype) for _ in range(3))
    got = _grads(flash_attention_torch, q, k, v, is_causal=True, block_q=16, block_k=12)
    want = _grads(
        lambda a, b, c, **kw: (F.scaled_dot_product_attention(a, b, c, **kw), naive_torch(a, b, c, **kw)[1]),
        q,
        k,
        v,
        is_causal=True,
    )
    assert got[0].dtype == dtype and got[2].dtype == dtype
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g.float(), w.float(), rtol=tol, atol=tol)


# ---------------------------------------------------------------- memory, measured


def test_tiled_peak_memory_is_a_small_fraction_of_naive() -> None:
    """At N = 1024, d = 64 the tiled forward's peak is at most 1/10 of the naive one's.

    Naive attention holds the float64 N x N scores and weights (8 MiB each) at once; the
    tiled forward holds the output (N x d, 0.5 MiB) and a few 64 x 64 tiles. Measured on
    2026-11-30: 0.70 MiB against 32.1 MiB, a ratio of 0.022.
    """
    n, d = 1024, 64
    q, k, v = (np.random.default_rng(i).standard_normal((n, d)) for i in range(3))
    tiled = peak_memory_bytes(flash_attention, q, k, v)
    naive = peak_memory_bytes(scaled_dot_product_attention, q, k, v)
    assert naive >= 2 * n * n * 8  # at least two N x N float64 arrays alive together
    assert tiled <= 2 * n * d * 8  # the output plus small change
    assert tiled <= naive / 10


def test_peak_memory_counts_numpy_buffers() -> None:
    assert peak_memory_bytes(np.ones, (512, 512)) >= 512 * 512 * 8
    assert peak_memory_bytes(lambda: None) < 10_000


# ---------------------------------------------------------------- HBM traffic


def test_hbm_bytes_follow_the_formulas() -> None:
    for n, d in ((1, 1), (512, 64), (1000, 128), (4096, 64)):
        assert attention_hbm_bytes(n, d, bytes_per_element=1) == 4 * n * d + 4 * n * n
        for sram in (64 * 1024, 100 * 1024, 192 * 1024):
            m = sram // 2
            b_c = math.ceil(m / (4 * d))
            t_c = math.ceil(n / b_c)
            assert flash_attention_hbm_bytes(n, d, sram_bytes=sram) == 2 * (2 * n * d + t_c * n * (3 * d + 4))
        for block_q in (64, 128):
            t_r = math.ceil(n / block_q)
            assert flash_attention2_hbm_bytes(n, d, block_q=block_q) == 2 * (2 * n * d + n + 2 * n * d * t_r)
    # "4 times less than standard attention for d = 64 and 2 times less for d = 128" (B_r = 128)
    assert round(attention_hbm_bytes(16_384, 64) / flash_attention2_hbm_bytes(16_384, 64)) == 4
    assert round(attention_hbm_bytes(16_384, 128) / flash_attention2_hbm_bytes(16_384, 128)) == 2


def test_hbm_bytes_scale_as_n2_d2_over_m() -> None:
    """Theorem 2: Theta(N^2 d^2 / M). T_c N (3d + 4) with T_c about 4Nd / M is 12 N^2 d^2 / M plus
    16 N^2 d / M and the rounding of T_c up, so the ratio to 12 N^2 d^2 / M is a little above 1."""
    d, sram = 64, 100 * 1024
    m = sram // 2
    for n in (16_384, 65_536):
        elements = flash_attention_hbm_bytes(n, d, sram_bytes=sram) / 2
        assert 1.0 <= elements / (12 * n * n * d * d / m) <= 1.05
    # doubling the SRAM roughly halves the traffic; doubling N quadruples it
    a = flash_attention_hbm_bytes(65_536, d, sram_bytes=sram)
    assert a / flash_attention_hbm_bytes(65_536, d, sram_bytes=2 * sram) == pytest.approx(2, rel=0.02)
    assert flash_attention_hbm_bytes(131_072, d, sram_bytes=sram) / a == pytest.approx(4, rel=0.02)
    # against standard attention's 4 N^2: about M / 3d^2 = 4.2 for d = 64 (the page's "about 4")
    ratio = attention_hbm_bytes(65_536, d) / flash_attention_hbm_bytes(65_536, d, sram_bytes=sram)
    assert ratio == pytest.approx(m / (3 * d * d), rel=0.05)


def test_bad_input_gets_a_clear_error() -> None:
    q = np.zeros((4, 2))
    with pytest.raises(ValueError, match="block_q must be a positive integer"):
        flash_attention(q, q, q, block_q=0)
    with pytest.raises(ValueError, match="block_k must be a positive integer"):
        flash_attention(q, q, q, block_k=2.5)
    with pytest.raises(ValueError, match="not both"):
        flash_attention(q, q, q, mask=np.ones((4, 4), dtype=bool), is_causal=True)
    with pytest.raises(ValueError, match="d_k"):
        flash_attention(q, np.zeros((4, 3)), q)
    with pytest.raises(TypeError, match="_torch version"):
        flash_attention(torch.zeros(4, 2), q, q)
    with pytest.raises(TypeError, match="NumPy array"):
        flash_attention_torch(q, q, q)
    with pytest.raises(ValueError, match="at least one block"):
        online_softmax([])
    with pytest.raises(ValueError, match="leading shape"):
        online_softmax([np.zeros((2, 3)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match="sram_bytes"):
        flash_attention_hbm_bytes(1024, 64, sram_bytes=256)
    with pytest.raises(ValueError, match="seq_len"):
        attention_hbm_bytes(0, 64)
    with pytest.raises(ValueError, match="block_q"):
        flash_attention2_hbm_bytes(1024, 64, block_q=0)


# ---------------------------------------------------------------- which kernel SDPA picks on CPU


def _kernels(**kwargs) -> set[str]:
    q = torch.randn(1, 2, 8, 4, dtype=kwargs.pop("dtype", torch.float32))
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        F.scaled_dot_product_attention(q, q, q, **kwargs)
    return {e.name for e in prof.events() if e.name.startswith("aten::_scaled_dot_product")}


def test_sdpa_kernel_choice_on_cpu() -> None:
    """On CPU (torch 2.13) SDPA runs its flash kernel by default, in float32 and float64, with or
    without a mask; dropout sends it to the math kernel; the memory-efficient kernel does not exist."""
    assert _kernels() == {"aten::_scaled_dot_product_flash_attention_for_cpu"}
    assert _kernels(dtype=torch.float64, is_causal=True) == {"aten::_scaled_dot_product_flash_attention_for_cpu"}
    assert _kernels(attn_mask=torch.ones(8, 8, dtype=torch.bool)) == {
        "aten::_scaled_dot_product_flash_attention_for_cpu"
    }
    assert _kernels(dropout_p=0.1) == {"aten::_scaled_dot_product_attention_math"}
    with sdpa_kernel([SDPBackend.MATH]):
        assert _kernels() == {"aten::_scaled_dot_product_attention_math"}
    q = torch.randn(1, 2, 8, 4)
    for backend in (SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION):
        with sdpa_kernel([backend]), pytest.raises(RuntimeError, match="No viable backend"):
            F.scaled_dot_product_attention(q, q, q)


def test_cpu_flash_kernel_reports_zero_lse_for_an_empty_row() -> None:
    """The page's pitfall: torch.logsumexp (and we) say -inf for a row that sees nothing; the CPU kernel says 0."""
    q, k = torch.randn(1, 1, 3, 4, dtype=torch.float64), torch.randn(1, 1, 5, 4, dtype=torch.float64)
    mask = torch.zeros(3, 5, dtype=torch.float64)
    mask[1] = -math.inf
    out, lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, k, k, attn_mask=mask)
    assert (out[0, 0, 1] == 0).all() and lse[0, 0, 1] == 0
    assert flash_attention_torch(q, k, k, mask=mask)[1][0, 0, 1] == -math.inf


# ---------------------------------------------------------------- the page's and the bank's numbers


def test_page_figures() -> None:
    """The memory table (measured at N = 1024; the N = 4096 row comes from the benchmark) and the IO savings."""
    x = np.random.default_rng(1).standard_normal((1024, 64))
    assert peak_memory_bytes(scaled_dot_product_attention, x, x, x) / 2**20 == pytest.approx(32.1, rel=0.05)
    assert peak_memory_bytes(flash_attention, x, x, x) / 2**20 == pytest.approx(0.70, rel=0.15)
    # "about 4 for d = 64 and M = 100 KB, about 1 for d = 128; 1.03 and 1.96 at N = 16384"
    ratio = {
        (d, kib): attention_hbm_bytes(16_384, d) / flash_attention_hbm_bytes(16_384, d, sram_bytes=kib * 1024)
        for d in (64, 128)
        for kib in (100, 192)
    }
    assert round(ratio[64, 100], 1) == 4.1 and round(ratio[128, 100], 2) == 1.03 and round(ratio[128, 192], 2) == 1.96
    assert round(12 * 128**2 / (100 * 1024 // 2), 2) == 3.84  # "12 d^2 / M is about 3.8"


def test_bank_numeric_keys() -> None:
    n, d, sram = 4096, 64, 100 * 1024
    _, ell = online_softmax([[1.0, 2.0], [3.0]])
    computed = {
        "flash_attention.rescale-factor": math.exp(2 - 5),
        "flash_attention.online-sum": float(ell),
        "flash_attention.scores-mib": n * n * 4 / 2**20,
        "flash_attention.hbm-standard": attention_hbm_bytes(1024, 64) / 2**20,
        "flash_attention.hbm-ratio": attention_hbm_bytes(n, d) / flash_attention_hbm_bytes(n, d, sram_bytes=sram),
    }
    numeric = check_numeric_keys("flash_attention", computed, lambda q, value: 0.5 * 10 ** -q["decimals"])
    # the misconceptions are what the mistakes compute
    wrong = _wrong("flash_attention_online_softmax__sum_not_rescaled").online_softmax([[1.0, 2.0], [3.0]])[1]
    misses = {m["answer"] for m in numeric["flash_attention.online-sum"]["misconceptions"]}
    assert round(float(wrong), 4) in misses and round(math.e + math.e**2 + math.e**3, 4) in misses
    ratio_misses = {m["answer"] for m in numeric["flash_attention.hbm-ratio"]["misconceptions"]}
    assert 4 * (sram // 2) / d**2 in ratio_misses and (sram // 2) / d**2 in ratio_misses
    assert round(1024 * 1024 * 4 * 2 / 2**20, 1) in {
        m["answer"] for m in numeric["flash_attention.hbm-standard"]["misconceptions"]
    }
