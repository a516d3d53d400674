"""Checks for the softmax cross-entropy exercises: a stable log-softmax, and the loss with its gradient.

The trusted references are PyTorch's ``torch.log_softmax`` and
``torch.nn.functional.cross_entropy`` in float64, with the gradient from ``torch.autograd``,
and values worked by hand. ``tests/concepts/test_softmax_cross_entropy.py`` runs the same
checks on ``concepts.softmax_cross_entropy``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS", "torch_cross_entropy"]


def _torch_log_softmax(x, axis: int) -> np.ndarray:
    torch = require_torch()
    return torch.log_softmax(torch.from_numpy(np.asarray(x, dtype=np.float64)), dim=axis).numpy()


def torch_cross_entropy(logits, target, *, ignore_index: int = -100, label_smoothing: float = 0.0):
    """``F.cross_entropy`` (mean) in float64 and its gradient by autograd: ``(loss, grad)`` as NumPy."""
    torch = require_torch()
    z = torch.tensor(np.asarray(logits, dtype=np.float64), requires_grad=True)
    t = torch.as_tensor(np.asarray(target, dtype=np.int64))
    loss = torch.nn.functional.cross_entropy(z, t, ignore_index=ignore_index, label_smoothing=label_smoothing)
    (grad,) = torch.autograd.grad(loss, z)
    return float(loss.detach()), grad.numpy()


# ---------------------------------------------------------------- softmax_cross_entropy.log-softmax


@check("values equal torch.log_softmax along the requested axis (lists accepted)", section="sce-log-softmax")
def check_log_softmax_values(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    cases = [([1.0, 2.0, 3.0], -1), ([[0.5, -1.0, 2.0], [3.0, 3.0, 0.0]], -1), ([[0.5, -1.0, 2.0], [3.0, 3.0, 0.0]], 0)]
    cases.append((rng.standard_normal((2, 3, 4)).tolist(), 1))
    for x, axis in cases:
        got = candidate(x, axis=axis) if axis != -1 else candidate(x)
        want = _torch_log_softmax(x, axis)
        compare(got, want, inputs={"x": np.array(x), "axis": axis}, rtol=1e-10, atol=1e-12)


@check("logits of 1000 neither overflow nor give NaN", section="sce-log-sum-exp")
def check_log_softmax_large_logits(candidate: Callable) -> None:
    for x in ([1000.0, 1001.0], [[800.0, 0.0, -1000.0], [710.0, 0.0, 709.0]]):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            got = candidate(x)
        compare(got, _torch_log_softmax(x, -1), inputs={"x": np.array(x)}, rtol=1e-12, atol=1e-12)


@check("a probability too small for float64 still gets its exact log, not -inf", section="sce-log-softmax")
def check_log_softmax_tiny_probabilities(candidate: Callable) -> None:
    """softmax([0, -1000]) = (1, e^-1000), and e^-1000 rounds to 0 in float64; its log is -1000."""
    for x in ([0.0, -1000.0], [[0.0, -800.0, -745.0], [3.0, 3.0, -1e4]]):
        with np.errstate(divide="ignore", under="ignore"):
            got = candidate(x)
        compare(got, _torch_log_softmax(x, -1), inputs={"x": np.array(x)}, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- softmax_cross_entropy.cross-entropy


def _call(candidate: Callable, z, t, **kwargs):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = candidate(z, t, **kwargs)
    expect(isinstance(out, tuple | list) and len(out) == 2, f"return (loss, grad); got {type(out).__name__}")
    return out


@check("a three-class example worked by hand, without and with smoothing", section="sce-gradient")
def check_hand_worked_example(candidate: Callable) -> None:
    """p = (1/4, 1/4, 1/2), target 2. Plain: loss ln 2, grad p - y = (1/4, 1/4, -1/2).
    eps = 0.3 spreads 0.1 onto each of the 3 classes: q = (0.1, 0.1, 0.8), loss
    -(0.2 ln 1/4 + 0.8 ln 1/2) = 1.2 ln 2, grad p - q = (0.15, 0.15, -0.3)."""
    z = np.log([[1.0, 1.0, 2.0]])
    loss, grad = _call(candidate, z, np.array([2]))
    compare((loss, grad), (math.log(2), np.array([[0.25, 0.25, -0.5]])), inputs={"logits": z, "target": [2]})
    loss, grad = _call(candidate, z, np.array([2]), label_smoothing=0.3)
    inputs = {"logits": z, "target": [2], "label_smoothing": 0.3}
    compare((loss, grad), (1.2 * math.log(2), np.array([[0.15, 0.15, -0.3]])), inputs=inputs, rtol=1e-10, atol=1e-12)


@check("loss equals F.cross_entropy and the gradient autograd's, on random batches", section="sce-gradient")
def check_gradient_matches_autograd(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    for batch, C in ((1, 1), (1, 2), (4, 3), (16, 10)):
        z, t = 3 * rng.standard_normal((batch, C)), rng.integers(0, C, batch)
        got = _call(candidate, z, t)
        compare(got, torch_cross_entropy(z, t), inputs={"logits": z, "target": t}, rtol=1e-10, atol=1e-12)


@check("label smoothing as PyTorch defines it: eps / C on every class, the target too", section="sce-label-smoothing")
def check_label_smoothing(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    for C, eps in ((2, 0.1), (5, 0.1), (5, 0.5), (3, 1.0)):
        z, t = rng.standard_normal((4, C)), rng.integers(0, C, 4)
        got = _call(candidate, z, t, label_smoothing=eps)
        want = torch_cross_entropy(z, t, label_smoothing=eps)
        compare(got, want, inputs={"logits": z, "target": t, "label_smoothing": eps}, rtol=1e-10, atol=1e-12)


@check("ignored targets add nothing and leave the mean's denominator", section="sce-ignore-index")
def check_ignore_index(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    cases = [
        ([1, -100], -100, 0.0),
        ([0, -100, 2, -100, -100], -100, 0.0),
        ([0, 3, 2, 3], 3, 0.0),
        ([2, -100, 1], -100, 0.2),
    ]
    for t, ignore_index, eps in cases:
        t = np.array(t)
        z = rng.standard_normal((len(t), 4))
        got = _call(candidate, z, t, ignore_index=ignore_index, label_smoothing=eps)
        want = torch_cross_entropy(z, t, ignore_index=ignore_index, label_smoothing=eps)
        inputs = {"logits": z, "target": t, "ignore_index": ignore_index, "label_smoothing": eps}
        compare(got, want, inputs=inputs, rtol=1e-10, atol=1e-12)


@check("logits of order 1000 give a finite loss and gradient", section="sce-log-sum-exp")
def check_large_logits(candidate: Callable) -> None:
    z = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1001.0, 999.0]])
    for eps in (0.0, 0.1):
        got = _call(candidate, z, np.array([1, 0]), label_smoothing=eps)
        want = torch_cross_entropy(z, [1, 0], label_smoothing=eps)
        compare(got, want, inputs={"logits": z, "target": [1, 0], "label_smoothing": eps}, rtol=1e-12, atol=1e-12)


CHECKS: dict[str, list] = {
    "softmax_cross_entropy.log-softmax": [
        check_log_softmax_values,
        check_log_softmax_large_logits,
        check_log_softmax_tiny_probabilities,
    ],
    "softmax_cross_entropy.cross-entropy": [
        check_hand_worked_example,
        check_gradient_matches_autograd,
        check_label_smoothing,
        check_ignore_index,
        check_large_logits,
    ],
}
