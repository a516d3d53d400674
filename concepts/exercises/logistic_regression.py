"""Checks for the logistic-regression exercises: the regularised loss and gradient, and a Newton (IRLS) fit.

The trusted references are PyTorch's ``binary_cross_entropy_with_logits`` and autograd in
float64 for the loss and gradient, values worked by hand at scores of ±1000, and, for the
fit, the optimality conditions of the strictly convex objective: at the minimiser every
entry of the gradient (computed here with ``np.logaddexp``, not with the package) is zero,
and the unpenalised intercept makes the mean predicted probability equal the base rate.
``tests/concepts/test_logistic_regression.py`` runs the same checks on
``concepts.logistic_regression``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import CheckFailed, check, compare, expect

__all__ = ["CHECKS"]

SHAPES = [(1, 1), (3, 2), (10, 4), (40, 3)]  # (n_samples, n_features), smallest first


def _problem(n: int, d: int, seed: int, *, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Rows with labels drawn from a logistic model; both classes present when n >= 2."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w_true = scale * rng.standard_normal(d)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w_true - 0.3)))).astype(np.float64)
    if n >= 2:
        y[:2] = [0.0, 1.0]
    return X, y


def _torch_loss_grad(w, b, X, y, l2) -> tuple[float, np.ndarray, float]:
    """Mean BCE-with-logits + l2/2 ||w||² and its autograd gradient, in float64."""
    torch = require_torch()
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    z = torch.from_numpy(X) @ wt + bt
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.from_numpy(y)) + 0.5 * l2 * (wt @ wt)
    loss.backward()
    return float(loss.detach()), wt.grad.numpy(), float(bt.grad)


def _unpack(got) -> tuple[float, np.ndarray, float]:
    expect(isinstance(got, tuple) and len(got) == 3, "return a tuple (loss, grad_w, grad_b)")
    return got


# ---------------------------------------------------------------- logistic_regression.loss-grad


@check("loss, grad_w and grad_b equal torch autograd of BCE-with-logits (mean) + l2/2 ||w||²", section="logreg-loss")
def check_gradient_matches_autograd(candidate: Callable) -> None:
    for i, (n, d) in enumerate(SHAPES):
        X, y = _problem(n, d, seed=i)
        rng = np.random.default_rng(100 + i)
        w, b = rng.standard_normal(d), float(rng.standard_normal())
        for l2 in (0.0, 0.3):
            loss, gw, gb = _unpack(candidate(w, b, X, y, l2=l2))
            want = _torch_loss_grad(w, b, X, y, l2)
            inputs = {"w": w, "b": b, "X": X, "y": y, "l2": l2}
            compare(loss, want[0], inputs=inputs, what="the loss", rtol=1e-10, atol=1e-12)
            compare(gw, want[1], inputs=inputs, what="grad_w", rtol=1e-9, atol=1e-12)
            compare(gb, want[2], inputs=inputs, what="grad_b", rtol=1e-9, atol=1e-12)


@check("the intercept is not penalised: grad_b = mean(sigmoid(z) - y) whatever l2 is", section="logreg-l2")
def check_intercept_not_penalised(candidate: Callable) -> None:
    X = np.array([[1.0], [-1.0]])
    y = np.array([1.0, 0.0])
    w, b = np.array([0.0]), 2.0  # z = (2, 2): p = sigmoid(2) on both rows
    p = 1 / (1 + np.exp(-2.0))
    for l2 in (0.0, 10.0):
        loss, _, gb = _unpack(candidate(w, b, X, y, l2=l2))
        inputs = {"w": w, "b": b, "X": X, "y": y, "l2": l2}
        compare(gb, ((p - 1) + p) / 2, inputs=inputs, what="grad_b", rtol=1e-10, atol=1e-12)
        want_loss = (np.log1p(np.exp(-2.0)) + np.log1p(np.exp(2.0))) / 2  # w = 0: the penalty is 0
        compare(loss, want_loss, inputs=inputs, what="the loss (w = 0, so no penalty at all)", rtol=1e-10)


@check("scores of ±1000 give finite, exact values (log-sigmoid computed stably)", section="logreg-sigmoid")
def check_large_scores(candidate: Callable) -> None:
    X = np.array([[-1000.0], [1000.0]])
    w, b = np.array([1.0]), 0.0
    inputs = {"w": w, "b": b, "X": X}
    # Both rows confidently wrong: z = -1000 with y = 1 and z = 1000 with y = 0; each loses 1000.
    loss, gw, gb = _unpack(candidate(w, b, X, np.array([1.0, 0.0]), l2=0.0))
    compare(loss, 1000.0, inputs={**inputs, "y": [1, 0]}, what="the loss", rtol=1e-12)
    compare(
        gw, [1000.0], inputs={**inputs, "y": [1, 0]}, what="grad_w: ((0 - 1)(-1000) + (1 - 0)(1000)) / 2", rtol=1e-12
    )
    compare(gb, 0.0, inputs={**inputs, "y": [1, 0]}, what="grad_b", atol=1e-12)
    # Both rows confidently right: the loss is e^-1000, which is 0 in float64.
    loss, gw, gb = _unpack(candidate(w, b, X, np.array([0.0, 1.0]), l2=0.0))
    compare(loss, 0.0, inputs={**inputs, "y": [0, 1]}, what="the loss", atol=1e-300)
    compare(gw, [0.0], inputs={**inputs, "y": [0, 1]}, what="grad_w", atol=1e-300)


# ---------------------------------------------------------------- logistic_regression.newton


def _grad(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """The gradient of mean cross-entropy + l2/2 ||w||² in (w, b), written independently."""
    z = X @ w + b
    p = np.exp(-np.logaddexp(0.0, -z))  # sigmoid without overflow
    return np.append(X.T @ (p - y) / len(y) + l2 * w, np.mean(p - y))


def _fit(candidate: Callable, X: np.ndarray, y: np.ndarray, **kwargs) -> tuple[np.ndarray, float]:
    got = candidate(X, y, **kwargs)
    expect(isinstance(got, tuple) and len(got) == 2, "return a tuple (w, b)")
    w = np.asarray(got[0], dtype=np.float64)
    expect(w.shape == (X.shape[1],), f"w must have shape (n_features,) = ({X.shape[1]},); got {w.shape}")
    return w, float(got[1])


@check("the gradient of the regularised mean loss is zero at the returned (w, b)", section="logreg-newton")
def check_optimality(candidate: Callable) -> None:
    for i, (n, d) in enumerate(SHAPES[1:]):
        X, y = _problem(n, d, seed=20 + i)
        for l2 in (1.0, 0.1, 0.01):
            w, b = _fit(candidate, X, y, l2=l2)
            compare(_grad(w, b, X, y, l2), np.zeros(d + 1), inputs={"X": X, "y": y, "l2": l2},
                    what="the gradient [grad_w, grad_b] at your (w, b)", rtol=0, atol=1e-8)  # fmt: skip


@check("the mean predicted probability equals the share of positives (the intercept is free)", section="logreg-l2")
def check_base_rate(candidate: Callable) -> None:
    X, y = _problem(30, 2, seed=30)
    y[:] = 0.0
    y[:9] = 1.0  # base rate 0.3
    for l2 in (1.0, 10.0):
        w, b = _fit(candidate, X, y, l2=l2)
        p = np.exp(-np.logaddexp(0.0, -(X @ w + b)))
        compare(p.mean(), 0.3, inputs={"X": X, "y": y, "l2": l2}, what="mean(sigmoid(Xw + b))", rtol=0, atol=1e-8)


@check("Newton converges within 15 steps (max_iter=15) on well-separated classes", section="logreg-newton")
def check_converges_fast(candidate: Callable) -> None:
    rng = np.random.default_rng(40)
    X = np.vstack([rng.standard_normal((20, 2)) + 2.5, rng.standard_normal((20, 2)) - 2.5])
    y = np.repeat([1.0, 0.0], 20)
    l2 = 0.01
    inputs = {"X": X, "y": y, "l2": l2, "max_iter": 15}
    try:
        w, b = _fit(candidate, X, y, l2=l2, max_iter=15)
    except ValueError as exc:
        raise CheckFailed(
            f"no convergence within 15 Newton steps ({exc}); with the exact Hessian, weights p(1 - p) "
            f"included, plain Newton from zero needs 8 steps here{_describe(inputs)}"
        ) from None
    compare(_grad(w, b, X, y, l2), np.zeros(3), inputs=inputs, what="the gradient after at most 15 Newton steps",
            rtol=0, atol=1e-8)  # fmt: skip


def _describe(inputs: dict) -> str:
    return "\non the input " + ", ".join(
        f"{k} of shape {np.shape(v)}" if np.ndim(v) else f"{k} = {v}" for k, v in inputs.items()
    )


CHECKS: dict[str, list] = {
    "logistic_regression.loss-grad": [
        check_gradient_matches_autograd,
        check_intercept_not_penalised,
        check_large_scores,
    ],
    "logistic_regression.newton": [check_optimality, check_base_rate, check_converges_fast],
}
