"""The bias-variance decomposition of squared error, measured by Monte Carlo, and double descent.

For squared loss the expected error of a learning algorithm at a point splits exactly into
noise + bias squared + variance (Geman, Bienenstock and Doursat, 1992). This module draws
many training sets from a known function (a sine plus Gaussian noise), fits each one, and
measures the three terms and the expected test error with jackknife standard errors over
the training sets. Double descent follows Belkin, Hsu, Ma and Mandal (2019): minimum-norm
least squares on random ReLU features (Rahimi and Recht, 2007) peaks at p = n.

Conventions: variances over training sets divide by the number of sets (``ddof=0``), the
plug-in convention under which bias squared plus variance equals the mean squared
distance to the true function exactly; ridge penalises every coefficient, the constant
included. Left out: decompositions for 0-1 loss (Domingos, 2000), and the variance split
into its sources (initialisation, sampling) studied for neural networks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import (
    as_array,
    require_finite,
    require_ndim,
    require_nonnegative_int,
    require_positive_int,
    require_rng,
)

__all__ = [
    "Decomposition",
    "bias_variance_terms",
    "decompose",
    "double_descent_curve",
    "fit_polynomial",
    "min_norm_least_squares",
    "monte_carlo_bias_variance",
    "polynomial_decomposition",
    "polynomial_features",
    "predict_polynomial",
    "random_relu_features",
    "sample_training_sets",
    "sine",
]


def sine(x: ArrayLike) -> np.ndarray:
    """The true function of the polynomial experiments, ``sin(pi x + 0.5)`` on ``[-1, 1]``.

    The phase makes it neither odd nor even, so every added power can lower the bias.

    >>> import numpy as np
    >>> from concepts.bias_variance import sine
    >>> sine([-0.5 / np.pi, 0.5 - 0.5 / np.pi]).round(4).tolist()
    [0.0, 1.0]
    """
    return np.sin(np.pi * as_array(x, "x") + 0.5)


def _nonnegative(value: float, name: str) -> float:
    value = require_finite(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0; got {value!r}")
    return value


def sample_training_sets(
    n_sets: int,
    n_train: int,
    *,
    noise_std: float = 0.3,
    f: Callable[[np.ndarray], np.ndarray] = sine,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_sets`` training sets of ``n_train`` points: x uniform on [-1, 1], y = f(x) + noise.

    :returns: ``(x, y)``, each of shape ``(n_sets, n_train)``.

    >>> from concepts.bias_variance import sample_training_sets
    >>> x, y = sample_training_sets(3, 5, rng=0)
    >>> x.shape, y.shape
    ((3, 5), (3, 5))
    """
    n_sets, n_train = require_positive_int(n_sets, "n_sets"), require_positive_int(n_train, "n_train")
    noise_std, rng = _nonnegative(noise_std, "noise_std"), require_rng(rng)
    x = rng.uniform(-1.0, 1.0, size=(n_sets, n_train))
    return x, f(x) + noise_std * rng.standard_normal(x.shape)


def polynomial_features(x: ArrayLike, degree: int) -> np.ndarray:
    """The columns ``1, x, x**2, ..., x**degree``: shape ``(..., n) -> (..., n, degree + 1)``.

    >>> from concepts.bias_variance import polynomial_features
    >>> polynomial_features([2.0, 3.0], 2).tolist()
    [[1.0, 2.0, 4.0], [1.0, 3.0, 9.0]]
    """
    x, degree = as_array(x, "x"), require_nonnegative_int(degree, "degree")
    return x[..., None] ** np.arange(degree + 1)


def min_norm_least_squares(Phi: ArrayLike, y: ArrayLike, *, ridge: float = 0.0) -> np.ndarray:
    """Weights ``w`` minimising ``||Phi w - y||^2 + ridge ||w||^2``; the minimum-norm one when ``ridge = 0``.

    With ``ridge = 0`` this is ``pinv(Phi) @ y``: the least-squares fit when ``Phi`` has
    more rows than columns, and among the interpolating fits the one of least norm when it
    has more columns than rows. Stacks of problems broadcast over leading axes.

    :param Phi: features, shape ``(..., n, p)``.
    :param y: targets, shape ``(..., n)``.
    :returns: ``w``, shape ``(..., p)``.

    >>> from concepts.bias_variance import min_norm_least_squares
    >>> min_norm_least_squares([[1.0, 1.0]], [2.0]).round(6).tolist()  # the shortest w with w1 + w2 = 2
    [1.0, 1.0]
    """
    Phi, y, ridge = as_array(Phi, "Phi"), as_array(y, "y"), _nonnegative(ridge, "ridge")
    if Phi.ndim < 2 or y.shape != Phi.shape[:-1]:
        raise ValueError(f"Phi must have shape (..., n, p) and y shape (..., n); got {Phi.shape} and {y.shape}")
    if ridge == 0:
        return (np.linalg.pinv(Phi) @ y[..., None])[..., 0]
    n, p = Phi.shape[-2:]
    PhiT = np.swapaxes(Phi, -1, -2)
    if p <= n:  # (Phi^T Phi + lambda I) w = Phi^T y, a p x p system
        return np.linalg.solve(PhiT @ Phi + ridge * np.eye(p), PhiT @ y[..., None])[..., 0]
    # the same w in its dual form, an n x n system: w = Phi^T (Phi Phi^T + lambda I)^-1 y
    return (PhiT @ np.linalg.solve(Phi @ PhiT + ridge * np.eye(n), y[..., None]))[..., 0]


def fit_polynomial(x: ArrayLike, y: ArrayLike, degree: int, *, ridge: float = 0.0) -> np.ndarray:
    """Least-squares polynomial coefficients, lowest power first; ``(..., n) -> (..., degree + 1)``.

    >>> from concepts.bias_variance import fit_polynomial
    >>> fit_polynomial([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], 1).round(6).tolist()  # y = 1 + 2x
    [1.0, 2.0]
    """
    x, y = as_array(x, "x"), as_array(y, "y")
    if x.shape != y.shape or x.ndim < 1:
        raise ValueError(f"x and y must have the same shape (..., n); got {x.shape} and {y.shape}")
    return min_norm_least_squares(polynomial_features(x, degree), y, ridge=ridge)


def predict_polynomial(coef: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Evaluate polynomials with coefficients ``(..., degree + 1)`` at points ``(m,)``: ``(..., m)``.

    >>> from concepts.bias_variance import predict_polynomial
    >>> predict_polynomial([1.0, 2.0], [0.0, 1.0, 2.0]).tolist()
    [1.0, 3.0, 5.0]
    """
    coef, x = as_array(coef, "coef"), as_array(x, "x")
    require_ndim(x, "x", 1, "(m,)")
    return coef @ polynomial_features(x, coef.shape[-1] - 1).T  # (..., k+1) @ (k+1, m)


def bias_variance_terms(predictions: ArrayLike, f_x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Bias squared and variance at each point, from predictions over many training sets.

    ``bias_sq = (mean over sets of prediction - f(x))**2`` and ``variance = mean over sets
    of (prediction - that mean)**2`` (``ddof=0``), so that at every point
    ``bias_sq + variance == mean over sets of (prediction - f(x))**2`` exactly.

    :param predictions: shape ``(n_sets, n_points)``: row r is the model fitted on set r.
    :param f_x: the true function at the points, shape ``(n_points,)``.
    :returns: ``(bias_sq, variance)``, each of shape ``(n_points,)``.

    >>> from concepts.bias_variance import bias_variance_terms
    >>> bias_sq, variance = bias_variance_terms([[1.0, 0.0], [3.0, 0.0]], [0.0, 1.0])
    >>> bias_sq.tolist(), variance.tolist()  # means (2, 0); spreads +-1 and 0
    ([4.0, 1.0], [1.0, 0.0])
    """
    predictions, f_x = as_array(predictions, "predictions"), as_array(f_x, "f_x")
    require_ndim(predictions, "predictions", 2, "(n_sets, n_points)")
    if f_x.shape != predictions.shape[1:]:
        raise ValueError(f"f_x must have shape (n_points,) = {predictions.shape[1:]}; got {f_x.shape}")
    mean = predictions.mean(axis=0)  # the average model, over training sets
    return (mean - f_x) ** 2, ((predictions - mean) ** 2).mean(axis=0)


@dataclass(frozen=True)
class Decomposition:
    """Monte Carlo estimates averaged over the test points, each with a jackknife standard error.

    ``gap = expected_error - (bias_sq + variance + noise)`` is exactly twice the mean of
    noise times (f - prediction) on the test draws: zero in expectation, ``gap_se`` its error.
    """

    bias_sq: float
    variance: float
    noise: float
    expected_error: float
    bias_sq_se: float
    variance_se: float
    noise_se: float
    expected_error_se: float
    gap_se: float

    @property
    def total(self) -> float:
        """``bias_sq + variance + noise``, to compare with ``expected_error``."""
        return self.bias_sq + self.variance + self.noise

    @property
    def gap(self) -> float:
        """``expected_error - total``."""
        return self.expected_error - self.total


def _jackknife_se(leave_one_out: np.ndarray) -> float:
    """Jackknife standard error from the R leave-one-set-out estimates."""
    R = len(leave_one_out)
    return float(np.sqrt((R - 1) / R * ((leave_one_out - leave_one_out.mean()) ** 2).sum()))


def decompose(predictions: ArrayLike, f_x: ArrayLike, y_test: ArrayLike) -> Decomposition:
    """Bias squared, variance, noise and the measured expected error, averaged over the points.

    :param predictions: shape ``(n_sets, n_points)``, the model fitted on set r at each point.
    :param f_x: the true function at the points, shape ``(n_points,)``.
    :param y_test: fresh noisy targets ``f(x) + noise``, one draw per set and point,
        shape ``(n_sets, n_points)``, independent of the training sets.

    >>> from concepts.bias_variance import decompose
    >>> d = decompose([[1.0, 0.0], [3.0, 0.0]], [0.0, 1.0], [[1.0, 1.0], [-1.0, 1.0]])
    >>> d.bias_sq, d.variance, d.noise, d.expected_error
    (2.5, 0.5, 0.5, 4.5)
    """
    P, f_x, Y = as_array(predictions, "predictions"), as_array(f_x, "f_x"), as_array(y_test, "y_test")
    if Y.shape != P.shape:
        raise ValueError(f"y_test must have the shape of predictions {P.shape}; got {Y.shape}")
    bias_sq, variance = bias_variance_terms(P, f_x)
    R = P.shape[0]
    if R < 2:
        raise ValueError(f"the decomposition needs at least 2 training sets; got {R}")
    noise_r = ((Y - f_x) ** 2).mean(axis=1)  # (R,) one value per set, averaged over x
    error_r = ((Y - P) ** 2).mean(axis=1)
    # Leave-one-set-out estimates, in closed form: the mean model and second moment without set r.
    mean_loo = (P.sum(axis=0) - P) / (R - 1)  # (R, m)
    second_loo = ((P**2).sum(axis=0) - P**2) / (R - 1)
    bias_loo = ((mean_loo - f_x) ** 2).mean(axis=1)
    var_loo = (second_loo - mean_loo**2).mean(axis=1)
    noise_loo = (noise_r.sum() - noise_r) / (R - 1)
    error_loo = (error_r.sum() - error_r) / (R - 1)
    return Decomposition(
        bias_sq=float(bias_sq.mean()),
        variance=float(variance.mean()),
        noise=float(noise_r.mean()),
        expected_error=float(error_r.mean()),
        bias_sq_se=_jackknife_se(bias_loo),
        variance_se=_jackknife_se(var_loo),
        noise_se=_jackknife_se(noise_loo),
        expected_error_se=_jackknife_se(error_loo),
        gap_se=_jackknife_se(error_loo - bias_loo - var_loo - noise_loo),
    )


def polynomial_decomposition(
    x_train: ArrayLike, y_train: ArrayLike, x_test: ArrayLike, f_test: ArrayLike, y_test: ArrayLike, degree: int
) -> tuple[float, float, float, float]:
    """Fit a degree-``degree`` polynomial to each training set; return the four averaged terms.

    :param x_train: shape ``(n_sets, n_train)``; ``y_train`` the same.
    :param x_test: shape ``(n_points,)``; ``f_test`` the true function there, same shape.
    :param y_test: fresh noisy targets, shape ``(n_sets, n_points)``.
    :returns: ``(bias_sq, variance, noise, expected_error)``, each averaged over the points.

    >>> from concepts.bias_variance import polynomial_decomposition
    >>> x = [[-1.0, 1.0], [-1.0, 1.0]]
    >>> y = [[0.0, 2.0], [0.0, 0.0]]  # fits: 1 + x and 0
    >>> [round(t, 6) for t in polynomial_decomposition(x, y, [0.0], [0.0], [[1.0], [-1.0]], 1)]
    [0.25, 0.25, 1.0, 0.5]
    """
    coef = fit_polynomial(x_train, y_train, degree)  # (n_sets, degree + 1)
    d = decompose(predict_polynomial(coef, x_test), f_test, y_test)
    return d.bias_sq, d.variance, d.noise, d.expected_error


def monte_carlo_bias_variance(
    degree: int,
    *,
    n_train: int = 30,
    n_sets: int = 500,
    n_test: int = 200,
    noise_std: float = 0.3,
    ridge: float = 0.0,
    f: Callable[[np.ndarray], np.ndarray] = sine,
    rng: np.random.Generator | int | None = None,
) -> Decomposition:
    """The decomposition for polynomial regression on ``n_sets`` fresh training sets.

    The test points are a grid of ``n_test`` points on [-1, 1] (so the averages over x
    approximate the uniform distribution the training inputs come from).

    >>> from concepts.bias_variance import monte_carlo_bias_variance
    >>> d = monte_carlo_bias_variance(3, rng=0)
    >>> abs(d.gap) < 4 * d.gap_se
    True
    """
    rng = require_rng(rng)
    x_train, y_train = sample_training_sets(n_sets, n_train, noise_std=noise_std, f=f, rng=rng)
    x_test = np.linspace(-1.0, 1.0, require_positive_int(n_test, "n_test"))
    f_test = f(x_test)
    y_test = f_test + noise_std * rng.standard_normal((n_sets, n_test))
    coef = fit_polynomial(x_train, y_train, degree, ridge=ridge)
    return decompose(predict_polynomial(coef, x_test), f_test, y_test)


def random_relu_features(x: ArrayLike, W: ArrayLike) -> np.ndarray:
    """``max(0, x W) / sqrt(p)``: inputs ``x (n, d)`` and random weights ``W (d, p)`` give ``(n, p)``.

    >>> from concepts.bias_variance import random_relu_features
    >>> random_relu_features([[1.0], [-1.0]], [[1.0, -1.0, 2.0, 0.0]]).tolist()
    [[0.5, 0.0, 1.0, 0.0], [0.0, 0.5, 0.0, 0.0]]
    """
    x, W = as_array(x, "x"), as_array(W, "W")
    require_ndim(x, "x", 2, "(n, d)")
    if W.ndim != 2 or W.shape[0] != x.shape[1]:
        raise ValueError(f"W must have shape (d, p) with d = {x.shape[1]}; got {W.shape}")
    return np.maximum(x @ W, 0.0) / np.sqrt(W.shape[1])


def double_descent_curve(
    n_features: ArrayLike,
    *,
    n_train: int = 40,
    n_test: int = 500,
    d_input: int = 10,
    noise_std: float = 0.3,
    ridge: float = 0.0,
    n_repeats: int = 20,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Mean test error (against noisy targets) of random-ReLU-feature regression for each p.

    Each repeat draws ``x ~ N(0, I_d)`` with ``y = x . beta + noise``, ``beta = 1 / sqrt(d)``
    in every entry (so the signal has variance 1), for ``n_train`` training and ``n_test``
    test rows; then for each p fresh features ``W ~ N(0, 1/d)`` of shape ``(d, p)``, fitted
    by :func:`min_norm_least_squares`. The peak sits at the interpolation threshold p = n.

    :returns: shape ``(len(n_features),)``.

    >>> from concepts.bias_variance import double_descent_curve
    >>> err = double_descent_curve([10, 40, 1000], n_repeats=5, rng=0)
    >>> bool(err[1] > err[0] > err[2])  # a peak at p = n = 40, lowest far past it
    True
    """
    ps = [require_positive_int(int(p), "n_features") for p in np.atleast_1d(np.asarray(n_features))]
    rng, n_repeats = require_rng(rng), require_positive_int(n_repeats, "n_repeats")
    n_train, n_test = require_positive_int(n_train, "n_train"), require_positive_int(n_test, "n_test")
    d, noise_std = require_positive_int(d_input, "d_input"), _nonnegative(noise_std, "noise_std")
    beta = np.full(d, 1.0 / np.sqrt(d))
    errors = np.zeros((n_repeats, len(ps)))
    for r in range(n_repeats):
        x = rng.standard_normal((n_train + n_test, d))
        y = x @ beta + noise_std * rng.standard_normal(n_train + n_test)
        x_tr, y_tr, x_te, y_te = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
        for j, p in enumerate(ps):
            W = rng.standard_normal((d, p)) / np.sqrt(d)
            w = min_norm_least_squares(random_relu_features(x_tr, W), y_tr, ridge=ridge)
            errors[r, j] = ((random_relu_features(x_te, W) @ w - y_te) ** 2).mean()
    return errors.mean(axis=0)
