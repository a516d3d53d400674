"""Checks for the regularization exercises: inverted dropout and a Lasso coordinate-descent solver.

The trusted references are values worked by hand (a fixed keep mask, an orthogonal design
whose Lasso solution is one soft-threshold per feature), PyTorch (``nn.Dropout``'s
statistics and ``F.dropout`` at ``p = 0`` and ``p = 1``), ``numpy.linalg.lstsq`` for the
unpenalised Lasso, and the optimality (KKT) conditions of scikit-learn's Lasso objective
``(1/(2n)) ||y - Xw||² + alpha ||w||_1``, computed here independently of the package.
``tests/concepts/test_regularization.py`` runs the same checks on ``concepts.regularization``.
Adam with an L2 penalty against AdamW is an exercise of the optimizers concept
(``optimizers.adam-step`` and ``optimizers.adamw-step``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]

# ---------------------------------------------------------------- regularization.dropout


@check("with a given keep mask, training output is x * mask / (1 - p)", section="reg-dropout-math")
def check_given_mask(candidate: Callable) -> None:
    x = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    mask = np.array([[True, False, True], [True, True, False]])
    for p in (0.25, 0.8):
        want = np.where(mask, x / (1 - p), 0.0)  # kept entries scaled up, dropped ones zero
        got = candidate(x, p, training=True, mask=mask)
        compare(got, want, inputs={"x": x, "mask": mask, "p": p}, rtol=1e-12, atol=1e-12)


@check("in evaluation (training=False) the output is x itself, for every p", section="reg-dropout-math")
def check_eval_is_identity(candidate: Callable) -> None:
    x = np.array([0.5, -1.0, 2.0, 3.0])
    for p in (0.1, 0.5, 0.9):
        compare(candidate(x, p, training=False), x, inputs={"x": x, "p": p}, what="the eval output", rtol=0, atol=0)


@check(
    "over 100,000 draws: share zeroed ≈ p and mean ≈ 1 (within 5 standard errors), as nn.Dropout", section="reg-dropout"
)
def check_statistics_match_torch(candidate: Callable) -> None:
    torch = require_torch()
    n = 100_000
    for i, p in enumerate((0.1, 0.3, 0.7)):
        out = np.asarray(candidate(np.ones(n), p, training=True, rng=np.random.default_rng(10 + i)), dtype=np.float64)
        torch.manual_seed(10 + i)
        ref = torch.nn.Dropout(p).train()(torch.ones(n, dtype=torch.float64)).numpy()
        zero_se = np.sqrt(p * (1 - p) / n)  # binomial standard error of the share zeroed
        mean_se = np.sqrt(p / (1 - p) / n)  # each entry has variance p / (1 - p)
        for name, got in (("your output", out), ("nn.Dropout", ref)):
            share = float(np.mean(got == 0))
            expect(
                abs(share - p) <= 5 * zero_se,
                f"{name}: share of zeros {share:.4f} with p = {p}; expected {p} ± {5 * zero_se:.4f} "
                "(p is the probability of DROPPING a unit)",
            )
            expect(
                abs(got.mean() - 1) <= 5 * mean_se,
                f"{name}: mean {got.mean():.4f} on an input of ones with p = {p}; expected 1 ± {5 * mean_se:.4f} "
                "(kept units are scaled by 1/(1 - p) in training so the mean is preserved)",
            )
        kept = out[out != 0]
        compare(kept, np.full(kept.shape, 1 / (1 - p)), inputs={"p": p}, what="the kept values", rtol=1e-12)


@check("p = 0 is the identity and p = 1 gives zeros, as F.dropout", section="reg-dropout-math")
def check_p_zero_and_one(candidate: Callable) -> None:
    torch = require_torch()
    F = torch.nn.functional
    x = np.array([1.5, -2.0, 0.0, 4.0])
    for p in (0.0, 1.0):
        want = F.dropout(torch.from_numpy(x), p, training=True).numpy()
        compare(candidate(x, p, training=True, rng=0), want, inputs={"x": x, "p": p}, rtol=0, atol=0)


# ---------------------------------------------------------------- regularization.lasso-cd


def _kkt_violation(X: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float) -> np.ndarray:
    """How far each coordinate is from the Lasso optimality conditions (0 at the minimiser).

    With ``c = Xᵀ(y - Xw)/n``: ``c_j = alpha sign(w_j)`` where ``w_j != 0``, ``|c_j| <= alpha`` where ``w_j = 0``.
    """
    c = X.T @ (y - X @ w) / len(y)
    return np.where(w != 0, np.abs(c - alpha * np.sign(w)), np.maximum(np.abs(c) - alpha, 0.0))


def _lasso_problem(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, d)  # unequal column norms on purpose
    w = rng.standard_normal(d) * (rng.random(d) < 0.5)
    return X, X @ w + 0.5 * rng.standard_normal(n)


@check("orthogonal columns: w_j = S(x_jᵀy, n·alpha) / ||x_j||², worked by hand", section="reg-lasso")
def check_orthogonal_closed_form(candidate: Callable) -> None:
    X = np.array([[2.0, 0.0], [0.0, 3.0], [0.0, 0.0], [0.0, 0.0]])
    y = np.array([5.0, 3.0, 1.0, -1.0])
    # n = 4, alpha = 0.5: threshold n·alpha = 2. xᵀy = (10, 9) -> S = (8, 7); ||x||² = (4, 9).
    compare(candidate(X, y, 0.5), [2.0, 7 / 9], inputs={"X": X, "y": y, "alpha": 0.5}, rtol=1e-9, atol=1e-12)
    # alpha = 3: threshold 12 exceeds both |xᵀy|, so every coefficient is exactly zero.
    compare(candidate(X, y, 3.0), [0.0, 0.0], inputs={"X": X, "y": y, "alpha": 3.0}, rtol=0, atol=0)


@check("alpha = 0 on a tall X gives the least-squares fit (numpy.linalg.lstsq)", section="reg-lasso-cd")
def check_alpha_zero_is_least_squares(candidate: Callable) -> None:
    X, y = _lasso_problem(12, 3, seed=1)
    want = np.linalg.lstsq(X, y, rcond=None)[0]
    compare(candidate(X, y, 0.0), want, inputs={"X": X, "y": y, "alpha": 0.0}, rtol=1e-7, atol=1e-9)


@check("the optimality conditions of (1/(2n))||y - Xw||² + alpha||w||_1 hold at your w", section="reg-lasso-cd")
def check_optimality_conditions(candidate: Callable) -> None:
    for i, (n, d) in enumerate([(5, 2), (20, 6), (40, 10)]):
        X, y = _lasso_problem(n, d, seed=20 + i)
        alpha_max = np.max(np.abs(X.T @ y)) / n  # the smallest alpha with w = 0
        for alpha in (0.05 * alpha_max, 0.3 * alpha_max, 0.9 * alpha_max):
            w = np.asarray(candidate(X, y, alpha), dtype=np.float64)
            expect(w.shape == (d,), f"w must have shape (n_features,) = ({d},); got {w.shape}")
            compare(_kkt_violation(X, y, w, alpha), np.zeros(d), inputs={"X": X, "y": y, "alpha": alpha},
                    what="the violation of |Xᵀ(y - Xw)/n| = alpha (w_j != 0) or <= alpha (w_j = 0)",
                    rtol=0, atol=1e-8)  # fmt: skip
        w = np.asarray(candidate(X, y, alpha_max * (1 + 1e-9)))
        compare(w, np.zeros(d), inputs={"X": X, "y": y, "alpha": "max|Xᵀy|/n"}, what="w above alpha_max", atol=0)


CHECKS: dict[str, list] = {
    "regularization.dropout": [
        check_given_mask,
        check_eval_is_identity,
        check_statistics_match_torch,
        check_p_zero_and_one,
    ],
    "regularization.lasso-cd": [
        check_orthogonal_closed_form,
        check_alpha_zero_is_least_squares,
        check_optimality_conditions,
    ],
}
