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
``max_delta_step``, multi-class objectives and the weighted quantile sketch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_finite, require_nonnegative_int, require_positive_int

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


def _xy(X: ArrayLike, y: ArrayLike, name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    X, y = as_array(X, "X"), as_array(y, name)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"{name} must have shape (n_samples,) = ({X.shape[0]},); got {y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError(f"X and {name} must be finite; got NaN or inf")
    return X, y


def _nonnegative(x: float, name: str) -> float:
    x = require_finite(x, name)
    if x < 0:
        raise ValueError(f"{name} must be >= 0; got {x!r}")
    return x


# ---------------------------------------------------------------- CART on squared error


def fit_regression_tree(X: ArrayLike, y: ArrayLike, *, max_depth: int = 3, min_samples_leaf: int = 1) -> dict:
    """A CART regression tree grown by exhaustive search for the split that most reduces squared error.

    At a node with targets ``y``, every feature and every cut between two **distinct** sorted
    values is tried; the cut maximises ``S_L²/n_L + S_R²/n_R`` (sums and counts of each side),
    which is the same as minimising the children's summed squared error. Ties keep the first
    (lowest feature, then lowest threshold). The threshold is the midpoint of the two values
    and ``x <= threshold`` goes left, as in scikit-learn. A leaf predicts the mean of its ``y``.

    :param X: features, shape ``(n_samples, n_features)``.
    :param y: targets, shape ``(n_samples,)``.
    :param max_depth: the root is depth 0; ``>= 0``.
    :param min_samples_leaf: each child keeps at least this many rows.
    :returns: nested dicts: ``{"value"}`` for a leaf, else ``{"feature", "threshold", "left", "right"}``.

    >>> from concepts.gradient_boosting import fit_regression_tree, predict_tree
    >>> tree = fit_regression_tree([[1.0], [2.0], [3.0], [4.0]], [1.0, 1.0, 5.0, 7.0], max_depth=1)
    >>> tree["feature"], tree["threshold"], predict_tree(tree, [[0.0], [9.0]]).tolist()
    (0, 2.5, [1.0, 6.0])
    """
    X, y = _xy(X, y)
    max_depth = require_nonnegative_int(max_depth, "max_depth")
    min_samples_leaf = require_positive_int(min_samples_leaf, "min_samples_leaf")
    return _grow_cart(X, y, max_depth, min_samples_leaf)


def _grow_cart(X: np.ndarray, y: np.ndarray, depth_left: int, min_leaf: int) -> dict:
    n = len(y)
    leaf = {"value": float(y.sum() / n)}
    if depth_left == 0 or n < 2 * min_leaf or np.all(y == y[0]):
        return leaf
    best = (-np.inf, -1, 0.0)  # (score, feature, threshold)
    for j in range(X.shape[1]):
        order = np.argsort(X[:, j], kind="stable")
        xs, s_left = X[order, j], np.cumsum(y[order])[:-1]  # s_left[i-1]: sum of the first i rows
        n_left = np.arange(1, n)
        score = s_left**2 / n_left + (y.sum() - s_left) ** 2 / (n - n_left)  # S_L²/n_L + S_R²/n_R
        ok = (xs[1:] > xs[:-1]) & (n_left >= min_leaf) & (n - n_left >= min_leaf)
        if ok.any():
            i = int(np.argmax(np.where(ok, score, -np.inf)))
            if score[i] > best[0]:
                best = (score[i], j, xs[i] / 2 + xs[i + 1] / 2)  # the midpoint between distinct values
    if best[1] < 0:
        return leaf
    _, j, t = best
    go_left = X[:, j] <= t
    return {
        "feature": j,
        "threshold": float(t),
        "left": _grow_cart(X[go_left], y[go_left], depth_left - 1, min_leaf),
        "right": _grow_cart(X[~go_left], y[~go_left], depth_left - 1, min_leaf),
    }


def predict_tree(tree: dict, X: ArrayLike, *, strict: bool = False) -> np.ndarray:
    """Each row's leaf value: ``x <= threshold`` goes left (scikit-learn), ``x < threshold`` if ``strict`` (XGBoost).

    >>> from concepts.gradient_boosting import predict_tree
    >>> stump = {"feature": 0, "threshold": 1.0, "left": {"value": -1.0}, "right": {"value": 2.0}}
    >>> predict_tree(stump, [[1.0], [3.0]]).tolist(), predict_tree(stump, [[1.0]], strict=True).tolist()
    ([-1.0, 2.0], [2.0])
    """
    X = as_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}")
    out = np.empty(len(X))
    for r, x in enumerate(X):
        node = tree
        while "value" not in node:
            x_j, t = x[node["feature"]], node["threshold"]
            node = node["left"] if (x_j < t if strict else x_j <= t) else node["right"]
        out[r] = node["value"]
    return out


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


def quantile_cuts(x: ArrayLike, max_bin: int) -> np.ndarray:
    """Histogram split candidates: the distinct ``k / max_bin`` quantiles of ``x``, ``k = 1 .. max_bin - 1``.

    A split ``x < cut`` can then only fall at one of at most ``max_bin - 1`` cuts instead of
    between every pair of distinct values. (XGBoost's ``hist`` uses a weighted quantile
    sketch, so its cuts differ in detail; the trade-off is the same.)

    >>> from concepts.gradient_boosting import quantile_cuts
    >>> quantile_cuts([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], 4).tolist()
    [3.0, 5.0, 7.0]
    """
    x = as_array(x, "x")
    max_bin = require_positive_int(max_bin, "max_bin")
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must have shape (n_samples,) with n_samples >= 1; got {x.shape}")
    return np.unique(np.quantile(x, np.arange(1, max_bin) / max_bin))


def fit_xgb_tree(
    X: ArrayLike,
    g: ArrayLike,
    h: ArrayLike,
    *,
    max_depth: int = 3,
    learning_rate: float = 0.3,
    reg_lambda: float = 1.0,
    gamma: float = 0.0,
    min_child_weight: float = 1.0,
    max_bin: int | None = None,
) -> dict:
    """One XGBoost tree grown depth-wise from gradients and hessians, as ``tree_method="exact"`` (or histogram cuts).

    Every split of every feature is scored by XGBoost's ``loss_chg``, the bracket
    ``B = G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ)``, which is **twice** the paper's gain before
    ``γ`` (the ``gain`` in ``get_dump(with_stats=True)``). Children must each have
    ``H >= min_child_weight``; a node splits when its best ``B > 1e-6``. The threshold is the
    float32 midpoint of two neighbouring distinct values (``max_bin=None``) or a quantile cut
    (:func:`quantile_cuts`); ``x < threshold`` goes left. After growing, splits whose two
    children are leaves and whose ``B < gamma`` are collapsed, bottom-up, as XGBoost's pruner
    does: in the paper's terms, a split survives when ``1/2 B - gamma/2 >= 0``. Leaves hold
    ``learning_rate * (-G / (H + λ))``.

    :param X: features, shape ``(n_samples, n_features)``.
    :param g: gradients, shape ``(n_samples,)``.
    :param h: hessians, shape ``(n_samples,)``.
    :returns: nested dicts: leaves ``{"value", "cover"}``; splits add ``feature, threshold, gain, left, right``.

    >>> from concepts.gradient_boosting import fit_xgb_tree
    >>> X, g, h = [[1.0], [2.0], [3.0], [4.0]], [-1.0, -1.0, 3.0, 3.0], [1.0] * 4
    >>> tree = fit_xgb_tree(X, g, h, max_depth=1, learning_rate=1.0)
    >>> tree["threshold"], round(tree["gain"], 4)  # 4/3 + 36/3 - 16/5
    (2.5, 10.1333)
    >>> round(tree["left"]["value"], 4), tree["right"]["value"]  # -(-2)/(2 + 1), -6/(2 + 1)
    (0.6667, -2.0)
    """
    X, g = _xy(X, g, "g")
    h = _xy(X, h, "h")[1]
    params = {
        "depth_left": require_nonnegative_int(max_depth, "max_depth"),
        "eta": require_finite(learning_rate, "learning_rate"),
        "lam": _nonnegative(reg_lambda, "reg_lambda"),
        "gamma": _nonnegative(gamma, "gamma"),
        "mcw": _nonnegative(min_child_weight, "min_child_weight"),
        "max_bin": None if max_bin is None else require_positive_int(max_bin, "max_bin"),
    }
    return _grow_xgb(X, g, h, **params)


def _candidates(x: np.ndarray, max_bin: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted order of ``x``; the left sizes ``i`` a split may have, and its threshold for each."""
    xs = np.sort(x)
    if max_bin is None:  # exact: between every pair of neighbouring distinct values
        i = np.flatnonzero(xs[1:] > xs[:-1]) + 1
        lo, hi = xs[i - 1].astype(np.float32), xs[i].astype(np.float32)
        t = ((lo + hi) * np.float32(0.5)).astype(np.float64)  # XGBoost's float32 midpoint
        return i, np.where(t == hi, lo, t)
    cuts = quantile_cuts(x, max_bin)
    i = np.searchsorted(xs, cuts, side="left")  # rows with x < cut go left
    keep = (i > 0) & (i < len(xs))
    return i[keep], cuts[keep]


def _grow_xgb(X, g, h, *, depth_left, eta, lam, gamma, mcw, max_bin) -> dict:
    G, H = g.sum(), h.sum()
    leaf = {"value": float(eta * -G / (H + lam)), "cover": float(H)}  # shrinkage applied to the leaf
    if depth_left == 0:
        return leaf
    best = (1e-6, -1, 0.0)  # XGBoost's kRtEps: a smaller loss_chg never splits
    for j in range(X.shape[1]):
        order = np.argsort(X[:, j], kind="stable")
        i, thresholds = _candidates(X[:, j], max_bin)
        GL, HL = np.concatenate([[0.0], np.cumsum(g[order])])[i], np.concatenate([[0.0], np.cumsum(h[order])])[i]
        B = GL**2 / (HL + lam) + (G - GL) ** 2 / (H - HL + lam) - G**2 / (H + lam)  # twice the paper's gain
        B = np.where((mcw <= HL) & (mcw <= H - HL), B, -np.inf)  # min_child_weight
        if B.size and B.max() > best[0]:
            k = int(np.argmax(B))
            best = (float(B[k]), j, float(thresholds[k]))
    if best[1] < 0:
        return leaf
    B, j, t = best
    go_left = X[:, j] < t
    kw = {"depth_left": depth_left - 1, "eta": eta, "lam": lam, "gamma": gamma, "mcw": mcw, "max_bin": max_bin}
    left = _grow_xgb(X[go_left], g[go_left], h[go_left], **kw)
    right = _grow_xgb(X[~go_left], g[~go_left], h[~go_left], **kw)
    if "value" in left and "value" in right and gamma > B:  # prune bottom-up, as XGBoost does
        return leaf
    return {"feature": j, "threshold": t, "gain": B, "cover": float(H), "left": left, "right": right}


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
