"""Checks for the gradient-boosting exercises: XGBoost's leaf weights and split gain, and one boosting round.

The trusted references are values worked by hand, the second-order objective
``G w + 1/2 (H + lambda) w²`` evaluated directly (its drop when a leaf splits is the gain),
and, for the boosting round, a brute-force tree written here with plain loops: every
feature, every midpoint between distinct values, the split with the least summed squared
error. Nothing here calls ``concepts.gradient_boosting``;
``tests/concepts/test_gradient_boosting.py`` runs the same checks on it, and compares it
with scikit-learn and XGBoost themselves.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


def _split(candidate: Callable, g, h, go_left, **kwargs) -> tuple[float, float, float]:
    got = candidate(np.asarray(g, float), np.asarray(h, float), np.asarray(go_left, bool), **kwargs)
    expect(isinstance(got, tuple | list) and len(got) == 3, "return a tuple (w_left, w_right, gain)")
    return tuple(float(v) for v in got)


# ---------------------------------------------------------------- gradient_boosting.split-gain


@check("hand-worked split: g = (-2, -4, 1, 1), h = 1, the first two rows left", section="gb-xgb-gain")
def check_hand_worked_split(candidate: Callable) -> None:
    g, h, left = [-2.0, -4.0, 1.0, 1.0], [1.0] * 4, [True, True, False, False]
    inputs = {"g": g, "h": h, "go_left": left}
    # G_L = -6, H_L = 2; G_R = 2, H_R = 2; G = -4, H = 4.
    for lam, gamma, want in [
        (1.0, 0.0, (2.0, -2 / 3, 0.5 * (36 / 3 + 4 / 3 - 16 / 5))),  # 5.0667
        (0.0, 0.0, (3.0, -1.0, 0.5 * (36 / 2 + 4 / 2 - 16 / 4))),  # 8.0
        (1.0, 0.5, (2.0, -2 / 3, 0.5 * (36 / 3 + 4 / 3 - 16 / 5) - 0.5)),  # gamma is subtracted once
    ]:
        got = _split(candidate, g, h, left, reg_lambda=lam, gamma=gamma)
        args = {**inputs, "reg_lambda": lam, "gamma": gamma}
        compare(got[0], want[0], inputs=args, what="w_left = -G_L / (H_L + lambda)", rtol=1e-10)
        compare(got[1], want[1], inputs=args, what="w_right = -G_R / (H_R + lambda)", rtol=1e-10)
        compare(got[2], want[2], inputs=args, what="the gain 1/2 [...] - gamma", rtol=1e-10)


@check("leaf weights are -G / (H + lambda): lambda shrinks them towards 0", section="gb-xgb-weight")
def check_leaf_weights_use_lambda(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for n, lam in [(2, 1.0), (6, 3.0), (20, 0.5)]:
        g, h = rng.standard_normal(n), rng.uniform(0.05, 0.25, n)  # logistic-like hessians
        left = np.arange(n) < n // 2
        got = _split(candidate, g, h, left, reg_lambda=lam)
        inputs = {"g": g, "h": h, "go_left": left, "reg_lambda": lam}
        compare(got[0], -g[left].sum() / (h[left].sum() + lam), inputs=inputs, what="w_left", rtol=1e-10)
        compare(got[1], -g[~left].sum() / (h[~left].sum() + lam), inputs=inputs, what="w_right", rtol=1e-10)


@check("the gain is the drop of G w + 1/2 (H + lambda) w² at the best weights, minus gamma", section="gb-xgb-gain")
def check_gain_is_the_objective_drop(candidate: Callable) -> None:
    rng = np.random.default_rng(1)

    def best_objective(G: float, H: float, lam: float) -> float:
        w = np.linspace(-50, 50, 200_001)  # the minimum of the quadratic, found on a fine grid
        return float(np.min(G * w + 0.5 * (H + lam) * w**2))

    for n, lam, gamma in [(3, 1.0, 0.0), (8, 0.3, 0.2), (15, 2.0, 1.0)]:
        g, h = rng.standard_normal(n), rng.uniform(0.5, 1.5, n)
        left = rng.random(n) < 0.5
        left[0], left[-1] = True, False
        parent = best_objective(g.sum(), h.sum(), lam)
        children = best_objective(g[left].sum(), h[left].sum(), lam) + best_objective(
            g[~left].sum(), h[~left].sum(), lam
        )
        got = _split(candidate, g, h, left, reg_lambda=lam, gamma=gamma)
        inputs = {"g": g, "h": h, "go_left": left, "reg_lambda": lam, "gamma": gamma}
        compare(got[2], parent - children - gamma, inputs=inputs, what="the gain", rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- gradient_boosting.boosting-round


def _brute_tree(X: np.ndarray, r: np.ndarray, depth: int) -> np.ndarray:
    """Predictions of the least-squares tree on its own rows, by trying every split with loops."""
    if depth == 0 or len(r) < 2:
        return np.full(len(r), r.mean())
    best = None
    for j in range(X.shape[1]):
        values = sorted(set(X[:, j].tolist()))
        for a, b in itertools.pairwise(values):
            left = X[:, j] <= a / 2 + b / 2
            sse = ((r[left] - r[left].mean()) ** 2).sum() + ((r[~left] - r[~left].mean()) ** 2).sum()
            if best is None or sse < best[0] - 1e-12:
                best = (sse, left)
    if best is None:
        return np.full(len(r), r.mean())
    left, out = best[1], np.empty(len(r))
    out[left] = _brute_tree(X[left], r[left], depth - 1)
    out[~left] = _brute_tree(X[~left], r[~left], depth - 1)
    return out


def _round(candidate: Callable, X, y, pred, **kwargs) -> np.ndarray:
    got = np.asarray(candidate(np.asarray(X, float), np.asarray(y, float), np.asarray(pred, float), **kwargs))
    expect(got.shape == (len(y),), f"return the new predictions, shape ({len(y)},); got shape {got.shape}")
    return got.astype(np.float64)


@check("hand-worked round: x = 1..4, y = (1, 1, 5, 7), starting from the mean 3.5", section="gb-round")
def check_hand_worked_round(candidate: Callable) -> None:
    X, y, pred = [[1.0], [2.0], [3.0], [4.0]], [1.0, 1.0, 5.0, 7.0], [3.5] * 4
    # Residuals (-2.5, -2.5, 1.5, 3.5): the cut at 2.5 leaves means -2.5 and 2.5, the least squared error.
    inputs = {"X": X, "y": y, "pred": pred, "learning_rate": 0.5, "max_depth": 1}
    got = _round(candidate, X, y, pred, learning_rate=0.5, max_depth=1)
    compare(got, [3.5 - 1.25, 3.5 - 1.25, 3.5 + 1.25, 3.5 + 1.25], inputs=inputs, what="the new predictions")


@check("the tree is the least-squares tree (depth 1 and 2) fit to y - pred, found by brute force", section="gb-round")
def check_matches_brute_force_tree(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    for n, d, depth in [(3, 1, 1), (8, 2, 1), (12, 2, 2), (25, 3, 2)]:
        X = rng.standard_normal((n, d)).round(3)
        y, pred = rng.standard_normal(n), rng.standard_normal(n)
        got = _round(candidate, X, y, pred, learning_rate=0.3, max_depth=depth)
        want = pred + 0.3 * _brute_tree(X, y - pred, depth)
        inputs = {"X": X, "y": y, "pred": pred, "learning_rate": 0.3, "max_depth": depth}
        compare(got, want, inputs=inputs, what="the new predictions", rtol=1e-9, atol=1e-12)


@check("the step is learning_rate times the tree: halving the rate halves the change", section="gb-shrinkage")
def check_learning_rate_scales_the_step(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    X, y, pred = rng.standard_normal((10, 2)), rng.standard_normal(10), np.zeros(10)
    full = _round(candidate, X, y, pred, learning_rate=1.0, max_depth=1)
    for lr in (0.5, 0.1):
        got = _round(candidate, X, y, pred, learning_rate=lr, max_depth=1)
        inputs = {"X": X, "y": y, "pred": pred, "learning_rate": lr}
        compare(got - pred, lr * (full - pred), inputs=inputs, what="the change pred_new - pred", rtol=1e-9)


@check("a round with 0 < learning_rate <= 1 never raises the training squared error", section="gb-negative-gradient")
def check_round_reduces_loss(candidate: Callable) -> None:
    rng = np.random.default_rng(4)
    for n in (4, 15):
        X, y = rng.standard_normal((n, 2)), rng.standard_normal(n)
        pred = y + rng.standard_normal(n)  # a poor start, far from y
        got = _round(candidate, X, y, pred, learning_rate=0.5, max_depth=1)
        before, after = np.mean((y - pred) ** 2), np.mean((y - got) ** 2)
        expect(
            after < before,
            f"the squared error rose from {before:.4f} to {after:.4f}: fit the tree to y - pred, the negative gradient",
        )


CHECKS: dict[str, list] = {
    "gradient_boosting.split-gain": [
        check_hand_worked_split,
        check_leaf_weights_use_lambda,
        check_gain_is_the_objective_drop,
    ],
    "gradient_boosting.boosting-round": [
        check_hand_worked_round,
        check_matches_brute_force_tree,
        check_learning_rate_scales_the_step,
        check_round_reduces_loss,
    ],
}
