"""Growing one regression tree: CART on squared error and XGBoost's second-order tree (a private helper).

CART follows scikit-learn's ``DecisionTreeRegressor`` as ``GradientBoostingRegressor`` uses it
(thresholds at midpoints, ``x <= t`` goes left); the second-order tree follows XGBoost's
``exact`` tree method (float32 midpoints, ``x < t`` goes left, bottom-up pruning by
``gamma``), or quantile cut points for histogram split finding. The public names are
re-exported by :mod:`concepts.gradient_boosting`, which is where the page and the API
documentation find them; this file exists only to keep each module short.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_finite, require_nonnegative_int, require_positive_int

__all__ = [
    "fit_regression_tree",
    "fit_xgb_tree",
    "predict_tree",
    "quantile_cuts",
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


# ---------------------------------------------------------------- XGBoost: one second-order tree


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
