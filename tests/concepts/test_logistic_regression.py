"""Logistic and softmax regression against scikit-learn, PyTorch autograd and finite differences, in float64.

scikit-learn (1.x, ``solver="lbfgs"``, L2) minimises ``C * sum_i loss_i + ||w||² / 2`` with the
intercept unpenalised (for three or more classes, the multinomial loss with one weight row
per class). Divided by ``C n`` that is our ``mean_i loss_i + l2/2 ||w||²`` with
``l2 = 1 / (C n)``. The convention tests fit with each plausible misreading (``C / n``,
``1 / C``, a penalised intercept) and assert that it does **not** match, so a flipped
convention in the package fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.linear_model import LogisticRegression
from support import bank_tolerance, check_numeric_keys

from concepts.logistic_regression import (
    fit_logistic_newton,
    fit_softmax_regression,
    l2_from_C,
    log_sigmoid,
    logistic_hessian,
    logistic_loss_grad,
    mse_sigmoid_loss_grad,
    predict_proba,
    sigmoid,
    softmax_loss_grad,
    softmax_predict_proba,
)

torch = pytest.importorskip("torch")


def problem(n: int, d: int, seed: int, *, num_classes: int = 2, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Features with unequal scales and labels from a noisy linear model; every class present."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d) + rng.normal(0, 1, d)
    scores = scale * X @ rng.standard_normal((d, num_classes)) + rng.gumbel(size=(n, num_classes))
    y = scores.argmax(axis=1)
    y[:num_classes] = np.arange(num_classes)
    return X, y.astype(np.float64) if num_classes == 2 else y


def sklearn_fit(X: np.ndarray, y: np.ndarray, C: float, **kwargs) -> LogisticRegression:
    return LogisticRegression(C=C, solver="lbfgs", tol=1e-14, max_iter=20_000, **kwargs).fit(X, y)


def torch_binary(w, b, X, y, l2):
    """Autograd loss, gradient and Hessian (in (w, b), intercept last) of mean BCE + l2/2 ||w||²."""
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def objective(theta):
        z = Xt @ theta[:-1] + theta[-1]
        return torch.nn.functional.binary_cross_entropy_with_logits(z, yt) + 0.5 * l2 * theta[:-1] @ theta[:-1]

    theta = torch.tensor(np.append(w, b), requires_grad=True)
    loss = objective(theta)
    (grad,) = torch.autograd.grad(loss, theta)
    hess = torch.autograd.functional.hessian(objective, theta.detach())
    return float(loss.detach()), grad.numpy(), hess.numpy()


# -- the sigmoid and its logarithm --------------------------------------------------------------


def test_sigmoid_and_log_sigmoid_equal_scipy_over_the_whole_range() -> None:
    z = np.concatenate([np.linspace(-1000, 1000, 2001), [-745.5, -709.9, -36.8, 0.0, 36.8, 709.9, 1e308, -1e308]])
    with np.errstate(over="raise", under="ignore"):  # no overflow warning anywhere
        np.testing.assert_allclose(sigmoid(z), expit(z), rtol=1e-15, atol=1e-300)  # scipy flushes subnormals
        np.testing.assert_allclose(log_sigmoid(z), log_expit(z), rtol=1e-15, atol=0)
    np.testing.assert_allclose(
        log_sigmoid(z), torch.nn.functional.logsigmoid(torch.from_numpy(z)).numpy(), rtol=1e-15, atol=1e-300
    )
    assert sigmoid(np.inf) == 1.0 and sigmoid(-np.inf) == 0.0
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=0, atol=1e-15)  # 1 - σ(z) = σ(-z)


def test_where_the_naive_forms_break() -> None:
    """Page: naive 1/(1 + e^-z) gives p = 0 and log p = -inf from about z = -710 (e^710 overflows);
    even a stable sigmoid underflows to 0 below about -745; log_sigmoid(-1000) is -1000 exactly."""
    with np.errstate(over="ignore", divide="ignore"):
        naive = 1 / (1 + np.exp(-np.array([-709.0, -710.0])))
        assert naive[0] > 0 and naive[1] == 0.0 and np.log(naive[1]) == -np.inf
        assert sigmoid(-745.0) > 0 and sigmoid(-746.0) == 0.0 and np.log(sigmoid(-746.0)) == -np.inf
    assert log_sigmoid(-1000.0) == -1000.0 and log_sigmoid(1000.0) == 0.0


def test_sigmoid_rounds_to_one_at_17_in_float32_and_37_in_float64() -> None:
    """Page: 1 / (1 + e^-z) is exactly 1 from z of about 17 in float32 and about 37 in float64."""
    for dtype, first in ((np.float32, 17), (np.float64, 37)):
        z = np.arange(1, 60, dtype=dtype)
        p = dtype(1) / (dtype(1) + np.exp(-z))
        assert p.dtype == dtype
        assert int(z[np.argmax(p == 1)]) == first, dtype
        t = torch.arange(1, 60, dtype=getattr(torch, np.dtype(dtype).name))
        assert int(t[torch.argmax((torch.sigmoid(t) == 1).int())]) == first  # torch.sigmoid saturates alike


def test_hand_worked_values() -> None:
    """sigma(0) = 1/2; sigma(2) = 1/(1 + e^-2) = 0.8808; log sigma(0) = -log 2.

    Two rows x = 1 (y = 1) and x = -1 (y = 0) with w = b = 0: p = 1/2, each row loses log 2,
    grad_w = ((1/2 - 1)(1) + (1/2 - 0)(-1)) / 2 = -1/2, grad_b = ((1/2 - 1) + 1/2) / 2 = 0,
    and the Hessian is [[x² p(1-p)] mean + l2, [x p(1-p)] mean; ..., p(1-p)] = [[1/4 + l2, 0], [0, 1/4]].
    """
    assert sigmoid(0.0) == 0.5 and round(float(sigmoid(2.0)), 4) == 0.8808
    assert log_sigmoid(0.0) == pytest.approx(-np.log(2))
    loss, gw, gb = logistic_loss_grad([0.0], 0.0, [[1.0], [-1.0]], [1, 0], l2=0.5)
    assert loss == pytest.approx(np.log(2)) and gw.tolist() == [-0.5] and gb == 0.0
    np.testing.assert_allclose(logistic_hessian([0.0], 0.0, [[1.0], [-1.0]], [1, 0], l2=0.5), [[0.75, 0], [0, 0.25]])


# -- loss, gradient and Hessian -----------------------------------------------------------------


@pytest.mark.parametrize(("n", "d"), [(1, 1), (2, 3), (7, 2), (50, 5)])
@pytest.mark.parametrize("l2", [0.0, 0.01, 1.5])
def test_loss_gradient_and_hessian_equal_autograd(n: int, d: int, l2: float) -> None:
    X, y = problem(n, d, seed=n + d) if n >= 2 else (np.array([[0.7]]), np.array([1.0]))
    rng = np.random.default_rng(n * d)
    w, b = rng.standard_normal(d), float(rng.standard_normal())
    loss, gw, gb = logistic_loss_grad(w, b, X, y, l2=l2)
    want_loss, want_grad, want_hess = torch_binary(w, b, X, y, l2)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_allclose(np.append(gw, gb), want_grad, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(logistic_hessian(w, b, X, y, l2=l2), want_hess, rtol=1e-10, atol=1e-14)


def test_gradient_and_hessian_equal_central_differences() -> None:
    X, y = problem(30, 4, seed=1)
    rng = np.random.default_rng(2)
    theta, l2, h = rng.standard_normal(5), 0.2, 1e-5

    def loss(t):
        return logistic_loss_grad(t[:-1], t[-1], X, y, l2=l2)[0]

    def grad(t):
        _, gw, gb = logistic_loss_grad(t[:-1], t[-1], X, y, l2=l2)
        return np.append(gw, gb)

    E = np.eye(5) * h
    fd_grad = np.array([(loss(theta + e) - loss(theta - e)) / (2 * h) for e in E])
    fd_hess = np.array([(grad(theta + e) - grad(theta - e)) / (2 * h) for e in E])
    np.testing.assert_allclose(grad(theta), fd_grad, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(logistic_hessian(theta[:-1], theta[-1], X, y, l2=l2), fd_hess, rtol=1e-6, atol=1e-9)


def test_hessian_is_psd_and_its_weights_are_p_times_one_minus_p() -> None:
    """X1ᵀ diag(p(1-p)) X1 / n: the weights peak at 1/4 (p = 1/2) and y never enters."""
    X, y = problem(40, 3, seed=3)
    w, b = np.array([2.0, -1.0, 0.5]), 0.3
    H = logistic_hessian(w, b, X, y, l2=0.0)
    assert np.linalg.eigvalsh(H).min() > 0
    X1 = np.column_stack([X, np.ones(40)])
    p = expit(X @ w + b)
    np.testing.assert_allclose(H, X1.T @ np.diag(p * (1 - p)) @ X1 / 40, rtol=1e-12)
    np.testing.assert_allclose(logistic_hessian(w, b, X, 1 - y, l2=0.0), H)
    assert np.max(p * (1 - p)) <= 0.25
    np.testing.assert_allclose(logistic_hessian(w, b, X, y, l2=0.3) - H, np.diag([0.3, 0.3, 0.3, 0.0]), atol=1e-15)


def test_exercise_checks_pass_on_our_implementation() -> None:
    from concepts.exercises._harness import run_checks
    from concepts.exercises.logistic_regression import CHECKS

    for exercise, impl in [
        ("logistic_regression.loss-grad", logistic_loss_grad),
        ("logistic_regression.newton", fit_logistic_newton),
    ]:
        failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
        assert not failed, failed


# -- the fit, against scikit-learn --------------------------------------------------------------


@pytest.mark.parametrize(("n", "d"), [(20, 1), (60, 3), (200, 6), (30, 10)])
@pytest.mark.parametrize("C", [0.01, 1.0, 10.0])
def test_newton_fit_equals_sklearn_lbfgs(n: int, d: int, C: float) -> None:
    """To 1e-6. sklearn's L-BFGS stops on ``ftol = 64 eps`` with a gradient near 1e-8, so on a
    nearly separable problem (C = 100, 15 rows, 10 features) it is itself ~2e-6 from the optimum;
    Newton's gradient is below 1e-10, so ours is the better minimiser wherever they differ."""
    X, y = problem(n, d, seed=n + d)
    ref = sklearn_fit(X, y, C)
    w, b = fit_logistic_newton(X, y, l2=l2_from_C(C, n))
    np.testing.assert_allclose(w, ref.coef_[0], rtol=0, atol=1e-6)
    assert b == pytest.approx(ref.intercept_[0], abs=1e-6)
    np.testing.assert_allclose(predict_proba(w, b, X), ref.predict_proba(X)[:, 1], atol=1e-6)
    ours = np.abs(np.append(*logistic_loss_grad(w, b, X, y, l2=l2_from_C(C, n))[1:])).max()
    theirs = np.abs(np.append(*logistic_loss_grad(ref.coef_[0], ref.intercept_[0], X, y, l2=l2_from_C(C, n))[1:]))
    assert ours < 1e-10 and ours <= theirs.max()


def test_newton_fit_equals_scipy_on_the_same_objective() -> None:
    """A second, independent optimiser (scipy's L-BFGS-B on our loss) lands on the same point."""
    X, y = problem(80, 4, seed=5)
    l2 = 0.03

    def fun(t):
        loss, gw, gb = logistic_loss_grad(t[:-1], t[-1], X, y, l2=l2)
        return loss, np.append(gw, gb)

    res = minimize(fun, np.zeros(5), jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15})
    w, b = fit_logistic_newton(X, y, l2=l2)
    np.testing.assert_allclose(np.append(w, b), res.x, atol=1e-6)


@pytest.mark.parametrize("C", [0.05, 0.5, 20.0])
def test_the_C_convention_and_its_misreadings(C: float) -> None:
    """l2 = 1/(C n) matches; C/n (C read as a strength), 1/C (sum read as mean) and a penalised
    intercept (sklearn with the ones column as a feature) all miss by far more than the tolerance."""
    n = 50
    X, y = problem(n, 3, seed=7)
    ref = np.append(sklearn_fit(X, y, C).coef_[0], sklearn_fit(X, y, C).intercept_[0])
    ours = np.append(*fit_logistic_newton(X, y, l2=l2_from_C(C, n)))
    np.testing.assert_allclose(ours, ref, atol=1e-6)
    assert l2_from_C(C, n) == 1.0 / (C * n)
    for wrong_l2 in (C / n, 1.0 / C):
        assert np.abs(np.append(*fit_logistic_newton(X, y, l2=wrong_l2)) - ref).max() > 1e-3
    X1 = np.column_stack([X, np.ones(n)])
    penalised = sklearn_fit(X1, y, C, fit_intercept=False).coef_[0]
    assert np.abs(penalised - ref).max() > 1e-3
    # sklearn's solution is a stationary point of our objective with l2 = 1/(C n), not of the others.
    _, gw, gb = logistic_loss_grad(ref[:-1], ref[-1], X, y, l2=l2_from_C(C, n))
    assert np.abs(np.append(gw, gb)).max() < 1e-8


def test_duplicating_every_row_acts_like_doubling_C() -> None:
    """Bank: sklearn's sum convention means twice the rows at the same C is a weaker penalty."""
    X, y = problem(40, 2, seed=8)
    twice = sklearn_fit(np.vstack([X, X]), np.concatenate([y, y]), 1.0)
    np.testing.assert_allclose(twice.coef_, sklearn_fit(X, y, 2.0).coef_, atol=1e-6)
    assert np.abs(twice.coef_ - sklearn_fit(X, y, 1.0).coef_).max() > 1e-3
    w, _ = fit_logistic_newton(np.vstack([X, X]), np.concatenate([y, y]), l2=l2_from_C(1.0, 80))
    np.testing.assert_allclose(w, twice.coef_[0], atol=1e-6)


def test_unpenalised_intercept_matches_the_base_rate() -> None:
    X, y = problem(60, 3, seed=9)
    for l2 in (0.01, 1.0, 100.0):
        w, b = fit_logistic_newton(X, y, l2=l2)
        assert predict_proba(w, b, X).mean() == pytest.approx(y.mean(), abs=1e-10)
    w, b = fit_logistic_newton(X, y, l2=1e6)  # huge penalty: w -> 0, b -> logit of the base rate
    assert np.abs(w).max() < 1e-4 and b == pytest.approx(np.log(y.mean() / (1 - y.mean())), abs=1e-4)


def test_newton_converges_in_a_few_steps_and_quadratically() -> None:
    """Near the optimum the error squares each step: the digits of the gradient nearly double
    (5.6e-4, 2.1e-6, 2.7e-11 after steps 4, 5, 6), where a first-order method gains a fixed number."""
    X, y = problem(100, 4, seed=10)
    gaps = []
    for steps in range(1, 7):
        with pytest.raises(ValueError, match="Newton did not converge") as info:
            fit_logistic_newton(X, y, l2=0.01, max_iter=steps, tol=1e-300)
        gaps.append(float(str(info.value).rsplit(" ", 1)[1]))
    assert gaps[5] < 1e-10 < 1e-3 < gaps[2]
    assert [f"{g:.1e}" for g in gaps[3:6]] == ["5.6e-04", "2.1e-06", "2.7e-11"]  # the figures the page quotes
    for k in (3, 4):  # log10 of the gradient grows by a factor above 1.6 per step
        assert np.log10(gaps[k + 1]) < 1.6 * np.log10(gaps[k])
    fit_logistic_newton(X, y, l2=0.01, max_iter=7)


def test_separable_data_without_a_penalty_has_no_optimum() -> None:
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    # With l2 = 0 the gradient only reaches 0 as w -> infinity: a tighter tolerance, a larger w.
    loose, tight = (fit_logistic_newton(X, y, l2=0.0, tol=tol)[0][0] for tol in (1e-4, 1e-10))
    assert tight > loose + 5 > 10
    with pytest.raises(ValueError, match=r"Newton did not converge in max_iter = 5 steps"):
        fit_logistic_newton(X, y, l2=0.0, max_iter=5)
    w_small, _ = fit_logistic_newton(X, y, l2=1e-2)
    w_tiny, _ = fit_logistic_newton(X, y, l2=1e-4)
    assert w_tiny[0] > w_small[0] > 0  # the weaker the penalty, the larger (and surer) the weights


# -- softmax regression -------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "d", "K"), [(30, 2, 3), (120, 4, 4), (40, 3, 6), (50, 5, 3)])
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_softmax_fit_equals_sklearn_multinomial(n: int, d: int, K: int, C: float) -> None:
    X, y = problem(n, d, seed=n + K, num_classes=K)
    ref = sklearn_fit(X, y, C)
    W, b = fit_softmax_regression(X, y, l2=l2_from_C(C, n))
    assert W.shape == (d, K) and ref.coef_.shape == (K, d)
    np.testing.assert_allclose(W.T, ref.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(b, ref.intercept_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(softmax_predict_proba(W, b, X), ref.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(W.sum(axis=1), 0.0, atol=1e-10)  # the penalty's choice: rows of W sum to 0
    assert abs(b.sum()) < 1e-12 and abs(ref.intercept_.sum()) < 1e-8  # and sklearn's intercepts too
    l2 = l2_from_C(C, n)
    ours = max(np.abs(g).max() for g in softmax_loss_grad(W, b, X, y, l2=l2)[1:])
    theirs = max(np.abs(g).max() for g in softmax_loss_grad(ref.coef_.T, ref.intercept_, X, y, l2=l2)[1:])
    assert ours < 1e-10 and ours <= theirs


def test_softmax_loss_and_gradient_equal_torch_cross_entropy() -> None:
    X, y = problem(25, 3, seed=11, num_classes=4)
    rng = np.random.default_rng(12)
    W, b, l2 = rng.standard_normal((3, 4)), rng.standard_normal(4), 0.4
    Wt, bt = torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)
    logits = torch.from_numpy(X) @ Wt + bt
    ref = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)) + 0.5 * l2 * (Wt**2).sum()
    ref.backward()
    loss, gW, gb = softmax_loss_grad(W, b, X, y, l2=l2)
    assert loss == pytest.approx(float(ref.detach()), rel=1e-12)
    np.testing.assert_allclose(gW, Wt.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(gb, bt.grad.numpy(), rtol=1e-10, atol=1e-14)
    big = softmax_loss_grad(1000 * W, b, X, y)[0]  # huge logits stay finite
    assert np.isfinite(big)


def test_two_class_softmax_is_binary_logistic_with_half_the_penalty() -> None:
    """W = [-w/2, w/2] gives z1 - z0 = x·w, and the penalty l2/2 (2 ||w/2||²) = (l2/2)/2 ||w||²."""
    X, y = problem(50, 3, seed=13)
    W, b = fit_softmax_regression(X, y.astype(int), l2=0.02)
    w, c = fit_logistic_newton(X, y, l2=0.01)
    np.testing.assert_allclose(W[:, 1] - W[:, 0], w, atol=1e-8)
    assert b[1] - b[0] == pytest.approx(c, abs=1e-8)
    w_same, _ = fit_logistic_newton(X, y, l2=0.02)  # the same l2 gives different weights
    assert np.abs(W[:, 1] - W[:, 0] - w_same).max() > 1e-3
    # sklearn fits two classes with the binomial loss (one coef row), not a 2-class softmax.
    assert sklearn_fit(X, y, 1.0).coef_.shape == (1, 3)


# -- why not MSE ------------------------------------------------------------------------------


def test_mse_gradient_equals_autograd() -> None:
    X, y = problem(20, 2, seed=14)
    w, b = np.array([0.5, -1.0]), 0.2
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, dtype=torch.float64, requires_grad=True)
    p = torch.sigmoid(torch.from_numpy(X) @ wt + bt)
    ref = ((p - torch.from_numpy(y)) ** 2).mean() / 2
    ref.backward()
    loss, gw, gb = mse_sigmoid_loss_grad(w, b, X, y)
    assert loss == pytest.approx(float(ref.detach()), rel=1e-12)
    np.testing.assert_allclose(gw, wt.grad.numpy(), rtol=1e-10)
    assert gb == pytest.approx(float(bt.grad), rel=1e-10)


def test_mse_of_a_sigmoid_is_not_convex_but_cross_entropy_is() -> None:
    """One row x = 1, y = 1, b = 0: f(w) = (σ(w) - 1)²/2 curves down for w below about -0.66
    (f'' = σ'(w)(σ(w) - 1)(1 - 3σ(w)) ... changes sign); the midpoint test fails for w in {-6, 0}."""
    X, y = np.array([[1.0]]), np.array([1.0])
    ws = np.linspace(-8, 8, 161)
    mse = np.array([mse_sigmoid_loss_grad([w], 0.0, X, y)[0] for w in ws])
    ce = np.array([logistic_loss_grad([w], 0.0, X, y)[0] for w in ws])
    assert np.diff(mse, 2).min() < -1e-4 and np.diff(ce, 2).min() > 0
    f = lambda w: mse_sigmoid_loss_grad([w], 0.0, X, y)[0]  # noqa: E731
    assert f(-3.0) > (f(-6.0) + f(0.0)) / 2  # a chord below the curve: not convex
    curvature = [(f(w + 1e-4) - 2 * f(w) + f(w - 1e-4)) / 1e-8 for w in (-3.0, -1.0, 0.0)]
    assert curvature[0] < 0 < curvature[2]


def test_mse_gradient_vanishes_when_confidently_wrong() -> None:
    """Page and bank: y = 1, z = -5: cross-entropy pushes with p - y = -0.9933; MSE with
    (p - y) p (1 - p) = -0.0066, 150 times less; at z = -10 it is -4.5e-5."""
    X, y = np.array([[1.0]]), np.array([1.0])
    ce = logistic_loss_grad([-5.0], 0.0, X, y)[1][0]
    mse = mse_sigmoid_loss_grad([-5.0], 0.0, X, y)[1][0]
    assert round(ce, 4) == -0.9933 and round(mse, 4) == -0.0066 and 140 < ce / mse < 160
    assert round(mse_sigmoid_loss_grad([-10.0], 0.0, X, y)[1][0], 6) == -0.000045
    assert abs(logistic_loss_grad([-10.0], 0.0, X, y)[1][0] + 1) < 1e-4


# -- bad input ----------------------------------------------------------------------------------


def test_bad_input_raises() -> None:
    X, y = np.ones((3, 2)), np.array([0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"y must hold labels 0 and 1; got values \[0.0, 2.0\]"):
        logistic_loss_grad(np.zeros(2), 0.0, X, [0, 2, 2])
    with pytest.raises(ValueError, match=r"w must have shape \(n_features,\) = \(2,\); got \(3,\)"):
        logistic_loss_grad(np.zeros(3), 0.0, X, y)
    with pytest.raises(ValueError, match=r"y must have shape \(n_samples,\) = \(3,\); got \(2,\)"):
        fit_logistic_newton(X, [0, 1])
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, n_features\); got \(3,\)"):
        fit_logistic_newton(np.ones(3), y)
    with pytest.raises(ValueError, match=r"l2 must be >= 0; got -1.0"):
        fit_logistic_newton(X, y, l2=-1.0)
    with pytest.raises(ValueError, match=r"X and y must be finite"):
        fit_logistic_newton([[np.nan, 1.0]], [1])
    with pytest.raises(ValueError, match=r"C must be positive; got 0"):
        l2_from_C(0, 10)
    with pytest.raises(ValueError, match=r"n_samples must be a positive integer; got 2.5"):
        l2_from_C(1.0, 2.5)
    with pytest.raises(ValueError, match=r"l2 must be positive; got 0.0"):
        fit_softmax_regression(X, [0, 1, 2], l2=0.0)
    with pytest.raises(ValueError, match=r"y must hold class indices 0, 1, ...; got values \[0.5"):
        fit_softmax_regression(X, [0.5, 1, 2], l2=1.0)
    with pytest.raises(ValueError, match=r"class indices below num_classes >= 2; got num_classes = 2"):
        fit_softmax_regression(X, [0, 1, 2], l2=1.0, num_classes=2)
    with pytest.raises(ValueError, match=r"W must have shape \(2, num_classes\) and b \(num_classes,\)"):
        softmax_loss_grad(np.zeros((3, 3)), np.zeros(3), X, [0, 1, 2])
    with pytest.raises(TypeError, match=r"X must be a NumPy array or array-like; got a torch.Tensor"):
        fit_logistic_newton(torch.ones(3, 2), y)


# -- the bank's numbers -------------------------------------------------------------------------


def test_every_numeric_key_is_computed() -> None:
    p = float(sigmoid(-5.0))
    computed = {
        "logistic_regression.sigmoid-value": float(sigmoid(2.0)),
        "logistic_regression.l2-from-c": l2_from_C(0.5, 400),
        "logistic_regression.ce-loss": logistic_loss_grad([0.0], float(np.log(0.2 / 0.8)), [[0.0]], [1])[0],
        "logistic_regression.mse-grad": mse_sigmoid_loss_grad([-5.0], 0.0, [[1.0]], [1])[1][0],
        "logistic_regression.hessian-weight": float(
            np.max(sigmoid(np.linspace(-5, 5, 1001)) * sigmoid(-np.linspace(-5, 5, 1001)))
        ),
        "logistic_regression.odds-ratio": float(np.exp(0.7)),
        "logistic_regression.softmax-params": sklearn_fit(*problem(60, 10, seed=15, num_classes=4), 1.0).coef_.size + 4,
    }
    assert computed["logistic_regression.mse-grad"] == pytest.approx((p - 1) * p * (1 - p))
    check_numeric_keys("logistic_regression", computed, bank_tolerance)


def test_bank_claims_about_features_and_libraries() -> None:
    """Bank (what-changes-coef, stability): a redundant ones column gets weight 0 and changes nothing
    else; rescaling a feature changes the penalised fit; BCELoss clamps log p at -100; scikit-learn
    1.8+ deprecates ``penalty`` in favour of ``l1_ratio``."""
    import warnings

    import sklearn

    X, y = problem(60, 3, seed=16)
    base = sklearn_fit(X, y, 1.0)
    with_ones = sklearn_fit(np.column_stack([X, np.ones(60)]), y, 1.0)
    np.testing.assert_allclose(with_ones.coef_[0, :3], base.coef_[0], atol=1e-6)
    assert abs(with_ones.coef_[0, 3]) < 1e-6
    w, _ = fit_logistic_newton(X, y, l2=l2_from_C(1.0, 60))
    w_mm, _ = fit_logistic_newton(X * np.array([1000.0, 1.0, 1.0]), y, l2=l2_from_C(1.0, 60))
    assert abs(w_mm[0] * 1000 - w[0]) > 1e-2 and np.abs(w_mm[1:] - w[1:]).max() > 1e-4
    bce = torch.nn.functional.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0]))
    assert float(bce) == 100.0
    if tuple(int(v) for v in sklearn.__version__.split(".")[:2]) >= (1, 8):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            LogisticRegression(penalty="l2").fit(X, y)
        assert any(issubclass(c.category, FutureWarning) and "penalty" in str(c.message) for c in caught)
