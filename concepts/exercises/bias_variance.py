"""Checks for the bias-variance exercises: the two terms from predictions, and the full decomposition.

The trusted references are NumPy's own ``mean`` and ``var`` over the training-set axis,
``numpy.polyfit`` (a least-squares route independent of the package's pseudo-inverse),
hand-derived values, and the identity every correct answer satisfies: bias squared plus
variance equals the mean squared distance to the true function, exactly.
``tests/concepts/test_bias_variance.py`` runs the same checks on ``concepts.bias_variance``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]

# (n_sets, n_points), smallest first; (4, 4) is square so an axis mix-up cannot hide behind a shape.
SHAPES = [(2, 1), (3, 2), (4, 4), (5, 3), (50, 7)]


def _predictions(n_sets: int, n_points: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    f_x = rng.normal(size=n_points)
    offset = rng.normal(size=n_points)  # a bias that differs from point to point
    return f_x + offset + rng.normal(scale=rng.uniform(0.5, 2.0, n_points), size=(n_sets, n_points)), f_x


def _pair(got: object) -> tuple[np.ndarray, np.ndarray]:
    expect(isinstance(got, tuple | list) and len(got) == 2, "return a tuple (bias_sq, variance)")
    return np.asarray(got[0], dtype=np.float64), np.asarray(got[1], dtype=np.float64)


# ---------------------------------------------------------------- bias and variance from predictions


@check("a hand-worked 2 x 2 example: bias squared (2, 1)^2, variance (1, 0)", section="bias-variance-derivation")
def check_hand_example(candidate: Callable) -> None:
    P, f_x = [[1.0, 0.0], [3.0, 0.0]], [0.0, 1.0]
    got = _pair(candidate(P, f_x))
    compare(got, ([4.0, 1.0], [1.0, 0.0]), inputs={"predictions": np.array(P), "f_x": np.array(f_x)}, rtol=0,
            atol=1e-12)  # fmt: skip


@check("equals (mean over sets - f)^2 and np.var over the sets (axis 0, ddof 0)", section="bias-variance-derivation")
def check_against_numpy(candidate: Callable) -> None:
    for i, (R, m) in enumerate(SHAPES):
        P, f_x = _predictions(R, m, seed=i)
        want = ((P.mean(axis=0) - f_x) ** 2, P.var(axis=0))
        compare(_pair(candidate(P, f_x)), want, inputs={"predictions": P, "f_x": f_x}, rtol=1e-10, atol=1e-12)


@check("bias squared + variance equals the mean over sets of (prediction - f)^2", section="bias-variance-derivation")
def check_adds_up_exactly(candidate: Callable) -> None:
    for i, (R, m) in enumerate(SHAPES):
        P, f_x = _predictions(R, m, seed=10 + i)
        bias_sq, variance = _pair(candidate(P, f_x))
        compare(bias_sq + variance, ((P - f_x) ** 2).mean(axis=0), inputs={"predictions": P, "f_x": f_x},
                what="bias_sq + variance", rtol=1e-10, atol=1e-12)  # fmt: skip


# ---------------------------------------------------------------- the full decomposition for a polynomial


def _draws(n_sets: int, n_train: int, n_points: int, seed: int, noise_std: float = 0.3):
    rng = np.random.default_rng(seed)
    x_train = rng.uniform(-1.0, 1.0, (n_sets, n_train))
    y_train = np.sin(np.pi * x_train + 0.5) + noise_std * rng.standard_normal(x_train.shape)
    x_test = np.linspace(-1.0, 1.0, n_points)
    f_test = np.sin(np.pi * x_test + 0.5)
    y_test = f_test + noise_std * rng.standard_normal((n_sets, n_points))
    return x_train, y_train, x_test, f_test, y_test


def _polyfit_terms(x_train, y_train, x_test, f_test, y_test, degree) -> tuple[np.ndarray, np.ndarray]:
    """The four terms with numpy.polyfit; also the per-set cross terms 2 (y - f)(f - prediction)."""
    P = np.stack([np.polyval(np.polyfit(x, y, degree), x_test) for x, y in zip(x_train, y_train, strict=True)])
    mean = P.mean(axis=0)
    terms = np.array([
        ((mean - f_test) ** 2).mean(),
        ((P - mean) ** 2).mean(),
        ((y_test - f_test) ** 2).mean(),
        ((y_test - P) ** 2).mean(),
    ])  # fmt: skip
    return terms, (2 * (y_test - f_test) * (f_test - P)).mean(axis=1)


def _four(got: object) -> np.ndarray:
    expect(isinstance(got, tuple | list) and len(got) == 4, "return a tuple (bias_sq, variance, noise, expected_error)")
    return np.array([float(t) for t in got])


@check("a hand-worked example: two lines through two points each, one test point", section="bias-variance-derivation")
def check_poly_hand_example(candidate: Callable) -> None:
    args = ([[-1.0, 1.0], [-1.0, 1.0]], [[0.0, 2.0], [0.0, 0.0]], [0.0], [0.0], [[1.0], [-1.0]], 1)
    got = _four(candidate(*args))
    compare(got, [0.25, 0.25, 1.0, 0.5], inputs={"y_train": np.array(args[1]), "y_test": np.array(args[4])},
            what="(bias_sq, variance, noise, expected_error)", rtol=0, atol=1e-9)  # fmt: skip


@check("the four terms equal those of numpy.polyfit fits on the same draws", section="bias-variance-monte-carlo")
def check_against_polyfit(candidate: Callable) -> None:
    for i, (R, n, m, k) in enumerate([(3, 4, 2, 1), (5, 6, 5, 2), (40, 15, 20, 3)]):
        args = _draws(R, n, m, seed=20 + i)
        want, _ = _polyfit_terms(*args, k)
        compare(_four(candidate(*args, k)), want, inputs={"n_sets": R, "n_train": n, "degree": k},
                what="(bias_sq, variance, noise, expected_error)", rtol=1e-6, atol=1e-10)  # fmt: skip


@check("the noise term is the mean of (y_test - f_test)^2, measured on the test draws", section="bias-variance-noise")
def check_noise_term(candidate: Callable) -> None:
    args = _draws(30, 10, 25, seed=30)
    noise = ((args[4] - args[3]) ** 2).mean()
    compare(_four(candidate(*args, 2))[2], noise, inputs={"n_sets": 30, "degree": 2}, what="the noise term",
            rtol=1e-9, atol=1e-12)  # fmt: skip


@check(
    "bias^2 + variance + noise matches the measured error within 4 standard errors", section="bias-variance-monte-carlo"
)
def check_adds_up(candidate: Callable) -> None:
    for i, k in enumerate([1, 3]):
        args = _draws(200, 20, 40, seed=40 + i)
        _, cross = _polyfit_terms(*args, k)
        se = cross.std(ddof=1) / np.sqrt(len(cross))
        b, v, noise, error = _four(candidate(*args, k))
        expect(
            abs(error - (b + v + noise)) <= 4 * se,
            f"with degree {k} on 200 training sets, bias_sq + variance + noise = {b + v + noise:.5g} but the "
            f"measured expected_error = {error:.5g}: they differ by {error - (b + v + noise):.3g}, more than 4 "
            f"standard errors ({4 * se:.3g}). Is each term averaged the right way, and is the noise counted once?",
        )


CHECKS: dict[str, list] = {
    "bias_variance.terms": [check_hand_example, check_against_numpy, check_adds_up_exactly],
    "bias_variance.polynomial": [check_poly_hand_example, check_against_polyfit, check_noise_term, check_adds_up],
}
