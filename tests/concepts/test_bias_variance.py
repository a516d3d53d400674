"""The bias-variance decomposition, measured: identities, NumPy/scikit-learn references, and the page's claims.

The decomposition is checked two ways. On the same draws, the plug-in terms obey an exact
algebraic identity (bias squared + variance with ddof 0 = mean squared distance to f), and
the measured error minus the three terms is exactly the cross term 2 mean(noise * (f - prediction)).
Across draws, that cross term has mean zero, so the three terms add up to the measured
expected error within a few jackknife standard errors.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.preprocessing import PolynomialFeatures
from support import bank_tolerance, check_numeric_keys

from concepts.bias_variance import (
    bias_variance_terms,
    decompose,
    double_descent_curve,
    fit_polynomial,
    min_norm_least_squares,
    monte_carlo_bias_variance,
    polynomial_decomposition,
    polynomial_features,
    predict_polynomial,
    random_relu_features,
    sample_training_sets,
    sine,
)

NOISE_STD = 0.3


def _predictions(R: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    f_x = rng.normal(size=m)
    return f_x + rng.normal(size=m) + rng.normal(size=(R, m)), f_x


# ---------------------------------------------------------------- the terms and their identity


@pytest.mark.parametrize(("R", "m"), [(2, 1), (5, 3), (7, 7), (200, 11)])
def test_terms_equal_numpy_mean_and_var_over_sets(R: int, m: int) -> None:
    P, f_x = _predictions(R, m, seed=R + m)
    bias_sq, variance = bias_variance_terms(P, f_x)
    np.testing.assert_allclose(bias_sq, (np.mean(P, axis=0) - f_x) ** 2, rtol=1e-12)
    np.testing.assert_allclose(variance, np.var(P, axis=0), rtol=1e-12)
    np.testing.assert_allclose(bias_sq + variance, np.mean((P - f_x) ** 2, axis=0), rtol=1e-12)


def test_ddof_one_breaks_the_exact_identity_by_variance_over_r_minus_one() -> None:
    """The convention flip: with R = 5 sets, ddof 1 overshoots the mean squared distance by Var0 / (R - 1)."""
    P, f_x = _predictions(5, 4, seed=1)
    bias_sq, variance = bias_variance_terms(P, f_x)
    mse = ((P - f_x) ** 2).mean(axis=0)
    wrong = bias_sq + P.var(axis=0, ddof=1)
    np.testing.assert_allclose(wrong - mse, variance / 4, rtol=1e-10)
    assert np.all(wrong - mse > 0.05 * mse)  # far beyond rounding: the test would see a flip
    # ddof 1 is consistent only with the debiased bias (f_bar - f)^2 - s^2 / R:
    debiased = bias_sq - P.var(axis=0, ddof=1) / 5
    np.testing.assert_allclose(debiased + P.var(axis=0, ddof=1), mse, rtol=1e-10)


def test_hand_worked_decomposition() -> None:
    """Two sets, two points: predictions [[1, 0], [3, 0]], truth f = (0, 1), test targets [[1, 1], [-1, 1]].

    Average model (2, 0): bias squared (2 - 0)^2 = 4 and (0 - 1)^2 = 1, mean 2.5; variance
    (1 + 1)/2 = 1 and 0, mean 0.5. Noise: set 1 (1^2 + 0^2)/2 = 0.5, set 2 ((-1)^2 + 0)/2 = 0.5.
    Error: set 1 ((1-1)^2 + (1-0)^2)/2 = 0.5, set 2 ((-1-3)^2 + (1-0)^2)/2 = 8.5, mean 4.5.
    The gap 4.5 - (2.5 + 0.5 + 0.5) = 1 is the cross term: 2 mean((y - f)(f - prediction))
    = 2 * (1 * (0 - 1) + 0 + (-1) * (0 - 3) + 0) / 4 = 1.
    """
    d = decompose([[1.0, 0.0], [3.0, 0.0]], [0.0, 1.0], [[1.0, 1.0], [-1.0, 1.0]])
    assert (d.bias_sq, d.variance, d.noise, d.expected_error) == (2.5, 0.5, 0.5, 4.5)
    assert d.gap == pytest.approx(1.0)


def test_gap_is_exactly_the_cross_term_on_the_same_draws() -> None:
    rng = np.random.default_rng(3)
    P, f_x = _predictions(30, 9, seed=3)
    Y = f_x + NOISE_STD * rng.standard_normal(P.shape)
    d = decompose(P, f_x, Y)
    assert d.gap == pytest.approx((2 * (Y - f_x) * (f_x - P)).mean(), abs=1e-12)


@pytest.mark.parametrize("degree", [1, 3, 6])
def test_three_terms_add_up_to_the_measured_error_within_standard_errors(degree: int) -> None:
    d = monte_carlo_bias_variance(degree, n_sets=500, rng=degree)
    assert abs(d.gap) < 4 * d.gap_se
    assert abs(d.noise - NOISE_STD**2) < 4 * d.noise_se  # the measured noise is sigma^2
    # The noise double-counted, or omitted, misses by sigma^2 = 0.09: dozens of standard errors.
    assert abs(d.expected_error - (d.total + d.noise)) > 20 * d.gap_se
    assert abs(d.expected_error - (d.bias_sq + d.variance)) > 20 * d.gap_se


def test_jackknife_errors_agree_with_the_textbook_formulas() -> None:
    """For a mean the jackknife is exact: std(ddof=1)/sqrt(R); the gap's SE is that of the per-set cross term."""
    rng = np.random.default_rng(5)
    P, f_x = _predictions(40, 6, seed=5)
    Y = f_x + NOISE_STD * rng.standard_normal(P.shape)
    d = decompose(P, f_x, Y)
    err_r = ((Y - P) ** 2).mean(axis=1)
    assert d.expected_error_se == pytest.approx(err_r.std(ddof=1) / np.sqrt(40), rel=1e-10)
    noise_r = ((Y - f_x) ** 2).mean(axis=1)
    assert d.noise_se == pytest.approx(noise_r.std(ddof=1) / np.sqrt(40), rel=1e-10)
    cross_r = (2 * (Y - f_x) * (f_x - P)).mean(axis=1)
    assert d.gap_se == pytest.approx(cross_r.std(ddof=1) / np.sqrt(40), rel=0.05)


def test_se_shrinks_like_one_over_sqrt_sets() -> None:
    small = monte_carlo_bias_variance(3, n_sets=100, rng=0)
    large = monte_carlo_bias_variance(3, n_sets=1600, rng=0)
    assert 3.0 < small.gap_se / large.gap_se < 5.5  # sqrt(16) = 4
    assert 3.0 < small.bias_sq_se / large.bias_sq_se < 5.5
    # The variance's own error shrinks more slowly: a rare training set with a gap near an edge
    # gives a wild fit, and more sets find rarer ones (heavy tails; the page warns about it).
    assert large.variance_se < small.variance_se


def test_plug_in_bias_is_inflated_by_variance_over_r() -> None:
    """An unbiased model with prediction variance 2.0, estimated from R = 50 sets: E[plug-in] = 2/50."""
    rng = np.random.default_rng(0)
    P = np.sqrt(2.0) * rng.standard_normal((4000, 50, 1))  # 4000 experiments of 50 sets at one point, f = 0
    plug_in = np.array([bias_variance_terms(p, [0.0])[0][0] for p in P])
    assert plug_in.mean() == pytest.approx(2.0 / 50, rel=0.06)


# ---------------------------------------------------------------- fitting: against numpy and scikit-learn


@pytest.mark.parametrize(("n", "degree"), [(3, 0), (5, 1), (12, 3), (30, 7), (10, 9)])
def test_polynomial_fit_matches_polyfit_and_sklearn(n: int, degree: int) -> None:
    (x,), (y,) = sample_training_sets(1, n, rng=n + degree)
    coef = fit_polynomial(x, y, degree)
    if degree < n - 1:  # at the interpolating degree the coefficients are ill-conditioned; the fit is not
        np.testing.assert_allclose(coef, np.polyfit(x, y, degree)[::-1], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(predict_polynomial(coef, x), np.polyval(np.polyfit(x, y, degree), x), atol=1e-7)
    if degree == n - 1:
        return  # interpolating: scikit-learn's lstsq cutoff and the pseudo-inverse part ways off the data
    features = PolynomialFeatures(degree).fit_transform(x[:, None])
    grid = np.linspace(-1, 1, 9)
    sk = (
        LinearRegression(fit_intercept=False)
        .fit(features, y)
        .predict(PolynomialFeatures(degree).fit_transform(grid[:, None]))
    )
    np.testing.assert_allclose(predict_polynomial(coef, grid), sk, rtol=1e-6, atol=1e-7)


def test_batched_fit_equals_one_fit_per_set() -> None:
    x, y = sample_training_sets(6, 10, rng=2)
    batched = fit_polynomial(x, y, 3)
    for r in range(6):
        np.testing.assert_allclose(batched[r], np.polyfit(x[r], y[r], 3)[::-1], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("ridge", [1e-3, 0.1, 10.0])
def test_ridge_matches_sklearn_without_intercept(ridge: float) -> None:
    """Every coefficient is penalised, the constant included: sklearn's Ridge(fit_intercept=False) on 1, x, x^2, ..."""
    (x,), (y,) = sample_training_sets(1, 15, rng=4)
    V = polynomial_features(x, 5)
    want = Ridge(alpha=ridge, fit_intercept=False, solver="cholesky").fit(V, y).coef_
    np.testing.assert_allclose(fit_polynomial(x, y, 5, ridge=ridge), want, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("n", "p"), [(10, 3), (10, 10), (10, 40)])
def test_min_norm_least_squares_is_the_pseudo_inverse_and_lstsq(n: int, p: int) -> None:
    rng = np.random.default_rng(n * p)
    Phi, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    w = min_norm_least_squares(Phi, y)
    np.testing.assert_allclose(w, np.linalg.lstsq(Phi, y, rcond=None)[0], rtol=1e-8, atol=1e-10)
    if p > n:  # it interpolates, and any step along the null space makes the weights longer
        np.testing.assert_allclose(Phi @ w, y, atol=1e-9)
        null = np.linalg.svd(Phi)[2][n:]
        other = w + null.T @ rng.standard_normal(p - n)
        assert np.linalg.norm(other) > np.linalg.norm(w)


def test_ridge_shrinks_the_variance_of_one_weight_by_the_squared_factor() -> None:
    """One feature with sum x^2 = 4 and lambda = 4: w_ridge = w_ols * 4/8, so its variance is a quarter."""
    x = np.array([[1.0], [1.0], [1.0], [1.0]])  # sum of squares 4
    rng = np.random.default_rng(0)
    Y = 2.0 * x[:, 0] + rng.standard_normal((20000, 4))
    ols = min_norm_least_squares(np.broadcast_to(x, (20000, 4, 1)), Y)[:, 0]
    ridge = min_norm_least_squares(np.broadcast_to(x, (20000, 4, 1)), Y, ridge=4.0)[:, 0]
    np.testing.assert_allclose(ridge, ols * 0.5, rtol=1e-12)
    assert ridge.var() / ols.var() == pytest.approx(0.25, rel=1e-9)


def test_random_relu_features_match_torch_relu_scaled() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal((5, 3)), rng.standard_normal((3, 7))
    want = torch.relu(torch.from_numpy(x) @ torch.from_numpy(W)).numpy() / np.sqrt(7)
    np.testing.assert_allclose(random_relu_features(x, W), want, rtol=1e-12)


# ---------------------------------------------------------------- the page's claims: complexity, ridge, double descent

DEGREES = list(range(11))


@pytest.fixture(scope="module")
def sweep() -> list:
    return [monte_carlo_bias_variance(k, n_sets=500, rng=0) for k in DEGREES]


def test_test_error_is_u_shaped_over_degree(sweep: list) -> None:
    error = np.array([d.expected_error for d in sweep])
    best = int(np.argmin(error))
    assert best == 4  # the page's figure: the minimum sits at degree 4
    assert error[0] > 4 * error[best] and error[10] > 100 * error[best]
    bias = np.array([d.bias_sq for d in sweep])
    variance = np.array([d.variance for d in sweep])
    assert bias[0] > 0.4 and bias[best] < 0.01  # underfitting is bias ...
    assert variance[10] > 100 * variance[best]  # ... overfitting is variance
    for d in sweep:
        assert abs(d.gap) < 4 * d.gap_se


def test_ridge_trades_bias_for_variance() -> None:
    runs = [monte_carlo_bias_variance(10, ridge=lam, n_sets=500, rng=0) for lam in [1e-3, 1e-2, 1e-1, 1.0, 10.0]]
    variance = [d.variance for d in runs]
    bias = [d.bias_sq for d in runs]
    assert all(a > b for a, b in itertools.pairwise(variance))
    assert all(a < b for a, b in itertools.pairwise(bias))
    unregularised = monte_carlo_bias_variance(10, n_sets=500, rng=0)
    assert unregularised.expected_error > 1 and runs[2].expected_error == pytest.approx(0.13, abs=0.01)
    # The page's pitfall: the plug-in bias squared is inflated by var / R = 84 / 500, about 0.17.
    assert unregularised.variance == pytest.approx(84, rel=0.05)
    assert unregularised.variance / 500 == pytest.approx(0.17, abs=0.005)
    assert unregularised.variance / 500 > unregularised.bias_sq - unregularised.variance / 500


def test_ridge_figure_claims() -> None:
    """The ridge figure: variance falls at every lambda, bias squared rises from 1e-3 on, error lowest near 0.03."""
    lambdas = np.logspace(-4, 1, 11)
    runs = [monte_carlo_bias_variance(10, ridge=float(lam), n_sets=500, rng=0) for lam in lambdas]
    variance = [d.variance for d in runs]
    bias = [d.bias_sq for d in runs]
    assert all(a > b for a, b in itertools.pairwise(variance))
    assert all(a < b for a, b in itertools.pairwise(bias[2:]))  # lambdas[2] = 1e-3
    assert lambdas[int(np.argmin([d.expected_error for d in runs]))] == pytest.approx(10**-1.5)
    assert monte_carlo_bias_variance(10, n_sets=500, rng=0).expected_error == pytest.approx(84, rel=0.05)


PS = [5, 10, 20, 30, 40, 50, 60, 100, 200, 1000]


def test_double_descent_peaks_at_the_interpolation_threshold_and_falls_again() -> None:
    error = double_descent_curve(PS, rng=0)
    peak = PS[int(np.argmax(error))]
    assert peak == 40  # p = n_train
    after = dict(zip(PS, error, strict=True))
    assert after[1000] < after[200] < after[60] < after[40]
    assert after[1000] < min(after[p] for p in PS if p < 40)  # the second descent goes below the first minimum
    ridged = double_descent_curve(PS, ridge=0.1, rng=0)
    assert ridged.max() < 1.1 and ridged[PS.index(40)] < error[PS.index(40)] / 100  # ridge removes the peak


def test_every_numeric_key_is_computed() -> None:
    preds = [[1.0], [1.4], [0.8], [1.2]]
    bias_sq, variance = bias_variance_terms(preds, [0.9])
    grid = [20, 30, 35, 38, 40, 42, 45, 50, 60]
    computed = {
        "bias_variance.hand-bias": float(bias_sq[0]),
        "bias_variance.hand-variance": float(variance[0]),
        "bias_variance.total-error": 0.04 + 0.09 + NOISE_STD**2,
        "bias_variance.plugin-bias-inflation": 2.0 / 50,
        "bias_variance.interpolation-threshold": grid[int(np.argmax(double_descent_curve(grid, rng=1)))],
        "bias_variance.ridge-variance-factor": (4.0 / (4.0 + 4.0)) ** 2,
        "bias_variance.interpolating-degree": _smallest_interpolating_degree(10),
    }
    check_numeric_keys("bias_variance", computed, bank_tolerance)


def _smallest_interpolating_degree(n: int) -> int:
    x = np.linspace(-1, 1, n)
    y = np.random.default_rng(0).standard_normal(n)
    for k in range(n + 1):
        if np.allclose(predict_polynomial(fit_polynomial(x, y, k), x), y, atol=1e-8):
            return k
    raise AssertionError("no degree interpolates")


# ---------------------------------------------------------------- errors, exercises, page


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: bias_variance_terms([1.0, 2.0], [0.0]), "predictions must have shape"),
        (lambda: bias_variance_terms([[1.0, 2.0]], [0.0]), "f_x must have shape"),
        (lambda: decompose([[1.0]], [0.0], [[1.0]]), "at least 2 training sets"),
        (lambda: decompose([[1.0], [2.0]], [0.0], [[1.0]]), "y_test must have the shape"),
        (lambda: fit_polynomial([1.0, 2.0], [1.0], 1), "same shape"),
        (lambda: fit_polynomial([1.0, 2.0], [1.0, 2.0], -1), "degree must be a non-negative integer"),
        (lambda: min_norm_least_squares([[1.0]], [1.0], ridge=-1.0), "ridge must be >= 0"),
        (lambda: min_norm_least_squares([1.0], [1.0]), "Phi must have shape"),
        (lambda: random_relu_features([[1.0, 2.0]], [[1.0]]), "W must have shape"),
        (lambda: sample_training_sets(0, 5), "n_sets must be a positive integer"),
        (lambda: sample_training_sets(2, 5, noise_std=-0.1), "noise_std must be >= 0"),
        (lambda: double_descent_curve([0]), "n_features must be a positive integer"),
    ],
)
def test_bad_input_raises_one_line_value_errors(call: Callable, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_torch_tensors_are_refused_with_a_type_error() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        bias_variance_terms(torch.zeros(2, 2), [0.0, 0.0])


def test_sine_is_neither_odd_nor_even() -> None:
    x = np.linspace(0.1, 0.9, 5)
    assert not np.allclose(sine(-x), -sine(x)) and not np.allclose(sine(-x), sine(x))


@pytest.mark.parametrize(
    ("exercise", "impl"),
    [("bias_variance.terms", bias_variance_terms), ("bias_variance.polynomial", polynomial_decomposition)],
)
def test_exercise_checks_pass_on_our_implementation(exercise: str, impl: Callable) -> None:
    from concepts.exercises._harness import run_checks
    from concepts.exercises.bias_variance import CHECKS

    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed
