"""Gradient boosting against scikit-learn's ``GradientBoostingRegressor`` and XGBoost (``tree_method="exact"``).

scikit-learn (1.x) casts ``X`` to float32 inside its trees, so the data here are float32
values held in float64: then the thresholds (midpoints), the routing and every prediction
agree with ours to 1e-10. XGBoost stores gradients, leaf values and predictions in float32,
so its margins agree with ours (float64 throughout) to about 3e-7 on values of order one;
the tests allow 2e-6. The convention tests rebuild each number with one convention flipped
(no lambda in the leaf weight, no 1/2 or no gamma in the gain, no shrinkage) and assert that
it does **not** match the library.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import bank_tolerance, check_numeric_keys

from concepts.gradient_boosting import (
    boosting_round,
    fit_gradient_boosting,
    fit_regression_tree,
    fit_xgb_tree,
    fit_xgboost,
    logistic_grad_hess,
    predict_gradient_boosting,
    predict_tree,
    predict_xgboost,
    quantile_cuts,
    squared_error_grad_hess,
    xgb_leaf_weight,
    xgb_split_gain,
    xgb_structure_score,
)

sklearn_ensemble = pytest.importorskip("sklearn.ensemble")
sklearn_tree = pytest.importorskip("sklearn.tree")


def data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """float32-representable features and a smooth target with noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32).astype(np.float64)
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, min(1, d - 1)] ** 2 + 0.1 * rng.standard_normal(n)
    return X, y


def sk_gbr(X, y, **kwargs):
    kwargs = {"loss": "squared_error", "subsample": 1.0, "random_state": 0, **kwargs}
    return sklearn_ensemble.GradientBoostingRegressor(**kwargs).fit(X, y)


def n_leaves(tree: dict) -> int:
    return 1 if "value" in tree else n_leaves(tree["left"]) + n_leaves(tree["right"])


# -- CART and boosting against scikit-learn ---------------------------------------------------


def test_hand_worked_example() -> None:
    """x = 1, 2, 3, 4 and y = 1, 1, 5, 7; learning rate 0.5, stumps.

    F0 = mean(y) = 3.5. Round 1: residuals (-2.5, -2.5, 1.5, 3.5); the cut at 2.5 scores
    S_L²/n_L + S_R²/n_R = 25/2 + 25/2 = 25 (cut 1.5: 6.25/1 + 6.25/3 = 8.33; cut 3.5:
    1.5²... = 3.5²/1 + (-3.5)²/3 = 16.33), so leaves -2.5 and 2.5 and F1 = (2.25, 2.25, 4.75,
    4.75). Round 2: residuals (-1.25, -1.25, 0.25, 2.25); cut 2.5 scores 6.25/2 + 6.25/2 =
    6.25, cut 3.5 scores 2.25²/3 + 2.25²/1 = 6.75, so leaves -0.75 and 2.25 and
    F2 = (1.875, 1.875, 4.375, 5.875).
    """
    X, y = [[1.0], [2.0], [3.0], [4.0]], [1.0, 1.0, 5.0, 7.0]
    model = fit_gradient_boosting(X, y, n_estimators=2, learning_rate=0.5, max_depth=1)
    assert model["init"] == 3.5
    assert [t["threshold"] for t in model["trees"]] == [2.5, 3.5]
    np.testing.assert_allclose(predict_gradient_boosting(model, X, n_rounds=1), [2.25, 2.25, 4.75, 4.75])
    np.testing.assert_allclose(predict_gradient_boosting(model, X), [1.875, 1.875, 4.375, 5.875])
    np.testing.assert_allclose(boosting_round(X, y, [3.5] * 4, learning_rate=0.5), [2.25, 2.25, 4.75, 4.75])


@pytest.mark.parametrize(("n", "d", "depth", "leaf"), [(30, 1, 1, 1), (50, 3, 3, 1), (80, 2, 4, 5), (40, 4, 2, 3)])
def test_tree_equals_sklearn_decision_tree(n: int, d: int, depth: int, leaf: int) -> None:
    X, y = data(n, d, seed=n + d)
    ours = fit_regression_tree(X, y, max_depth=depth, min_samples_leaf=leaf)
    sk = sklearn_tree.DecisionTreeRegressor(max_depth=depth, min_samples_leaf=leaf, random_state=0).fit(X, y)
    np.testing.assert_allclose(predict_tree(ours, X), sk.predict(X), rtol=0, atol=1e-10)
    assert n_leaves(ours) == sk.get_n_leaves()
    assert ours["feature"] == sk.tree_.feature[0] and ours["threshold"] == sk.tree_.threshold[0]


@pytest.mark.parametrize(
    ("n_estimators", "learning_rate", "max_depth", "min_samples_leaf"),
    [(20, 0.1, 1, 1), (30, 0.1, 3, 1), (10, 0.5, 2, 3), (15, 1.0, 2, 1)],
)
def test_boosting_equals_sklearn(
    n_estimators: int, learning_rate: float, max_depth: int, min_samples_leaf: int
) -> None:
    X, y = data(60, 3, seed=0)
    kw = {"n_estimators": n_estimators, "learning_rate": learning_rate, "max_depth": max_depth}
    sk = sk_gbr(X, y, min_samples_leaf=min_samples_leaf, **kw)
    ours = fit_gradient_boosting(X, y, min_samples_leaf=min_samples_leaf, **kw)
    assert ours["init"] == pytest.approx(sk.init_.constant_[0, 0], abs=1e-12)  # the mean
    for k, staged in enumerate(sk.staged_predict(X), start=1):
        np.testing.assert_allclose(predict_gradient_boosting(ours, X, n_rounds=k), staged, rtol=0, atol=1e-10)
    if max_depth <= 2:  # no ties between features (see the next test), so new points agree too
        X_new = np.random.default_rng(9).standard_normal((40, 3)).astype(np.float32).astype(np.float64)
        np.testing.assert_allclose(predict_gradient_boosting(ours, X_new), sk.predict(X_new), rtol=0, atol=1e-10)


def test_new_points_differ_only_through_ties_between_features() -> None:
    """With depth 3 on 60 rows, some node of 4 rows can be cut into the same two groups by two
    features: an exact tie in the squared error. scikit-learn visits features in an order drawn
    from ``random_state``; we take the first. The training predictions are identical whatever
    the seed; predictions at new points depend on which feature won the tie."""
    X, y = data(60, 3, seed=0)
    X_new = np.random.default_rng(9).standard_normal((40, 3))
    ours = fit_gradient_boosting(X, y, n_estimators=30, learning_rate=0.1, max_depth=3)
    fits = [sk_gbr(X, y, n_estimators=30, learning_rate=0.1, max_depth=3, random_state=s) for s in range(3)]
    for sk in fits:
        np.testing.assert_allclose(sk.predict(X), predict_gradient_boosting(ours, X), rtol=0, atol=1e-10)
    spread = max(np.abs(a.predict(X_new) - b.predict(X_new)).max() for a in fits for b in fits)
    assert spread > 1e-3  # scikit-learn disagrees with itself at new points: the ties are real
    # The first differing tree (round 7) has a node of 4 rows split 1 + 3 by feature 0 (ours) and 1 (sklearn's).
    sk_tree = fits[0].estimators_[6, 0].tree_
    node = int(np.flatnonzero((sk_tree.n_node_samples == 4) & (sk_tree.feature >= 0))[0])
    rows = fits[0].estimators_[6, 0].decision_path(X.astype(np.float32)).toarray()[:, node].astype(bool)
    f_sk, t_sk = sk_tree.feature[node], sk_tree.threshold[node]
    ours_node = ours["trees"][6]["left"]["right"]
    f_ours, t_ours = ours_node["feature"], ours_node["threshold"]
    assert f_sk != f_ours
    assert np.array_equal(X[rows, f_sk] <= t_sk, X[rows, f_ours] <= t_ours)  # the same partition


def test_friedman_mse_ranks_splits_like_squared_error() -> None:
    """scikit-learn's default criterion: n_L n_R / n (mean_L - mean_R)², which is exactly the drop in
    summed squared error for unweighted rows, so the default fit equals ours too."""
    rng = np.random.default_rng(3)
    r = rng.standard_normal(9)
    for i in range(1, 9):
        L, R = r[:i], r[i:]
        friedman = i * (9 - i) / 9 * (L.mean() - R.mean()) ** 2
        sse_drop = ((r - r.mean()) ** 2).sum() - ((L - L.mean()) ** 2).sum() - ((R - R.mean()) ** 2).sum()
        assert friedman == pytest.approx(sse_drop, rel=1e-12)
    X, y = data(60, 3, seed=0)
    sk = sklearn_ensemble.GradientBoostingRegressor(n_estimators=20, max_depth=2, random_state=0).fit(X, y)
    ours = fit_gradient_boosting(X, y, n_estimators=20, max_depth=2)
    np.testing.assert_allclose(predict_gradient_boosting(ours, X), sk.predict(X), rtol=0, atol=1e-10)


def test_shrinkage_is_applied() -> None:
    """Flipped convention: a fit without shrinkage (a step of 1) does not match scikit-learn at 0.1."""
    X, y = data(60, 3, seed=0)
    sk = sk_gbr(X, y, n_estimators=10, learning_rate=0.1, max_depth=2)
    ours = fit_gradient_boosting(X, y, n_estimators=10, learning_rate=0.1, max_depth=2)
    no_shrink = fit_gradient_boosting(X, y, n_estimators=10, learning_rate=1.0, max_depth=2)
    np.testing.assert_allclose(predict_gradient_boosting(ours, X), sk.predict(X), atol=1e-10)
    assert np.abs(predict_gradient_boosting(no_shrink, X) - sk.predict(X)).max() > 0.1
    step = boosting_round(X, y, np.zeros(60), learning_rate=0.1, max_depth=2)
    np.testing.assert_allclose(step, 0.1 * boosting_round(X, y, np.zeros(60), learning_rate=1.0, max_depth=2))


def test_exercise_checks_pass_on_our_implementation() -> None:
    from concepts.exercises._harness import run_checks
    from concepts.exercises.gradient_boosting import CHECKS

    for exercise, impl in [
        ("gradient_boosting.split-gain", xgb_split_gain),
        ("gradient_boosting.boosting-round", boosting_round),
    ]:
        failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
        assert not failed, failed


# -- XGBoost's second-order trees ----------------------------------------------------------------


def test_gradients_and_hessians_equal_finite_differences() -> None:
    rng = np.random.default_rng(4)
    F, eps = rng.normal(0, 2, 12), 1e-5
    y_reg, y_bin = rng.standard_normal(12), (rng.random(12) < 0.5).astype(float)

    def sq(F):
        return 0.5 * (y_reg - F) ** 2

    def logloss(F):
        return np.logaddexp(0, F) - y_bin * F  # -y log p - (1 - y) log(1 - p)

    for loss, fn, y in [(sq, squared_error_grad_hess, y_reg), (logloss, logistic_grad_hess, y_bin)]:
        g, h = fn(y, F)
        np.testing.assert_allclose(g, (loss(F + eps) - loss(F - eps)) / (2 * eps), atol=1e-8)
        np.testing.assert_allclose(h, (loss(F + eps) - 2 * loss(F) + loss(F - eps)) / eps**2, atol=2e-5)


def test_gain_is_the_drop_in_structure_score() -> None:
    rng = np.random.default_rng(5)
    g, h = rng.standard_normal(10), rng.uniform(0.1, 1.0, 10)
    left = np.arange(10) < 4
    for lam, gamma in [(0.0, 0.0), (1.0, 0.0), (2.0, 0.7)]:
        w_l, w_r, gain = xgb_split_gain(g, h, left, reg_lambda=lam, gamma=gamma)
        parent = xgb_structure_score([g.sum()], [h.sum()], reg_lambda=lam, gamma=gamma)
        children = xgb_structure_score(
            [g[left].sum(), g[~left].sum()], [h[left].sum(), h[~left].sum()], reg_lambda=lam, gamma=gamma
        )
        assert gain == pytest.approx(parent - children, rel=1e-12)
        assert w_l == xgb_leaf_weight(g[left].sum(), h[left].sum(), reg_lambda=lam)
        assert w_r == pytest.approx(-g[~left].sum() / (h[~left].sum() + lam), rel=1e-12)


try:  # the test extra; the scikit-learn tests above run without it
    import xgboost as xgb
except ImportError:  # pragma: no cover
    xgb = None
needs_xgboost = pytest.mark.skipif(xgb is None, reason="xgboost is not installed (pip install xgboost)")


def xgb_train(X, y, rounds, **params):
    params = {"tree_method": "exact", "eta": 0.3, "max_depth": 3, **params}
    return xgb.train(params, xgb.DMatrix(X.astype(np.float32), label=y), rounds)


def assert_same_tree(ours: dict, node: dict, *, eta: float) -> None:
    """Our tree against one node of XGBoost's JSON dump: feature, threshold, gain, cover, leaf value."""
    if "leaf" in node:
        assert "value" in ours, node
        assert ours["value"] == pytest.approx(node["leaf"], abs=2e-7)
        assert ours["cover"] == pytest.approx(node["cover"], rel=1e-5)
        return
    assert f"f{ours['feature']}" == node["split"]
    assert np.float32(ours["threshold"]) == np.float32(node["split_condition"])
    assert ours["gain"] == pytest.approx(node["gain"], rel=1e-4, abs=1e-5)  # XGBoost's loss_chg
    left, right = sorted(node["children"], key=lambda c: c["nodeid"] != node["yes"])
    assert_same_tree(ours["left"], left, eta=eta)
    assert_same_tree(ours["right"], right, eta=eta)


CONFIGS = [  # (objective, max_depth, reg_lambda, gamma, min_child_weight, base_score)
    ("reg:squarederror", 2, 1.0, 0.0, 1.0, 0.2),
    ("reg:squarederror", 3, 2.0, 0.5, 2.0, 0.0),
    ("reg:squarederror", 4, 0.5, 2.0, 0.3, 0.5),
    ("binary:logistic", 2, 1.0, 0.0, 0.1, 0.3),
    ("binary:logistic", 3, 2.0, 0.3, 1.0, 0.5),
]


@needs_xgboost
@pytest.mark.parametrize(("objective", "depth", "lam", "gamma", "mcw", "base"), CONFIGS)
def test_xgboost_exact_predictions_and_trees(objective, depth, lam, gamma, mcw, base) -> None:
    X, y = data(60, 3, seed=1)
    if objective == "binary:logistic":
        y = (y > np.median(y)).astype(float)
    kw = {"max_depth": depth, "reg_lambda": lam, "gamma": gamma, "min_child_weight": mcw, "base_score": base}
    booster = xgb_train(X, y, 10, objective=objective, **kw)
    ours = fit_xgboost(X, y, objective=objective, n_estimators=10, learning_rate=0.3, **kw)
    dm = xgb.DMatrix(X.astype(np.float32))
    np.testing.assert_allclose(
        predict_xgboost(ours, X, output_margin=True), booster.predict(dm, output_margin=True), atol=2e-6
    )
    np.testing.assert_allclose(predict_xgboost(ours, X), booster.predict(dm), atol=2e-6)
    dumps = [json.loads(s) for s in booster.get_dump(dump_format="json", with_stats=True)]
    assert len(dumps) == len(ours["trees"])
    for tree, dump in zip(ours["trees"], dumps, strict=True):
        assert_same_tree(tree, dump, eta=0.3)


@needs_xgboost
def test_xgboost_conventions_and_their_flips() -> None:
    """One depth-1 tree (eta = 1, lambda = 2, base 0): XGBoost's leaves are -G/(H + lambda), not -G/H;
    its dumped ``gain`` is the bracket B = 2 x (the paper's 1/2 B); and it keeps the split while
    B >= gamma, so gamma prunes at B, i.e. at twice the paper's gain."""
    X, y = data(40, 2, seed=2)
    booster = xgb_train(X, y, 1, objective="reg:squarederror", max_depth=1, eta=1.0, reg_lambda=2.0, base_score=0.0)
    root = json.loads(booster.get_dump(dump_format="json", with_stats=True)[0])
    left_rows = X[:, int(root["split"][1:])] < np.float32(root["split_condition"])
    g, h = squared_error_grad_hess(y, np.zeros(40))
    w_l, w_r, half_gain = xgb_split_gain(g, h, left_rows, reg_lambda=2.0)
    leaves = {c["nodeid"]: c["leaf"] for c in root["children"]}
    assert w_l == pytest.approx(leaves[root["yes"]], abs=2e-7) and w_r == pytest.approx(leaves[root["no"]], abs=2e-7)
    no_lambda = -g[left_rows].sum() / h[left_rows].sum()
    assert abs(no_lambda - leaves[root["yes"]]) > 1e-2  # the flipped convention does not match
    assert root["gain"] == pytest.approx(2 * half_gain, rel=1e-6)  # the dump's gain has no 1/2
    assert abs(root["gain"] - half_gain) > 1.0
    for gamma, leaves_expected in [(0.99 * root["gain"], 2), (1.01 * root["gain"], 1), (1.5 * half_gain, 2)]:
        b = xgb_train(
            X, y, 1, objective="reg:squarederror", max_depth=1, eta=1.0, reg_lambda=2.0, base_score=0.0, gamma=gamma
        )
        assert b.get_dump()[0].count("leaf") == leaves_expected
        ours = fit_xgboost(
            X, y, n_estimators=1, learning_rate=1.0, max_depth=1, reg_lambda=2.0, base_score=0.0, gamma=gamma
        )
        assert n_leaves(ours["trees"][0]) == leaves_expected
        # A split the paper's rule (1/2 B - gamma > 0) would refuse at gamma = 1.5 x half_gain, XGBoost keeps:
        assert (xgb_split_gain(g, h, left_rows, reg_lambda=2.0, gamma=gamma)[2] > 0) == (gamma < half_gain)


@needs_xgboost
def test_xgboost_estimates_base_score_unless_set() -> None:
    """XGBoost 2+ starts from an estimate from the labels (here their mean) when ``base_score`` is
    not given; so the tests, and the bank, always set it."""
    X, y = data(50, 2, seed=3)
    labels = (y > 0.5).astype(float)
    for objective, target in [("reg:squarederror", y + 5.0), ("binary:logistic", labels)]:
        booster = xgb.train({"objective": objective, "tree_method": "exact"}, xgb.DMatrix(X, label=target), 1)
        config = json.loads(booster.save_config())["learner"]["learner_model_param"]
        base = float(config["base_score"].strip("[]"))
        assert base == pytest.approx(target.mean(), rel=1e-6)


@needs_xgboost
def test_pruning_is_bottom_up() -> None:
    """XGBoost collapses a split only when both its children are leaves: a weak root whose
    children split well survives any gamma below the children's gains."""
    x = np.repeat([0.0, 1.0, 2.0, 3.0], 5).astype(np.float64)[:, None]
    y = np.repeat([0.0, 2.0, -2.0, 0.0], 5)  # halves have the same mean: the root gains ~0
    kw = {"objective": "reg:squarederror", "max_depth": 2, "eta": 1.0, "reg_lambda": 1.0, "base_score": 0.0}
    ours = fit_xgboost(x, y, n_estimators=1, learning_rate=1.0, max_depth=2, base_score=0.0, gamma=5.0)
    booster = xgb_train(x, y, 1, gamma=5.0, **kw)
    assert_same_tree(ours["trees"][0], json.loads(booster.get_dump(dump_format="json", with_stats=True)[0]), eta=1.0)
    assert n_leaves(ours["trees"][0]) == booster.get_dump()[0].count("leaf")


# -- histogram split finding ---------------------------------------------------------------------


def best_root(tree: dict) -> tuple[float, float]:
    return tree["threshold"], tree["gain"]


@needs_xgboost
def test_histogram_cuts_move_the_threshold_and_lose_little_gain() -> None:
    """300 rows, one feature: the exact best root cut is at x = -1.595, in the left tail. With 32
    quantile bins the threshold moves to a cut (-1.577) with no row in between: the same two
    groups, no gain lost. With 8 bins no cut lies near the tail, and the best cut left loses 24%
    of the gain. XGBoost's own ``hist`` method behaves the same way."""
    X, y = data(300, 1, seed=7)
    g, h = squared_error_grad_hess(y, np.zeros(300))
    t_exact, gain_exact = best_root(fit_xgb_tree(X, g, h, max_depth=1))
    t_32, gain_32 = best_root(fit_xgb_tree(X, g, h, max_depth=1, max_bin=32))
    t_8, gain_8 = best_root(fit_xgb_tree(X, g, h, max_depth=1, max_bin=8))
    assert round(t_exact, 3) == -1.595 and round(t_32, 3) == -1.577
    assert t_32 in quantile_cuts(X[:, 0], 32) and t_8 in quantile_cuts(X[:, 0], 8)
    assert gain_32 == pytest.approx(gain_exact, rel=1e-12)
    assert 0.75 < gain_8 / gain_exact < 0.77
    for max_bin, low, high in [(32, 0.999, 1.0), (8, 0.75, 0.8)]:
        dumps = [
            json.loads(
                xgb_train(X, y, 1, max_depth=1, base_score=0.0, **kw).get_dump(dump_format="json", with_stats=True)[0]
            )
            for kw in ({}, {"tree_method": "hist", "max_bin": max_bin})
        ]
        assert dumps[1]["split_condition"] != dumps[0]["split_condition"]
        assert low < dumps[1]["gain"] / dumps[0]["gain"] <= high * (1 + 1e-6)


# -- the page's figure and claims --------------------------------------------------------------


def test_figure_learning_rates() -> None:
    """The figure's data (same seeds): rate 0.5 is best within 10 rounds and then overfits; rate
    0.05 is best after 5 to 20 times as many rounds and reaches a lower test error."""
    rng = np.random.default_rng(0)

    def make(n):
        x = rng.uniform(-3, 3, (n, 1))
        return x, np.sin(2 * x[:, 0]) + 0.3 * x[:, 0] + 0.3 * rng.standard_normal(n)

    (X, y), (X_test, y_test) = make(200), make(200)
    best = {}
    for lr in (0.5, 0.05):
        model = fit_gradient_boosting(X, y, n_estimators=200, learning_rate=lr, max_depth=3)
        F_test, test = np.full(200, model["init"]), []
        for tree in model["trees"]:
            F_test += lr * predict_tree(tree, X_test)
            test.append(np.mean((y_test - F_test) ** 2))
        best[lr] = (min(test), int(np.argmin(test)) + 1, test[-1])
    assert best[0.5][1] <= 10 and best[0.5][2] > 1.5 * best[0.5][0]  # overfits after its best round
    assert 5 <= best[0.05][1] / best[0.5][1] <= 20
    assert best[0.05][0] < best[0.5][0]


def test_sklearn_criterion_argument_is_deprecated_from_1_9() -> None:
    import sklearn

    if tuple(int(v) for v in sklearn.__version__.split(".")[:2]) < (1, 9):
        pytest.skip("the deprecation arrived in scikit-learn 1.9")
    X, y = data(20, 2, seed=0)
    with pytest.warns(FutureWarning, match="criterion"):
        sk_gbr(X, y, n_estimators=2, criterion="squared_error")


# -- bad input, the bank -------------------------------------------------------------------------


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="X must have shape"):
        fit_regression_tree([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="y must have shape"):
        fit_gradient_boosting([[1.0], [2.0]], [1.0])
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        fit_gradient_boosting([[1.0], [2.0]], [1.0, 2.0], learning_rate=0.0)
    with pytest.raises(ValueError, match="max_depth"):
        fit_regression_tree([[1.0]], [1.0], max_depth=-1)
    with pytest.raises(ValueError, match="reg_lambda must be >= 0"):
        xgb_leaf_weight(1.0, 1.0, reg_lambda=-1.0)
    with pytest.raises(ValueError, match="H \\+ reg_lambda must be > 0"):
        xgb_leaf_weight(1.0, 0.0, reg_lambda=0.0)
    with pytest.raises(ValueError, match="go_left"):
        xgb_split_gain([1.0, 2.0], [1.0, 1.0], [1, 0])
    with pytest.raises(ValueError, match="objective must be one of"):
        fit_xgboost([[1.0]], [1.0], objective="reg:absoluteerror")
    with pytest.raises(ValueError, match="binary:logistic needs"):
        fit_xgboost([[1.0]], [1.0], objective="binary:logistic", base_score=1.0)


def test_every_numeric_key_is_computed() -> None:
    g, h = np.array([-2.0, -4.0, 1.0, 1.0]), np.ones(4)
    left = np.array([True, True, False, False])
    X, y = [[1.0], [2.0], [3.0], [4.0]], [1.0, 1.0, 5.0, 7.0]
    computed = {
        "gradient_boosting.leaf-weight": xgb_leaf_weight(-6.0, 3.0, reg_lambda=1.0),
        "gradient_boosting.split-gain-value": xgb_split_gain(g, h, left, reg_lambda=1.0, gamma=0.0)[2],
        "gradient_boosting.logistic-hessian": float(logistic_grad_hess([1.0], [0.0])[1][0] * 8),
        "gradient_boosting.round-prediction": float(boosting_round(X, y, [3.5] * 4, learning_rate=0.1)[3]),
        "gradient_boosting.stump-count": 2**3,
        "gradient_boosting.min-child-weight-hessian": float(
            logistic_grad_hess(np.ones(40), np.full(40, np.log(99.0)))[1].sum()
        ),
    }
    check_numeric_keys("gradient_boosting", computed, bank_tolerance)
