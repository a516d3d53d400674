"""Regularization against PyTorch (dropout, Adam, AdamW, SGD) and scikit-learn (Lasso), in float64.

Each convention the page teaches has a test that fails when it flips: dropout scales in
training, not at evaluation, and ``p`` is the drop probability; ``torch.optim.Adam``'s
``weight_decay`` is an L2 term in the gradient while ``AdamW`` decouples it (they differ;
under plain SGD they coincide); scikit-learn's Lasso puts ``1/(2n)`` in front of the squared
error, so the soft-threshold is ``n·alpha`` on ``x_jᵀr_j``.

Hand-worked dropout example (``test_hand_worked_dropout``): ``x = (1, 2, 3, 4)``, ``p = 0.25``,
keep mask ``(T, T, F, T)``. The kept entries are divided by ``1 - p = 0.75``:
``(4/3, 8/3, 0, 16/3)``; their mean is ``(4 + 8 + 16)/12 = 7/3`` against ``mean(x) = 5/2``; over
masks the expectation is ``x`` itself because each entry survives with probability 0.75.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Lasso
from sklearn.linear_model import lasso_path as sk_lasso_path
from support import bank_tolerance, check_numeric_keys

from concepts.optimizers import adam_step, adamw_step, sgd_step
from concepts.regularization import (
    dropout,
    dropout_torch,
    early_stopping,
    gd_with_early_stopping,
    lasso_coordinate_descent,
    lasso_fit,
    lasso_objective,
    lasso_path,
    optimize,
    overfitting_problem,
    soft_threshold,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

# -- dropout -------------------------------------------------------------------------------------


def test_hand_worked_dropout() -> None:
    x, mask = [1.0, 2.0, 3.0, 4.0], [True, True, False, True]
    got = dropout(x, 0.25, mask=mask)
    np.testing.assert_allclose(got, [4 / 3, 8 / 3, 0.0, 16 / 3], rtol=1e-15)
    assert got.mean() == pytest.approx(7 / 3)
    mirror = dropout_torch(torch.tensor(x, dtype=torch.float64), 0.25, mask=torch.tensor(mask))
    np.testing.assert_allclose(mirror.numpy(), got, rtol=1e-15)


@pytest.mark.parametrize("dtype", ["float64", "float32", "bfloat16", "float16"])
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.9])
def test_dropout_torch_equals_F_dropout_bit_for_bit(dtype: str, shape: tuple, p: float) -> None:
    """Same seed, same mask, same rounding: equal in every dtype, not only close."""
    dt = getattr(torch, dtype)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64).to(dt)
    torch.manual_seed(7)
    want = F.dropout(x, p, training=True)
    torch.manual_seed(7)
    got = dropout_torch(x, p)
    assert got.dtype == dt and torch.equal(got, want)
    torch.manual_seed(7)
    assert torch.equal(torch.nn.Dropout(p).train()(x), want)
    gen = torch.Generator().manual_seed(3)  # an explicit generator draws the same stream as the global one
    torch.manual_seed(3)
    assert torch.equal(dropout_torch(x, p, generator=gen), F.dropout(x, p))


@pytest.mark.parametrize("dtype", ["float64", "float32", "bfloat16"])
def test_eval_is_the_identity_in_torch_and_ours(dtype: str) -> None:
    x = torch.randn(4, 6, dtype=torch.float64).to(getattr(torch, dtype))
    for p in (0.0, 0.5, 0.9, 1.0):
        assert torch.equal(torch.nn.Dropout(p).eval()(x), x)
        assert torch.equal(dropout_torch(x, p, training=False), x)
        np.testing.assert_array_equal(dropout(x.double().numpy(), p, training=False), x.double().numpy())


def test_p_zero_and_one_as_pytorch_defines_them() -> None:
    x = np.array([1.5, -2.0, 0.0, np.inf])
    for p in (0.0, 1.0):
        want = F.dropout(torch.from_numpy(x), p, training=True).numpy()  # p = 1: x * 0, so inf -> nan
        np.testing.assert_array_equal(dropout(x, p), want)
        np.testing.assert_array_equal(dropout_torch(torch.from_numpy(x), p).numpy(), want)
        np.testing.assert_array_equal(np.signbit(dropout(x, p)), np.signbit(want))  # -2 * 0 = -0.0
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(torch.ones(2), bad)
        with pytest.raises(ValueError, match=r"p \(the drop probability\) must lie in \[0, 1\]"):
            dropout([1.0], bad)


def test_dropout_bad_input() -> None:
    with pytest.raises(TypeError, match=r"got a torch\.Tensor"):
        dropout(torch.ones(3), 0.5)
    with pytest.raises(TypeError, match="got a NumPy array"):
        dropout_torch(np.ones(3), 0.5)
    with pytest.raises(ValueError, match=r"mask must be a boolean array of shape \(3,\)"):
        dropout(np.ones(3), 0.5, mask=[1, 0, 1])
    with pytest.raises(ValueError, match="mask must be a boolean tensor"):
        dropout_torch(torch.ones(3), 0.5, mask=torch.ones(2, dtype=torch.bool))
    with pytest.raises(TypeError, match="rng must be"):
        dropout(np.ones(3), 0.5, rng="seed")


def _five_se_ok(out: np.ndarray, p: float) -> None:
    """Share zeroed within 5 binomial standard errors of p; mean of an all-ones input within 5 SE of 1."""
    n = out.size
    share, mean = float(np.mean(out == 0)), float(out.mean(dtype=np.float64))
    assert abs(share - p) <= 5 * np.sqrt(p * (1 - p) / n), (share, p)
    assert abs(mean - 1) <= 5 * np.sqrt(p / (1 - p) / n), (mean, p)
    assert np.var(out, dtype=np.float64) == pytest.approx(p / (1 - p), rel=0.05)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_mask_and_output_statistics_match_nn_dropout(p: float, dtype: str) -> None:
    """Over 200 draws of 2,000 units: share zeroed ≈ p, mean ≈ 1, variance ≈ p/(1 - p), as nn.Dropout."""
    n, draws = 2_000, 200
    layer = torch.nn.Dropout(p).train()
    torch.manual_seed(0)
    ref = torch.stack([layer(torch.ones(n, dtype=getattr(torch, dtype))) for _ in range(draws)]).numpy()
    rng = np.random.default_rng(0)
    ours = np.stack([dropout(np.ones(n), p, rng=rng) for _ in range(draws)])
    gen = torch.Generator().manual_seed(1)
    mirror = torch.stack(
        [dropout_torch(torch.ones(n, dtype=getattr(torch, dtype)), p, generator=gen) for _ in range(draws)]
    )
    for out in (ref, ours, mirror.numpy()):
        _five_se_ok(out, p)
        assert np.unique(out).tolist() == pytest.approx([0.0, 1 / (1 - p)], rel=1e-7)
    # The two samples agree with each other too (difference of shares within 5 SE of a difference).
    assert abs(np.mean(ref == 0) - np.mean(ours == 0)) <= 5 * np.sqrt(2 * p * (1 - p) / (n * draws))


def test_numpy_mask_comes_from_rng_and_is_reproducible() -> None:
    a = dropout(np.ones((3, 4)), 0.5, rng=0)
    np.testing.assert_array_equal(a, dropout(np.ones((3, 4)), 0.5, rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(a != 0, np.random.default_rng(0).random((3, 4)) >= 0.5)


def test_flipped_dropout_conventions_fail_the_checks() -> None:
    """Scaling at eval time, and p read as the keep probability, are caught by the exercise checks."""
    from concepts.exercises._harness import run_checks
    from concepts.exercises.regularization import CHECKS

    def scale_at_eval(x, p=0.5, *, training=True, mask=None, rng=None):
        x = np.asarray(x, dtype=np.float64)
        keep = np.random.default_rng(rng).random(x.shape) >= p if mask is None else np.asarray(mask)
        return x * keep if training else x * (1 - p)

    def keep_prob(x, p=0.5, *, training=True, mask=None, rng=None):
        return dropout(x, 1 - p, training=training, mask=mask, rng=rng)

    for bad in (scale_at_eval, keep_prob):
        assert not all(r.passed for r in run_checks(CHECKS["regularization.dropout"], bad)), bad.__name__


# -- L2 penalty vs decoupled weight decay ---------------------------------------------------------


def _problem(seed: int = 0, n: int = 40, d: int = 5):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d)) * np.geomspace(0.1, 10, d)  # badly scaled: Adam's v differs per weight
    return A, rng.standard_normal(n), rng.standard_normal(d)


def _torch_path(cls, A, b, w0, steps, **kw) -> np.ndarray:
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt, At, bt, out = cls([w], **kw), torch.from_numpy(A), torch.from_numpy(b), [w0.copy()]
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * ((At @ w - bt) ** 2).mean()).backward()
        opt.step()
        out.append(w.detach().numpy().copy())
    return np.stack(out)


def _ours(A, b, w0, **kw) -> np.ndarray:
    return optimize(lambda w: A.T @ (A @ w - b) / len(b), w0, **kw)


@pytest.mark.parametrize(("lr", "wd"), [(0.001, 0.1), (0.01, 0.5), (0.02, 2.0)])
def test_sgd_l2_and_decoupled_both_equal_torch_sgd_weight_decay(lr: float, wd: float) -> None:
    A, b, w0 = _problem()
    want = _torch_path(torch.optim.SGD, A, b, w0, 80, lr=lr, weight_decay=wd)
    for decoupled in (False, True):
        got = _ours(A, b, w0, optimizer="sgd", steps=80, lr=lr, weight_decay=wd, decoupled=decoupled)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("lr", "wd", "betas"), [(0.01, 0.1, (0.9, 0.999)), (0.05, 1.0, (0.8, 0.99)), (0.1, 0.01, (0.9, 0.9))]
)
def test_adam_l2_equals_torch_adam_and_decoupled_equals_adamw(lr: float, wd: float, betas: tuple) -> None:
    A, b, w0 = _problem(seed=1)
    kw = {"lr": lr, "weight_decay": wd, "betas": betas, "eps": 1e-8}
    l2 = _ours(A, b, w0, optimizer="adam", steps=100, decoupled=False, **kw)
    dec = _ours(A, b, w0, optimizer="adam", steps=100, decoupled=True, **kw)
    torch_adam = _torch_path(torch.optim.Adam, A, b, w0, 100, **kw)
    torch_adamw = _torch_path(torch.optim.AdamW, A, b, w0, 100, **kw)
    np.testing.assert_allclose(l2, torch_adam, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dec, torch_adamw, rtol=1e-10, atol=1e-10)
    # The convention matters: swap the two and the trajectories are far apart.
    assert np.abs(l2 - torch_adamw).max() > 1e-3 and np.abs(dec - torch_adam).max() > 1e-3


def test_adamw_shrinks_every_weight_alike_while_adam_l2_spares_high_gradient_weights() -> None:
    """With zero loss gradient AdamW still shrinks w by (1 - lr λ) each step; Adam + L2 divides λw by sqrt(v̂)."""
    w = np.array([1.0, 1.0])
    state_w, state_l2 = {}, {}
    w_dec, w_l2 = w.copy(), w.copy()
    for _ in range(10):
        w_dec, state_w = adamw_step(w_dec, np.zeros(2), state_w, lr=0.01, weight_decay=0.1)
        w_l2, state_l2 = adam_step(w_l2, np.array([0.0, 100.0]), state_l2, lr=0.01, weight_decay=0.1)
    np.testing.assert_allclose(w_dec, (1 - 0.01 * 0.1) ** 10 * np.ones(2), rtol=1e-12)
    # Adam + L2: the first weight (gradient λw only) moves about lr per step, lr·10 in all;
    # the second's decay term is drowned by its gradient of 100 and moves by the same lr steps.
    assert w_l2[0] == pytest.approx(1 - 10 * 0.01, abs=1e-3)


def test_with_momentum_l2_and_decoupled_decay_separate() -> None:
    """The page's aside: torch's SGD(momentum, weight_decay) puts λw into the velocity; SGDW would not."""
    A, b, w0 = _problem(seed=2)
    lr, wd, mu = 0.01, 0.5, 0.9
    want = _torch_path(torch.optim.SGD, A, b, w0, 60, lr=lr, weight_decay=wd, momentum=mu)
    paths = {}
    for decoupled in (False, True):
        w, buf, out = w0.copy(), np.zeros_like(w0), [w0.copy()]
        for t in range(60):
            g = A.T @ (A @ w - b) / len(b) + (0.0 if decoupled else wd * w)
            buf = g if t == 0 else mu * buf + g  # torch's first step copies the gradient into the buffer
            w = w * (1 - lr * wd if decoupled else 1.0) - lr * buf
            out.append(w.copy())
        paths[decoupled] = np.stack(out)
    np.testing.assert_allclose(paths[False], want, rtol=1e-10, atol=1e-10)
    assert np.abs(paths[True] - want).max() > 1e-2


def test_dropout_torch_gradient_equals_F_dropout_gradient() -> None:
    """Backward is the same mask times 1/(1 - p), so the gradients agree bit for bit."""
    x = torch.randn(5, 7, dtype=torch.float64, requires_grad=True)
    grads = []
    for fn in (F.dropout, dropout_torch):
        torch.manual_seed(11)
        (fn(x, 0.4) * torch.arange(35.0, dtype=torch.float64).reshape(5, 7)).sum().backward()
        grads.append(x.grad.clone())
        x.grad = None
    assert torch.equal(grads[0], grads[1])


def test_optimize_bad_input() -> None:
    with pytest.raises(ValueError, match="lr must be"):
        optimize(lambda w: w, [1.0], optimizer="sgd", steps=1, lr=0.0)
    with pytest.raises(ValueError, match="optimizer must be 'sgd' or 'adam'"):
        optimize(lambda w: w, [1.0], optimizer="rmsprop", steps=1, lr=0.1)
    with pytest.raises(TypeError, match="NumPy array or array-like"):
        optimize(lambda w: w, torch.ones(1), optimizer="adam", steps=1, lr=0.1)


def test_the_decay_steps_are_the_optimizers_pages() -> None:
    """One implementation of each step: the regularization module exports none of its own."""
    import concepts.regularization as reg

    for name in ("sgd_step", "adam_step", "adamw_step"):
        assert name not in reg.__all__


# -- the Lasso -------------------------------------------------------------------------------------


def _lasso_data(n: int, d: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, d) + rng.normal(0, 1, d)
    w = rng.standard_normal(d) * (rng.random(d) < 0.4)
    return X, X @ w + 0.3 * rng.standard_normal(n) + 1.5


def _sk(X, y, alpha, fit_intercept=True) -> Lasso:
    return Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-14, max_iter=1_000_000).fit(X, y)


@pytest.mark.parametrize(("n", "d"), [(10, 1), (30, 4), (50, 8), (15, 25)])
@pytest.mark.parametrize("alpha", [0.001, 0.05, 0.3, 1.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lasso_equals_sklearn(n: int, d: int, alpha: float, fit_intercept: bool) -> None:
    X, y = _lasso_data(n, d, seed=n + d)
    model = _sk(X, y, alpha, fit_intercept)
    w, b = lasso_fit(X, y, alpha, fit_intercept=fit_intercept, max_sweeps=100_000)  # d > n, small alpha: slow
    np.testing.assert_allclose(w, model.coef_, atol=1e-6)
    assert b == pytest.approx(float(model.intercept_), abs=1e-6)
    np.testing.assert_array_equal(w == 0, model.coef_ == 0)  # the same exact zeros


def test_sklearn_minimises_the_one_over_two_n_objective() -> None:
    """sklearn's solution satisfies the optimality conditions of (1/(2n))||r||² + alpha||w||_1, not of (1/2)||r||²."""
    X, y = _lasso_data(40, 6, seed=3)
    alpha, n = 0.2, 40
    w = _sk(X, y, alpha, fit_intercept=False).coef_
    c = X.T @ (y - X @ w)
    on = w != 0
    np.testing.assert_allclose(c[on] / n, alpha * np.sign(w[on]), atol=1e-8)  # 1/(2n): holds
    assert np.all(np.abs(c[~on]) / n <= alpha + 1e-8)
    assert not np.allclose(c[on], alpha * np.sign(w[on]), atol=1e-3)  # (1/2)||r||²: fails
    # Our objective is no lower anywhere nearby, and duplicating every row changes nothing (a mean).
    rng = np.random.default_rng(0)
    f = lasso_objective(X, y, w, alpha)
    assert all(lasso_objective(X, y, w + 1e-4 * rng.standard_normal(6), alpha) >= f for _ in range(50))
    np.testing.assert_allclose(_sk(np.vstack([X, X]), np.r_[y, y], alpha, False).coef_, w, atol=1e-8)


def test_thresholding_by_alpha_instead_of_n_alpha_does_not_match_sklearn() -> None:
    X, y = _lasso_data(30, 5, seed=4)
    want = _sk(X, y, 0.5, fit_intercept=False).coef_
    np.testing.assert_allclose(lasso_coordinate_descent(X, y, 0.5), want, atol=1e-6)
    slip = lasso_coordinate_descent(X, y, 0.5 / 30)  # thresholds x_jᵀr_j at alpha, not n·alpha
    assert np.abs(slip - want).max() > 0.1


def test_soft_threshold_and_one_coordinate_by_hand() -> None:
    np.testing.assert_array_equal(soft_threshold([-3.0, -1.0, 0.0, 0.5, 2.5], 1.0), [-2.0, 0.0, 0.0, 0.0, 1.5])
    # One feature, n = 4: x = (1, 2, 0, 1), y = (2, 3, 1, 0): xᵀy = 8, ||x||² = 6, alpha = 0.5 -> S(8, 2)/6 = 1.
    w = lasso_coordinate_descent([[1.0], [2.0], [0.0], [1.0]], [2.0, 3.0, 1.0, 0.0], 0.5)
    assert w.tolist() == [1.0]


def test_lasso_path_equals_sklearn_lasso_path_and_grows_sparser() -> None:
    X, y = _lasso_data(40, 8, seed=5)
    alphas = np.geomspace(1.0, 1e-3, 12)
    _, coefs, _ = sk_lasso_path(X, y, alphas=alphas, tol=1e-14, max_iter=1_000_000)
    ours = lasso_path(X, y, alphas, fit_intercept=False)
    np.testing.assert_allclose(ours, coefs.T, atol=1e-6)
    alpha_max = np.abs(X.T @ y).max() / len(y)
    assert not lasso_coordinate_descent(X, y, alpha_max * (1 + 1e-9)).any()
    assert np.count_nonzero(lasso_coordinate_descent(X, y, alpha_max * 0.99)) == 1


def test_lasso_bad_input() -> None:
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        lasso_coordinate_descent([[1.0]], [1.0], -1.0)
    with pytest.raises(ValueError, match=r"y must have shape \(n_samples,\)"):
        lasso_fit([[1.0], [2.0]], [1.0], 0.1)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, n_features\)"):
        lasso_coordinate_descent([1.0, 2.0], [1.0, 2.0], 0.1)


# -- early stopping --------------------------------------------------------------------------------


def test_early_stopping_replay_by_hand() -> None:
    losses = [0.90, 0.70, 0.62, 0.60, 0.61, 0.63, 0.59, 0.58]
    assert early_stopping(losses, patience=2)[:2] == (3, 5)  # best at index 3; two misses, stop at 5
    assert early_stopping(losses, patience=3)[:2] == (7, 7)  # 0.59 arrives in time: runs to the end
    assert early_stopping(losses, patience=2, min_delta=0.05)[:2] == (2, 4)  # 0.60 is not 0.05 better than 0.62
    with pytest.raises(ValueError, match="patience must be a positive integer"):
        early_stopping(losses, patience=0)


def test_gd_early_stopping_restores_the_best_weights() -> None:
    X, y, Xv, yv = overfitting_problem()
    record, val = gd_with_early_stopping(X, y, Xv, yv, lr=0.02, max_steps=3000, patience=50)
    assert record.stop_step == record.best_step + 50 and val.argmin() == record.best_step
    # The validation loss turns up: it ends above its minimum if training runs on.
    _, full = gd_with_early_stopping(X, y, Xv, yv, lr=0.02, max_steps=3000, patience=10_000)
    assert full[-1] > 1.15 * full.min() and full.argmin() == record.best_step
    # The restored weights are exactly those of plain gradient descent after best_step steps.
    w = np.zeros(X.shape[1])
    for _ in range(record.best_step):
        w = w - 0.02 * X.T @ (X @ w - y) / len(y)
    np.testing.assert_array_equal(record.w, w)
    assert np.mean((Xv @ record.w - yv) ** 2) / 2 == pytest.approx(val.min(), rel=1e-12)


def test_exercise_checks_pass_on_our_implementation() -> None:
    from concepts.exercises._harness import run_checks
    from concepts.exercises.regularization import CHECKS

    for exercise, impl in [
        ("regularization.dropout", dropout),
        ("regularization.lasso-cd", lasso_coordinate_descent),
    ]:
        failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
        assert not failed, failed


# -- what the page and the bank state ------------------------------------------------------------


def test_page_figures_state_what_the_code_computes() -> None:
    """Decay figure: SGD's two trajectories coincide, Adam's differ. Path figure: the true features enter first."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 5)) * np.geomspace(0.1, 10, 5)
    b = rng.standard_normal(40)
    paths = {
        (opt, dec): _ours(A, b, np.ones(5), optimizer=opt, steps=300, lr=lr, weight_decay=0.5, decoupled=dec)
        for opt, lr in (("sgd", 0.005), ("adam", 0.01))
        for dec in (False, True)
    }
    assert np.abs(paths["sgd", False] - paths["sgd", True]).max() < 1e-12
    assert np.abs(paths["adam", False][-1] - paths["adam", True][-1]).max() > 1.0
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 8))
    y = X @ np.array([3.0, -2.0, 0, 0, 1.5, 0, 0, 0]) + rng.standard_normal(60)
    alpha_max = np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y)
    alphas = alpha_max * np.geomspace(1.0, 1e-3, 60)
    coefs = lasso_path(X, y, alphas)
    assert not coefs[0].any()
    first_other = np.flatnonzero((coefs[:, [2, 3, 5, 6, 7]] != 0).any(axis=1))[0]
    assert (coefs[first_other - 1, [0, 1, 4]] != 0).all()  # all three true features are in before any other
    for i in (5, 30, 59):
        np.testing.assert_allclose(coefs[i], _sk(X, y, alphas[i]).coef_, atol=1e-6)


def test_library_defaults_the_page_states() -> None:
    import inspect

    assert inspect.signature(torch.optim.AdamW).parameters["weight_decay"].default == 0.01
    assert inspect.signature(torch.optim.Adam).parameters["weight_decay"].default == 0
    assert inspect.signature(Lasso).parameters["alpha"].default == 1.0
    # Ridge, by contrast, has no 1/n: it minimises ||y - Xw||² + alpha ||w||².
    from sklearn.linear_model import Ridge

    X, y = _lasso_data(30, 4, seed=9)
    want = np.linalg.solve(X.T @ X + 2.0 * np.eye(4), X.T @ y)
    np.testing.assert_allclose(Ridge(alpha=2.0, fit_intercept=False).fit(X, y).coef_, want, rtol=1e-8)


def test_every_numeric_key_is_computed() -> None:
    # alpha_max: X^T y = (12, -30, 6) with n = 50 (identity rows padded with zero rows).
    X_alpha = np.vstack([np.eye(3), np.zeros((47, 3))])
    y_alpha = np.r_[12.0, -30.0, 6.0, np.zeros(47)]
    alpha_max = np.abs(X_alpha.T @ y_alpha).max() / 50
    assert not lasso_coordinate_descent(X_alpha, y_alpha, alpha_max).any()
    assert lasso_coordinate_descent(X_alpha, y_alpha, 0.99 * alpha_max).any()
    # One coordinate with n = 10, ||x||² = 10 and xᵀy = 8.
    x, y = np.zeros((10, 1)), np.zeros(10)
    x[0, 0], y[0] = np.sqrt(10.0), 8.0 / np.sqrt(10.0)
    # AdamW on a weight whose gradient is always zero.
    state: dict = {}
    w = np.array([1.0])
    for _ in range(10_000):
        w, state = adamw_step(w, np.zeros(1), state, lr=1e-3, weight_decay=0.1)
    # The per-step shrink of decoupled SGD decay per unit of lambda at lr = 0.1, then lambda for 0.999.
    zero = lambda w: 0 * w  # noqa: E731
    decoupled = optimize(zero, [1.0], optimizer="sgd", steps=1, lr=0.1, weight_decay=1.0, decoupled=True)
    shrink_per_lambda = 1.0 - float(decoupled[-1, 0])
    lam = (1 - 0.999) / shrink_per_lambda
    assert float(sgd_step([1.0], [0.0], {}, lr=0.1, weight_decay=lam)[0][0]) == pytest.approx(0.999, abs=1e-15)
    kept = float(dropout([1.0], 0.2, mask=[True])[0])
    computed = {
        "regularization.dropout-scale": float(dropout([3.0], 0.2, mask=[True])[0]),
        "regularization.dropout-variance": 0.8 * kept**2 - 1.0,  # E[y²] - E[y]² with E[y] = 1
        "regularization.adamw-shrink": float(w[0]),
        "regularization.decay-to-l2": lam,
        "regularization.cd-update": float(lasso_coordinate_descent(x, y, 0.3)[0]),
        "regularization.alpha-max": float(alpha_max),
        "regularization.early-stop-epoch": early_stopping([0.90, 0.70, 0.62, 0.60, 0.61, 0.63, 0.59, 0.58], patience=2)[
            0
        ]
        + 1,
    }
    big = dropout(np.ones(400_000), 0.2, rng=0)  # the variance key, measured on the package's own dropout
    assert np.var(big) == pytest.approx(computed["regularization.dropout-variance"], abs=0.005)
    check_numeric_keys("regularization", computed, bank_tolerance)
