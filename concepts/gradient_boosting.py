"""Gradient boosting: add small regression trees, each fit to the negative gradient of the loss.

Follows Friedman, *Greedy Function Approximation: A Gradient Boosting Machine* (2001) for
squared loss, with scikit-learn's ``GradientBoostingRegressor`` conventions (start from the
mean, CART trees on the residuals, thresholds at midpoints, ``x <= t`` goes left, shrinkage
by ``learning_rate``), and Chen and Guestrin, *XGBoost* (KDD 2016) for the second-order
trees: gradients ``g`` and hessians ``h``, leaf weight ``-G / (H + lambda)`` and split gain
``1/2 [G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ)] - γ``, with the library's ``exact`` tree
method (thresholds at float32 midpoints, ``x < t`` goes left, bottom-up pruning by
``gamma``). Histogram split finding is shown with quantile cut points. Everything is NumPy in
float64. Leaves out missing values, subsampling of rows and columns, L1 (``alpha``),
``max_delta_step``, multi-class objectives and the weighted quantile sketch. The single trees
(CART, XGBoost's second-order tree and its quantile cuts) live in
``concepts/_gradient_boosting_trees.py`` and are re-exported here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_finite, require_nonnegative_int, require_positive_int
from concepts._gradient_boosting_trees import (
    _grow_cart,
    _nonnegative,
    _xy,
    fit_regression_tree,
    fit_xgb_tree,
    predict_tree,
    quantile_cuts,
)

__all__ = [
    "boosting_round",
    "fit_gradient_boosting",
    "fit_regression_tree",
    "fit_xgb_tree",
    "fit_xgboost",
    "logistic_grad_hess",
    "predict_gradient_boosting",
    "predict_tree",
    "predict_xgboost",
    "quantile_cuts",
    "squared_error_grad_hess",
    "xgb_leaf_weight",
    "xgb_split_gain",
    "xgb_structure_score",
]


# ---------------------------------------------------------------- gradient boosting, squared loss


def _round(X: np.ndarray, y: np.ndarray, pred: np.ndarray, lr: float, max_depth: int, min_leaf: int) -> tuple:
    residual = y - pred  # the negative gradient of 1/2 (y - F)² in F
    tree = _grow_cart(X, residual, max_depth, min_leaf)
    return tree, pred + lr * predict_tree(tree, X)  # shrinkage: a step of lr along the tree


def boosting_round(
    X: ArrayLike, y: ArrayLike, pred: ArrayLike, *, learning_rate: float = 0.1, max_depth: int = 1
) -> np.ndarray:
    """One boosting round on squared loss: a CART tree fit to ``y - pred``, then a step ``learning_rate`` along it.

    :param X: features, shape ``(n_samples, n_features)``.
    :param y: targets, shape ``(n_samples,)``.
    :param pred: the current predictions ``F(x)``, shape ``(n_samples,)``.
    :returns: the new predictions ``pred + learning_rate * tree(X)``, shape ``(n_samples,)``.

    >>> from concepts.gradient_boosting import boosting_round
    >>> X, y = [[1.0], [2.0], [3.0], [4.0]], [1.0, 1.0, 5.0, 7.0]
    >>> boosting_round(X, y, [3.5] * 4, learning_rate=0.5).tolist()  # residual means -2.5 and 2.5
    [2.25, 2.25, 4.75, 4.75]
    """
    X, y = _xy(X, y)
    pred = _xy(X, pred, "pred")[1]
    lr = require_finite(learning_rate, "learning_rate")
    return _round(X, y, pred, lr, require_nonnegative_int(max_depth, "max_depth"), 1)[1]


def fit_gradient_boosting(
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_estimators: int = 100,
    learning_rate: float = 0.1,
    max_depth: int = 3,
    min_samples_leaf: int = 1,
) -> dict:
    """Gradient boosting for squared loss, as ``GradientBoostingRegressor(criterion="squared_error")``.

    ``F_0 = mean(y)``; then ``n_estimators`` times: residuals ``r = y - F``, a CART tree
    fit to ``r`` (:func:`fit_regression_tree`), ``F += learning_rate * tree(x)``.

    :returns: ``{"init": F_0, "learning_rate": ..., "trees": [...]}`` for :func:`predict_gradient_boosting`.

    >>> from concepts.gradient_boosting import fit_gradient_boosting, predict_gradient_boosting
    >>> X, y = [[1.0], [2.0], [3.0], [4.0]], [1.0, 1.0, 5.0, 7.0]
    >>> model = fit_gradient_boosting(X, y, n_estimators=2, learning_rate=0.5, max_depth=1)
    >>> model["init"], predict_gradient_boosting(model, X).tolist()
    (3.5, [1.875, 1.875, 4.375, 5.875])
    """
    X, y = _xy(X, y)
    lr = require_finite(learning_rate, "learning_rate")
    if lr <= 0:
        raise ValueError(f"learning_rate must be > 0; got {lr!r}")
    n_estimators = require_positive_int(n_estimators, "n_estimators")
    max_depth = require_positive_int(max_depth, "max_depth")
    min_leaf = require_positive_int(min_samples_leaf, "min_samples_leaf")
    init = float(y.mean())
    pred, trees = np.full(len(y), init), []
    for _ in range(n_estimators):
        tree, pred = _round(X, y, pred, lr, max_depth, min_leaf)
        trees.append(tree)
    return {"init": init, "learning_rate": lr, "trees": trees}


def predict_gradient_boosting(model: dict, X: ArrayLike, *, n_rounds: int | None = None) -> np.ndarray:
    """``F_0 + learning_rate * sum of the first n_rounds trees`` (all of them by default), shape ``(n_samples,)``."""
    trees = model["trees"] if n_rounds is None else model["trees"][: require_nonnegative_int(n_rounds, "n_rounds")]
    out = np.full(len(as_array(X, "X")), model["init"])
    for tree in trees:
        out += model["learning_rate"] * predict_tree(tree, X)
    return out


# ---------------------------------------------------------------- XGBoost: second-order trees


def squared_error_grad_hess(y: ArrayLike, margin: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``g = F - y`` and ``h = 1``: the derivatives of ``1/2 (y - F)²`` in the prediction ``F``.

    >>> from concepts.gradient_boosting import squared_error_grad_hess
    >>> [a.tolist() for a in squared_error_grad_hess([1.0, 3.0], [0.5, 0.5])]
    [[-0.5, -2.5], [1.0, 1.0]]
    """
    y, margin = as_array(y, "y"), as_array(margin, "margin")
    if y.shape != margin.shape:
        raise ValueError(f"y and margin must have the same shape; got {y.shape} and {margin.shape}")
    return margin - y, np.ones_like(y)


def logistic_grad_hess(y: ArrayLike, margin: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``g = p - y`` and ``h = p (1 - p)`` with ``p = sigmoid(F)``: log loss in the margin ``F`` (labels 0/1).

    ``h`` is floored at ``1e-16``, as in XGBoost, so a leaf of confident rows has ``H > 0``.

    >>> from concepts.gradient_boosting import logistic_grad_hess
    >>> [a.tolist() for a in logistic_grad_hess([1.0, 0.0], [0.0, 0.0])]
    [[-0.5, 0.5], [0.25, 0.25]]
    """
    from concepts.logistic_regression import sigmoid

    y, margin = as_array(y, "y"), as_array(margin, "margin")
    if y.shape != margin.shape:
        raise ValueError(f"y and margin must have the same shape; got {y.shape} and {margin.shape}")
    p = sigmoid(margin)
    return p - y, np.maximum(p * (1.0 - p), 1e-16)


def xgb_leaf_weight(G: float, H: float, *, reg_lambda: float = 1.0) -> float:
    """The optimal leaf weight ``w* = -G / (H + lambda)`` (sums of ``g`` and ``h`` over the leaf's rows).

    It minimises ``G w + 1/2 (H + lambda) w²``, the second-order Taylor expansion of the loss
    plus the L2 penalty ``lambda/2 w²``.

    >>> from concepts.gradient_boosting import xgb_leaf_weight
    >>> xgb_leaf_weight(-6.0, 3.0, reg_lambda=1.0), xgb_leaf_weight(-6.0, 3.0, reg_lambda=0.0)
    (1.5, 2.0)
    """
    G, H, lam = require_finite(G, "G"), _nonnegative(H, "H"), _nonnegative(reg_lambda, "reg_lambda")
    if H + lam <= 0:
        raise ValueError(f"H + reg_lambda must be > 0; got H={H!r}, reg_lambda={lam!r}")
    return -G / (H + lam)


def xgb_structure_score(G: ArrayLike, H: ArrayLike, *, reg_lambda: float = 1.0, gamma: float = 0.0) -> float:
    """The regularised objective of a fixed tree at its best weights: ``-1/2 sum_j G_j²/(H_j+lambda) + gamma T``.

    ``G`` and ``H`` hold the per-leaf sums, shape ``(T,)``. Lower is better.

    >>> from concepts.gradient_boosting import xgb_structure_score
    >>> xgb_structure_score([-6.0, 2.0], [3.0, 1.0], reg_lambda=1.0, gamma=0.5)  # -(36/4 + 4/2)/2 + 1
    -4.5
    """
    G, H = as_array(G, "G"), as_array(H, "H")
    lam, gamma = _nonnegative(reg_lambda, "reg_lambda"), _nonnegative(gamma, "gamma")
    return float(-0.5 * np.sum(G**2 / (H + lam)) + gamma * G.size)


def xgb_split_gain(
    g: ArrayLike, h: ArrayLike, go_left: ArrayLike, *, reg_lambda: float = 1.0, gamma: float = 0.0
) -> tuple[float, float, float]:
    """The two children's leaf weights and the split's gain, from per-row gradients and hessians.

    ``gain = 1/2 [G_L²/(H_L+λ) + G_R²/(H_R+λ) - (G_L+G_R)²/(H_L+H_R+λ)] - γ``: the drop in
    :func:`xgb_structure_score` when one leaf becomes two (one more leaf costs ``γ``).

    :param g: gradients, shape ``(n,)``.
    :param h: hessians, shape ``(n,)``, ``>= 0``.
    :param go_left: booleans, shape ``(n,)``: the rows the split sends left.
    :returns: ``(w_left, w_right, gain)``.

    >>> from concepts.gradient_boosting import xgb_split_gain
    >>> w_l, w_r, gain = xgb_split_gain([-2.0, -4.0, 1.0, 1.0], [1.0] * 4, [True, True, False, False])
    >>> w_l, round(w_r, 4), round(gain, 4)  # 6/3; -2/3; (36/3 + 4/3 - 16/5) / 2
    (2.0, -0.6667, 5.0667)
    """
    g, h = as_array(g, "g"), as_array(h, "h")
    go_left = np.asarray(go_left)
    if g.ndim != 1 or h.shape != g.shape or go_left.shape != g.shape or go_left.dtype != bool:
        raise ValueError(
            f"g, h, go_left (bool) must share a shape (n,); got {g.shape}, {h.shape}, {go_left.shape} {go_left.dtype}"
        )
    if (h < 0).any():
        raise ValueError("h must be >= 0 (a convex loss); got a negative hessian")
    lam, gamma = _nonnegative(reg_lambda, "reg_lambda"), _nonnegative(gamma, "gamma")
    GL, HL, GR, HR = g[go_left].sum(), h[go_left].sum(), g[~go_left].sum(), h[~go_left].sum()
    bracket = GL**2 / (HL + lam) + GR**2 / (HR + lam) - (GL + GR) ** 2 / (HL + HR + lam)
    w_left, w_right = xgb_leaf_weight(GL, HL, reg_lambda=lam), xgb_leaf_weight(GR, HR, reg_lambda=lam)
    return float(w_left), float(w_right), float(0.5 * bracket - gamma)  # the gain with the 1/2 and the gamma


_OBJECTIVES = {"reg:squarederror": squared_error_grad_hess, "binary:logistic": logistic_grad_hess}


def fit_xgboost(
    X: ArrayLike,
    y: ArrayLike,
    *,
    objective: str = "reg:squarederror",
    n_estimators: int = 10,
    learning_rate: float = 0.3,
    max_depth: int = 3,
    reg_lambda: float = 1.0,
    gamma: float = 0.0,
    min_child_weight: float = 1.0,
    base_score: float = 0.5,
    max_bin: int | None = None,
) -> dict:
    """Boosted second-order trees: ``n_estimators`` times, ``g, h`` at the current margin, then :func:`fit_xgb_tree`.

    The margin starts at ``base_score`` (squared error) or ``logit(base_score)`` (logistic),
    as XGBoost does when ``base_score`` is given.

    :returns: ``{"objective", "base_margin", "trees"}`` for :func:`predict_xgboost`.

    >>> from concepts.gradient_boosting import fit_xgboost, predict_xgboost
    >>> X, y = [[1.0], [2.0], [3.0], [4.0]], [1.0, 1.0, 5.0, 7.0]
    >>> model = fit_xgboost(X, y, n_estimators=1, learning_rate=1.0, max_depth=1, base_score=0.0)
    >>> predict_xgboost(model, X).round(4).tolist()  # 2/3 of each side's mean: -G/(H + 1) with H = 2
    [0.6667, 0.6667, 4.0, 4.0]
    """
    X, y = _xy(X, y)
    if objective not in _OBJECTIVES:
        raise ValueError(f"objective must be one of {sorted(_OBJECTIVES)}; got {objective!r}")
    base = require_finite(base_score, "base_score")
    if objective == "binary:logistic":
        if not np.isin(y, (0.0, 1.0)).all() or not 0 < base < 1:
            raise ValueError(f"binary:logistic needs labels 0/1 and 0 < base_score < 1; got base_score={base!r}")
        base = float(np.log(base / (1 - base)))
    params = {"max_depth": max_depth, "learning_rate": learning_rate, "reg_lambda": reg_lambda}
    params |= {"gamma": gamma, "min_child_weight": min_child_weight, "max_bin": max_bin}
    margin, trees = np.full(len(y), base), []
    for _ in range(require_positive_int(n_estimators, "n_estimators")):
        g, h = _OBJECTIVES[objective](y, margin)
        tree = fit_xgb_tree(X, g, h, **params)
        margin = margin + predict_tree(tree, X, strict=True)
        trees.append(tree)
    return {"objective": objective, "base_margin": base, "trees": trees}


def predict_xgboost(model: dict, X: ArrayLike, *, output_margin: bool = False) -> np.ndarray:
    """The summed leaves plus the base margin; a probability for ``binary:logistic`` unless ``output_margin``."""
    margin = np.full(len(as_array(X, "X")), model["base_margin"])
    for tree in model["trees"]:
        margin += predict_tree(tree, X, strict=True)
    if model["objective"] == "binary:logistic" and not output_margin:
        from concepts.logistic_regression import sigmoid

        return sigmoid(margin)
    return margin
