"""Log-sum-exp, log-softmax and cross-entropy against PyTorch in float64, plus every claim of the page.

The references are ``torch.logsumexp``, ``scipy.special.logsumexp``, ``torch.log_softmax``
and ``torch.nn.functional.cross_entropy`` (torch 2.13), with gradients from
``torch.autograd``. The exercise checks in ``concepts.exercises.softmax_cross_entropy`` take
any candidate; here they run on ours.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import torch
import torch.nn.functional as F
from support import check_numeric_keys

from concepts.exercises._harness import run_checks
from concepts.exercises.softmax_cross_entropy import CHECKS
from concepts.softmax_cross_entropy import (
    bits_per_token,
    cross_entropy,
    cross_entropy_grad,
    cross_entropy_torch,
    cross_entropy_with_grad,
    log_softmax,
    log_sum_exp,
    perplexity,
)

TIGHT = {"rtol": 1e-12, "atol": 1e-12}


def torch_reference(z, t, *, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """F.cross_entropy in float64 on NumPy inputs with the class axis last, and autograd's gradient.

    For ``"none"`` the gradient is that of the sum, so each row is its own loss's gradient.
    """
    zt = torch.tensor(z, requires_grad=True)
    flat = zt.reshape(-1, z.shape[-1])
    w = None if weight is None else torch.from_numpy(weight)
    loss = F.cross_entropy(
        flat,
        torch.from_numpy(t).reshape(-1),
        weight=w,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )
    (grad,) = torch.autograd.grad(loss.sum(), zt)
    loss = loss.detach().numpy()
    return (loss.reshape(t.shape) if reduction == "none" else float(loss)), grad.numpy()


def make_case(shape: tuple[int, ...], num_classes: int, *, ignored: bool, weighted: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    z = 3 * rng.standard_normal((*shape, num_classes))
    t = rng.integers(0, num_classes, shape)
    if ignored and t.size > 1:
        t.ravel()[::3] = -100  # every third target is padding
    w = rng.uniform(0.2, 2.0, num_classes) if weighted else None
    return z, t, w


# ---------------------------------------------------------------- log-sum-exp and log-softmax


@pytest.mark.parametrize("shape, axis", [((1,), -1), ((5,), 0), ((3, 7), -1), ((3, 7), 0), ((4, 6, 2), 1)])
def test_log_sum_exp_and_log_softmax_match_torch_and_scipy(shape, axis) -> None:
    x = 30 * np.random.default_rng(1).standard_normal(shape)
    want = torch.logsumexp(torch.from_numpy(x), dim=axis).numpy()
    np.testing.assert_allclose(log_sum_exp(x, axis=axis), want, **TIGHT)
    np.testing.assert_allclose(log_sum_exp(x, axis=axis), scipy.special.logsumexp(x, axis=axis), **TIGHT)
    np.testing.assert_allclose(log_sum_exp(x + 1e4, axis=axis), want + 1e4, rtol=1e-14)  # no overflow
    got = log_softmax(x, axis=axis)
    np.testing.assert_allclose(got, torch.log_softmax(torch.from_numpy(x), dim=axis).numpy(), **TIGHT)
    np.testing.assert_allclose(np.exp(got).sum(axis), 1.0, rtol=1e-13)
    np.testing.assert_allclose(log_softmax(x + 1e4, axis=axis), got, atol=1e-9)  # shift invariance


def test_log_sum_exp_edge_slices() -> None:
    """An all -inf slice: log of an empty sum, -inf (torch too); one +inf entry dominates."""
    x = np.array([[-np.inf, -np.inf], [np.inf, 0.0], [-np.inf, 2.0]])
    got = log_sum_exp(x)
    assert got[0] == -np.inf and got[1] == np.inf and got[2] == 2.0
    assert (torch.logsumexp(torch.from_numpy(x), -1).numpy() == got).all()
    assert log_softmax([[-np.inf, 0.0]]).tolist() == [[-np.inf, 0.0]]


def test_the_naive_forms_fail_where_the_page_says() -> None:
    """exp overflows float64 above about 709.78 and float16 above about 11.09; log(softmax) underflows."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        assert np.isinf(np.log(np.exp([1000.0, 1000.0]).sum()))
        assert np.isfinite(np.exp(709.7)) and np.isinf(np.exp(709.8))
        assert np.isfinite(np.exp(np.float16(11.08))) and np.isinf(np.exp(np.float16(11.1)))
        naive = np.log(np.exp([0.0, -1000.0]) / np.exp([0.0, -1000.0]).sum())
    assert naive[1] == -np.inf and log_softmax([0.0, -1000.0])[1] == -1000.0
    assert round(float(log_sum_exp([1000.0, 1000.0])), 3) == 1000.693


def test_softmax_is_the_attention_module_s() -> None:
    """One softmax in the package: the gradient here uses concepts.attention.softmax."""
    import concepts.attention
    import concepts.softmax_cross_entropy as sce

    assert sce.softmax is concepts.attention.softmax


# ---------------------------------------------------------------- cross-entropy against F.cross_entropy

SHAPES = [((1,), 1), ((1,), 2), ((7,), 5), ((3, 4), 6), ((2, 3, 2), 11)]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("weighted", [False, True], ids=["no-weight", "weight"])
@pytest.mark.parametrize("ignored", [False, True], ids=["all-kept", "ignored"])
@pytest.mark.parametrize("shape, num_classes", SHAPES, ids=lambda c: str(c))
def test_loss_and_gradient_match_torch(shape, num_classes, ignored, weighted, label_smoothing, reduction) -> None:
    z, t, w = make_case(shape, num_classes, ignored=ignored, weighted=weighted)
    kwargs = {"weight": w, "reduction": reduction, "label_smoothing": label_smoothing}
    want_loss, want_grad = torch_reference(z, t, **kwargs)
    np.testing.assert_allclose(cross_entropy(z, t, **kwargs), want_loss, **TIGHT)
    np.testing.assert_allclose(cross_entropy_grad(z, t, **kwargs), want_grad, **TIGHT)
    tw = None if w is None else torch.from_numpy(w)
    ours = cross_entropy_torch(torch.from_numpy(z), torch.from_numpy(t), **{**kwargs, "weight": tw})
    np.testing.assert_allclose(ours.numpy(), want_loss, **TIGHT)


@pytest.mark.parametrize("ignore_index", [0, 3, -1])
def test_any_ignore_index(ignore_index: int) -> None:
    z, t, _ = make_case((9,), 4, ignored=False, weighted=False, seed=2)
    t[[1, 4]] = ignore_index
    for eps in (0.0, 0.2):
        want = torch_reference(z, t, ignore_index=ignore_index, label_smoothing=eps)
        got = cross_entropy_with_grad(z, t, ignore_index=ignore_index, label_smoothing=eps)
        np.testing.assert_allclose(got[0], want[0], **TIGHT)
        np.testing.assert_allclose(got[1], want[1], **TIGHT)


def test_hand_worked_example() -> None:
    """Two examples, three classes. Row 1: z = log(1, 1, 2), p = (1/4, 1/4, 1/2), target 2.
    Row 2: z = (0, 0, 0), p = 1/3 each, target 0.

    Per-example losses: -log(1/2) = ln 2 and -log(1/3) = ln 3; mean (ln 2 + ln 3) / 2 = ln 6 / 2.
    Gradient of the mean: (p - y) / 2 = [(1/8, 1/8, -1/4), (-1/3, 1/6, 1/6)].
    With eps = 0.3 each class gets 0.1: row 1's q = (0.1, 0.1, 0.8), loss
    0.2 ln 4 + 0.8 ln 2 = 1.2 ln 2; row 2's q = (0.8, 0.1, 0.1), loss ln 3 (p is uniform).
    Class weights w = (2, 1, 1), no smoothing: losses 1 * ln 2 and 2 * ln 3, and the mean
    divides by the target weights 1 + 2 = 3: (ln 2 + 2 ln 3) / 3 = ln 18 / 3.
    """
    z = np.array([np.log([1.0, 1.0, 2.0]), [0.0, 0.0, 0.0]])
    t = np.array([2, 0])
    np.testing.assert_allclose(cross_entropy(z, t, reduction="none"), [math.log(2), math.log(3)], **TIGHT)
    np.testing.assert_allclose(cross_entropy(z, t), math.log(6) / 2, **TIGHT)
    np.testing.assert_allclose(cross_entropy_grad(z, t), [[1 / 8, 1 / 8, -1 / 4], [-1 / 3, 1 / 6, 1 / 6]], **TIGHT)
    smoothed = cross_entropy(z, t, reduction="none", label_smoothing=0.3)
    np.testing.assert_allclose(smoothed, [1.2 * math.log(2), math.log(3)], **TIGHT)
    np.testing.assert_allclose(cross_entropy(z, t, weight=[2.0, 1.0, 1.0]), math.log(18) / 3, **TIGHT)


# ---------------------------------------------------------------- the conventions, pinned


def test_smoothing_spreads_over_all_c_classes_not_c_minus_1() -> None:
    """PyTorch: q = (1 - eps) onehot + eps / C. The fairseq-style eps / (C - 1) gives another loss."""
    z, t, _ = make_case((6,), 4, ignored=False, weighted=False, seed=3)
    eps, C = 0.2, 4
    log_p = log_softmax(z)
    onehot = np.eye(C)[t]
    over_c = -((1 - eps) * onehot + eps / C) * log_p
    over_c_minus_1 = -((1 - eps) * onehot + eps / (C - 1) * (1 - onehot)) * log_p
    want = float(F.cross_entropy(torch.from_numpy(z), torch.from_numpy(t), label_smoothing=eps))
    assert abs(over_c.sum(-1).mean() - want) < 1e-12
    assert abs(over_c_minus_1.sum(-1).mean() - want) > 1e-3
    assert abs(cross_entropy(z, t, label_smoothing=eps) - want) < 1e-12


def test_ignored_targets_leave_the_denominator() -> None:
    z, t, _ = make_case((8,), 5, ignored=True, weighted=False, seed=4)
    per = cross_entropy(z, t, reduction="none")
    kept = t != -100
    assert (per[~kept] == 0).all() and kept.sum() < t.size
    want = torch_reference(z, t)[0]
    assert abs(per.sum() / kept.sum() - want) < 1e-12
    assert abs(per.sum() / t.size - want) > 1e-2
    assert abs(cross_entropy(z, t) - want) < 1e-12


def test_weighted_mean_divides_by_the_target_weights() -> None:
    z, t, w = make_case((8,), 5, ignored=True, weighted=True, seed=5)
    per = cross_entropy(z, t, weight=w, reduction="none")
    kept = t != -100
    want = torch_reference(z, t, weight=w)[0]
    assert abs(per.sum() / w[t[kept]].sum() - want) < 1e-12
    assert abs(per.sum() / kept.sum() - want) > 1e-2


def test_weight_with_smoothing_is_pytorch_s_definition() -> None:
    """With weight and label_smoothing, PyTorch (LossNLL.cpp, cross_entropy_loss_label_smoothing)
    computes per example ``(1 - eps) w_t (-log p_t) + (eps / C) sum_c w_c (-log p_c)``: the
    smoothing term weighs each class by its own weight, not by the target's. The mean divides
    both terms by the sum of w_t over the kept targets. Two plausible alternatives differ."""
    z, t, w = make_case((10,), 4, ignored=True, weighted=True, seed=6)
    eps, C = 0.3, 4
    kept = t != -100
    log_p = log_softmax(z)[kept]
    tk = t[kept]
    nll = -log_p[np.arange(tk.size), tk]
    want = torch_reference(z, t, weight=w, label_smoothing=eps)[0]
    definition = ((1 - eps) * w[tk] * nll + eps / C * -(w * log_p).sum(-1)).sum() / w[tk].sum()
    target_weight_only = (w[tk] * ((1 - eps) * nll + eps / C * -log_p.sum(-1))).sum() / w[tk].sum()
    smoothing_by_count = ((1 - eps) * w[tk] * nll).sum() / w[tk].sum() + eps / C * -(w * log_p).sum() / tk.size
    assert abs(definition - want) < 1e-12
    assert abs(target_weight_only - want) > 1e-3 and abs(smoothing_by_count - want) > 1e-3
    assert abs(cross_entropy(z, t, weight=w, label_smoothing=eps) - want) < 1e-12


def test_probability_targets_with_weight_divide_by_the_batch() -> None:
    """A pitfall the page names: with probability targets (not indices), "mean" divides by the
    batch size even when weights are given, unlike index targets, which divide by sum w_t."""
    rng = np.random.default_rng(7)
    z, w = torch.from_numpy(rng.standard_normal((5, 4))), torch.from_numpy(rng.uniform(0.2, 2.0, 4))
    q = torch.softmax(torch.from_numpy(rng.standard_normal((5, 4))), -1)
    per = -(q * w * z.log_softmax(-1)).sum(-1)
    assert torch.isclose(F.cross_entropy(z, q, weight=w), per.mean(), rtol=1e-12, atol=0)
    onehot_t = torch.tensor([0, 1, 2, 3, 0])
    onehot = F.one_hot(onehot_t, 4).double()
    by_index, by_prob = F.cross_entropy(z, onehot_t, weight=w), F.cross_entropy(z, onehot, weight=w)
    assert abs(float(by_index - by_prob)) > 1e-2  # the same targets, two denominators
    assert abs(float(by_prob * 5 / w[onehot_t].sum() - by_index)) < 1e-12


def test_everything_ignored_gives_nan_like_torch() -> None:
    z = np.zeros((2, 3))
    t = np.array([-100, -100])
    assert math.isnan(cross_entropy(z, t)) and math.isnan(torch_reference(z, t)[0])
    assert cross_entropy(z, t, reduction="sum") == 0.0
    assert np.isnan(cross_entropy_grad(z, t)).all()


def test_a_minus_inf_logit_is_fine_until_smoothing_touches_it() -> None:
    """A masked vocabulary entry (logit -inf) has p = 0: plain NLL ignores it, but smoothing puts
    eps / C of target mass on it and -log 0 = inf makes the loss infinite, in torch too."""
    z = np.array([[0.0, 1.0, -np.inf]])
    t = np.array([1])
    for eps in (0.0, 0.1):
        want = torch_reference(z, t, label_smoothing=eps)[0]
        got = cross_entropy(z, t, label_smoothing=eps)
        assert got == want if eps else abs(got - want) < 1e-12
    assert cross_entropy(z, t, label_smoothing=0.1) == np.inf
    assert np.isfinite(cross_entropy_grad(z, t)).all()


def test_large_logits() -> None:
    z = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1001.0, 999.0]])
    t = np.array([1, 0])
    for eps in (0.0, 0.1):
        want_loss, want_grad = torch_reference(z, t, label_smoothing=eps)
        np.testing.assert_allclose(cross_entropy(z, t, label_smoothing=eps), want_loss, **TIGHT)
        np.testing.assert_allclose(cross_entropy_grad(z, t, label_smoothing=eps), want_grad, **TIGHT)


# ---------------------------------------------------------------- the PyTorch mirror in low precision


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.bfloat16, 3e-2), (torch.float16, 5e-3)], ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_torch_mirror_in_low_precision(dtype, tol, reduction) -> None:
    z, t, w = make_case((4, 6), 10, ignored=True, weighted=True, seed=8)
    zt, tt, wt = torch.from_numpy(z).to(dtype), torch.from_numpy(t).reshape(-1), torch.from_numpy(w).to(dtype)
    kwargs = {"weight": wt, "reduction": reduction, "label_smoothing": 0.1}
    ours = cross_entropy_torch(zt.reshape(-1, 10), tt, **kwargs)
    want = F.cross_entropy(zt.reshape(-1, 10), tt, **kwargs)
    assert ours.dtype == want.dtype == dtype
    torch.testing.assert_close(ours, want, rtol=tol, atol=tol)


def test_a_bfloat16_loss_near_11_is_rounded_to_sixteenths() -> None:
    """bfloat16 keeps 8 significant bits, so between 8 and 16 its numbers are 2**(3 - 7) = 1/16 apart:
    F.cross_entropy on bfloat16 logits returns a bfloat16 loss on that grid, here 0.028 nats off the
    float32 loss of the same logits (more than the gap between two good runs)."""
    assert torch.finfo(torch.bfloat16).eps * 8 == 1 / 16
    torch.manual_seed(0)
    z, t = torch.randn(64, 50_257), torch.randint(0, 50_257, (64,))
    per = F.cross_entropy(z.bfloat16(), t, reduction="none")
    assert per.dtype == torch.bfloat16 and ((per.float() * 16) % 1 == 0).all()
    gap = abs(float(F.cross_entropy(z.bfloat16(), t)) - float(F.cross_entropy(z, t)))
    assert round(gap, 3) == 0.028 and gap <= 1 / 32 + 1e-3
    assert abs(float(F.cross_entropy(z.bfloat16().float(), t)) - float(F.cross_entropy(z, t))) < 1e-3  # upcast


def test_torch_mirror_gradient_equals_autograd_of_f_cross_entropy() -> None:
    z, t, w = make_case((12,), 7, ignored=True, weighted=True, seed=9)
    kwargs = {"weight": torch.from_numpy(w), "label_smoothing": 0.2}
    grads = []
    for fn in (cross_entropy_torch, F.cross_entropy):
        zt = torch.tensor(z, requires_grad=True)
        fn(zt, torch.from_numpy(t), **kwargs).backward()
        grads.append(zt.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-12, atol=1e-14)


def test_sequence_logits_need_the_class_axis_at_dim_1_in_torch() -> None:
    """(batch, seq_len, vocab_size) logits: ours take the class axis last; F.cross_entropy wants
    (batch, vocab_size, seq_len), so pass logits.transpose(1, 2) or flatten both."""
    z, t, _ = make_case((2, 5), 7, ignored=True, weighted=False, seed=10)
    zt, tt = torch.from_numpy(z), torch.from_numpy(t)
    want = float(F.cross_entropy(zt.transpose(1, 2), tt))
    assert abs(float(F.cross_entropy(zt.reshape(-1, 7), tt.reshape(-1))) - want) < 1e-12
    assert abs(cross_entropy(z, t) - want) < 1e-12
    with pytest.raises(RuntimeError):
        F.cross_entropy(zt, tt)  # (2, 5, 7) read as 5 classes over a length-7 axis: shapes clash


def test_gradient_rows_sum_to_zero_and_stay_in_the_unit_interval() -> None:
    z, t, w = make_case((20,), 6, ignored=True, weighted=True, seed=12)
    for weight in (None, w):
        g = cross_entropy_grad(z, t, weight=weight, label_smoothing=0.1, reduction="none")
        np.testing.assert_allclose(g.sum(-1), 0.0, atol=1e-14)
    g = cross_entropy_grad(100 * z, t, reduction="none")
    assert (np.abs(g) <= 1).all() and np.abs(g).max() > 0.99  # a confident wrong row is near the bound


def test_float16_log_of_softmax_underflows_past_a_gap_of_about_17() -> None:
    """The smallest float16 is 2**-24 (about 6e-8); a probability below half of it, e**-gap with
    gap > 25 ln 2 = 17.33, rounds to 0 and its log is -inf. Just before, it is already coarse."""
    assert abs(25 * math.log(2) - 17.33) < 5e-3
    for gap, finite in ((17.0, True), (17.3, True), (17.4, False)):
        x = torch.tensor([0.0, -gap], dtype=torch.float16)
        assert bool(torch.log(torch.softmax(x, -1))[1].isfinite()) == finite
        assert torch.log_softmax(x, -1)[1] == x[1]
    x = torch.tensor([0.0, -17.0], dtype=torch.float16)
    assert abs(float(torch.log(torch.softmax(x, -1))[1]) + 17) > 0.3  # rounded to 2**-24: log = -16.64


def test_averaging_micro_batch_means_is_not_the_token_mean() -> None:
    """Two micro-batches with 2 and 6 kept tokens: the mean of their means weighs each token of the
    small one three times as much; summing and dividing once by 8 gives F.cross_entropy's answer."""
    z, t, _ = make_case((8,), 5, ignored=False, weighted=False, seed=13)
    first, second = cross_entropy(z[:2], t[:2]), cross_entropy(z[2:], t[2:])
    whole = cross_entropy(z, t)
    assert abs((first + second) / 2 - whole) > 1e-2
    summed = cross_entropy(z[:2], t[:2], reduction="sum") + cross_entropy(z[2:], t[2:], reduction="sum")
    assert abs(summed / 8 - whole) < 1e-12


def test_logits_memory_on_the_page() -> None:
    """8 sequences of 2048 tokens against Llama 3's 128,256-token vocabulary, in float32."""
    n = 8 * 2048 * 128_256
    assert round(n / 1e9, 1) == 2.1
    assert round(n * np.dtype(np.float32).itemsize / 2**30, 2) == 7.83


# ---------------------------------------------------------------- perplexity and the optimal logits


def test_perplexity_and_bits() -> None:
    z, t, _ = make_case((50,), 20, ignored=True, weighted=False, seed=11)
    nll = cross_entropy(z, t)
    kept = t != -100
    ppl = perplexity(nll)
    assert abs(ppl - math.exp(float(F.cross_entropy(torch.from_numpy(z), torch.from_numpy(t))))) < 1e-9
    assert abs(math.log(ppl) - (-log_softmax(z)[kept, t[kept]]).mean()) < 1e-12  # exp of the mean, per token
    assert abs(perplexity(bits_per_token(nll), base=2.0) - ppl) < 1e-9
    assert abs(2 ** bits_per_token(nll) - ppl) < 1e-9
    # a uniform model over V tokens: loss ln V, perplexity V, log2 V bits
    V = 50_257
    uniform = cross_entropy(np.zeros((3, V)), [0, 17, V - 1])
    assert abs(uniform - math.log(V)) < 1e-12 and abs(perplexity(uniform) - V) < 1e-6
    assert abs(bits_per_token(uniform) - math.log2(V)) < 1e-12


def optimal_margin(num_classes: int, eps: float) -> float:
    """The target-minus-other logit gap at which the smoothed loss stops falling, found by bisection
    on the package's gradient (target logit m, every other logit 0)."""
    lo, hi = 0.0, 50.0
    for _ in range(200):
        mid = (lo + hi) / 2
        z = np.zeros((1, num_classes))
        z[0, 0] = mid
        g = cross_entropy_grad(z, [0], label_smoothing=eps)[0, 0]
        lo, hi = (mid, hi) if g < 0 else (lo, mid)
    return (lo + hi) / 2


@pytest.mark.parametrize("num_classes, eps", [(10, 0.1), (2, 0.1), (1000, 0.1), (10, 0.3)])
def test_smoothing_caps_the_optimal_margin(num_classes: int, eps: float) -> None:
    """The minimiser of H(q, p) is p = q: margin log(q_target / q_other) = log(1 + (1 - eps) C / eps)."""
    want = math.log(1 + (1 - eps) * num_classes / eps)
    assert abs(optimal_margin(num_classes, eps) - want) < 1e-9
    z = torch.zeros(1, num_classes, dtype=torch.float64)
    z[0, 0] = want
    z.requires_grad_()
    F.cross_entropy(z, torch.tensor([0]), label_smoothing=eps).backward()
    assert z.grad.abs().max() < 1e-12  # autograd agrees: the gradient vanishes there


def test_without_smoothing_the_gradient_never_vanishes() -> None:
    """Plain cross-entropy keeps pushing: the target's gradient is p_t - 1 < 0 at every finite margin."""
    for m in (1.0, 5.0, 20.0):
        z = np.array([[m] + [0.0] * 9])
        assert cross_entropy_grad(z, [0])[0, 0] < 0
        assert cross_entropy(z, [0]) > 0


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((np.float64(1.0), 0), {}, ValueError, r"logits must have shape \(\.\.\., num_classes\)"),
        ((np.zeros((2, 3)), [0]), {}, ValueError, r"target must have shape \(2,\) .*got \(1,\)"),
        ((np.zeros((2, 3)), [0.0, 1.0]), {}, TypeError, r"target must hold integer class indices; got dtype float64"),
        ((np.zeros((2, 3)), [0, 3]), {}, ValueError, r"target must lie in \[0, 3\) or equal ignore_index=-100; got 3"),
        ((np.zeros((2, 3)), [0, 1]), {"weight": [1.0, 2.0]}, ValueError, r"weight must have shape \(3,\)"),
        ((np.zeros((2, 3)), [0, 1]), {"reduction": "avg"}, ValueError, r"reduction must be one of"),
        ((np.zeros((2, 3)), [0, 1]), {"label_smoothing": 1.5}, ValueError, r"label_smoothing must lie in \[0, 1\]"),
    ],
)
def test_bad_input_raises(args, kwargs, error, message) -> None:
    for fn in (cross_entropy, cross_entropy_grad):
        with pytest.raises(error, match=message):
            fn(*args, **kwargs)


def test_numpy_and_torch_refuse_each_other() -> None:
    with pytest.raises(TypeError, match=r"logits must be a torch\.Tensor; got a NumPy array"):
        cross_entropy_torch(np.zeros((2, 3)), torch.tensor([0, 1]))
    with pytest.raises(TypeError, match=r"logits must be a NumPy array or array-like; got a torch\.Tensor"):
        cross_entropy(torch.zeros(2, 3), [0, 1])
    with pytest.raises(ValueError, match=r"x must have a non-empty axis -1"):
        log_sum_exp(np.zeros((2, 0)))
    with pytest.raises(ValueError, match=r"base must be greater than 1"):
        perplexity(1.0, base=1.0)


# ---------------------------------------------------------------- the exercises


@pytest.mark.parametrize(
    "exercise, fn",
    [
        ("softmax_cross_entropy.log-softmax", log_softmax),
        ("softmax_cross_entropy.cross-entropy", cross_entropy_with_grad),
    ],
)
def test_the_exercise_checks_pass_on_ours(exercise, fn) -> None:
    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], fn) if not r.passed]
    assert not failed, failed


# ---------------------------------------------------------------- the bank's numeric answers


# per-token losses ln 2, ln(4/3), (ignored), ln 2, as the bank's mean-with-ignored states them
LOGITS_WITH_IGNORED = np.log([[1.0, 1.0], [1.0, 3.0], [1.0, 1.0], [1.0, 1.0]])
TARGETS_WITH_IGNORED = np.array([0, 1, -100, 1])


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed from the package rather than copied."""
    p = np.array([0.7, 0.2, 0.1])
    weighted = cross_entropy(np.zeros((2, 2)), [0, 1], weight=[1.0, 3.0])
    return {
        "softmax_cross_entropy.init-loss": cross_entropy(np.zeros((1, 50_257)), [0]),
        "softmax_cross_entropy.ppl-from-loss": perplexity(2.0),
        "softmax_cross_entropy.bits-from-loss": bits_per_token(2.0),
        # at uniform logits p = 1/4, so q = p - grad
        "softmax_cross_entropy.smoothed-target-mass": float(
            0.25 - cross_entropy_grad(np.zeros((1, 4)), [2], label_smoothing=0.1, reduction="sum")[0, 2]
        ),
        "softmax_cross_entropy.optimal-margin": optimal_margin(10, 0.1),
        "softmax_cross_entropy.grad-target-logit": float(cross_entropy_grad(np.log([p]), [0])[0, 0]),
        "softmax_cross_entropy.lse-1000": float(log_sum_exp([1000.0, 1000.0])),
        "softmax_cross_entropy.mean-with-ignored": cross_entropy(LOGITS_WITH_IGNORED, TARGETS_WITH_IGNORED),
        "softmax_cross_entropy.logits-memory": 8 * 2048 * 128_256 * np.dtype(np.float32).itemsize / 2**30,
        "softmax_cross_entropy.weighted-mean": weighted,
    }


def test_smoothed_target_mass_is_what_the_gradient_shows() -> None:
    """At uniform logits p = 1/4, so the gradient p - q gives q back: q_target = 1/4 - grad."""
    g = cross_entropy_grad(np.zeros((1, 4)), [2], label_smoothing=0.1, reduction="sum")
    np.testing.assert_allclose(0.25 - g[0], [0.025, 0.025, 0.925, 0.025], **TIGHT)


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys("softmax_cross_entropy", computed_answers(), lambda q, v: 10 ** -(q["decimals"] + 1) * 5)


def test_the_bank_s_misconceptions_are_the_mistakes_they_name() -> None:
    """Each wrong answer the bank explains is what the named mistake computes."""
    per = cross_entropy(LOGITS_WITH_IGNORED, TARGETS_WITH_IGNORED, reduction="none")
    np.testing.assert_allclose(per, [math.log(2), math.log(4 / 3), 0.0, math.log(2)], **TIGHT)
    assert round(per.sum() / 4, 3) == 0.418  # ignored target counted in the mean
    assert round(math.log(0.9 / (0.1 / 9)), 2) == 4.39  # the optimum under the C - 1 convention
    assert round(math.log2(50_257), 2) == 15.62 and round(2 * math.log(2), 2) == 1.39
    assert round(8 * 2048 * 128_256 * 2 / 2**30, 2) == 3.91 and round(8 * 2048 * 128_256 * 4 / 1e9, 2) == 8.41
    assert round(cross_entropy(np.zeros((2, 2)), [0, 1], weight=[1.0, 3.0], reduction="sum") / 2, 3) == 1.386


# ---------------------------------------------------------------- the page's code excerpts
