"""Regularization: inverted dropout, L2 penalty vs decoupled weight decay, L1 (Lasso), early stopping.

Dropout follows Srivastava et al. (2014) in its *inverted* form, the one PyTorch's
``nn.Dropout`` implements: in training each unit is zeroed with probability ``p`` and the
survivors are scaled by ``1/(1 - p)``, so the expected output equals the input and evaluation
is the identity. Weight decay follows Loshchilov and Hutter, *Decoupled Weight Decay
Regularization* (ICLR 2019): adding ``λ/2 ||w||²`` to the loss (``torch.optim.Adam``'s
``weight_decay``) and shrinking the weights directly (``AdamW``) coincide under plain SGD and
differ under Adam; the optimiser steps themselves are :mod:`concepts.optimizers`'. The Lasso
uses scikit-learn's objective
``(1/(2n)) ||y - Xw||² + alpha ||w||_1`` solved by cyclic coordinate descent with
soft-thresholding (Friedman, Hastie and Tibshirani, 2010). Early stopping keeps the weights
of the best validation loss and stops after ``patience`` evaluations without improvement.
Leaves out DropConnect, spatial and alpha dropout, elastic net and max-norm constraints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import (
    as_array,
    require_finite,
    require_nonnegative_int,
    require_positive,
    require_positive_int,
    require_probability,
    require_rng,
    require_tensor,
    require_torch,
)
from concepts.optimizers import adam_step, adamw_step, sgd_step

if TYPE_CHECKING:
    import torch

__all__ = [
    "EarlyStopping",
    "dropout",
    "dropout_torch",
    "early_stopping",
    "gd_with_early_stopping",
    "lasso_coordinate_descent",
    "lasso_fit",
    "lasso_objective",
    "lasso_path",
    "optimize",
    "overfitting_problem",
    "soft_threshold",
]


# ------------------------------------------------------------------------------- dropout


def dropout(
    x: ArrayLike,
    p: float = 0.5,
    *,
    training: bool = True,
    mask: ArrayLike | None = None,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Inverted dropout: zero each entry with probability ``p``, scale the rest by ``1/(1 - p)``.

    In evaluation (``training=False``) it is the identity: the scaling happened in training,
    so ``E[dropout(x)] = x`` in both modes. As in PyTorch, ``p = 0`` is the identity and
    ``p = 1`` returns ``x * 0`` (zeros; NaN where ``x`` is infinite).

    :param x: activations, any shape.
    :param p: the probability of *dropping* a unit (PyTorch's ``p``), in [0, 1].
    :param training: apply dropout (True) or return ``x`` unchanged (False).
    :param mask: optional boolean *keep* mask of ``x``'s shape (True = kept); drawn from
        ``rng`` when omitted (each entry kept with probability ``1 - p``).
    :param rng: ``np.random.Generator``, int seed or None (keyword-only).
    :returns: float64 array of ``x``'s shape.

    >>> from concepts.regularization import dropout
    >>> dropout([1.0, 2.0, 3.0, 4.0], 0.5, mask=[True, False, True, False]).tolist()
    [2.0, 0.0, 6.0, 0.0]
    >>> dropout([1.0, 2.0], 0.5, training=False).tolist()
    [1.0, 2.0]
    """
    x, p = as_array(x, "x"), require_probability(p, "p (the drop probability)")
    if not training or p == 0.0:
        return x.copy()
    if p == 1.0:
        with np.errstate(invalid="ignore"):
            return x * 0.0  # PyTorch's x * 0: NaN where x is infinite
    if mask is None:
        keep = require_rng(rng).random(x.shape) >= p  # P(keep) = 1 - p
    else:
        keep = np.asarray(mask)
        if keep.dtype != bool or keep.shape != x.shape:
            raise ValueError(f"mask must be a boolean array of shape {x.shape}; got {keep.dtype} {keep.shape}")
    return x * (keep / (1.0 - p))  # inverted: scale the survivors in training, not at eval


def dropout_torch(
    x: torch.Tensor,
    p: float = 0.5,
    *,
    training: bool = True,
    mask: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """PyTorch mirror of :func:`dropout`, in ``x``'s dtype; bit-for-bit ``F.dropout`` given the seed.

    The mask comes from ``bernoulli_(1 - p)`` on ``generator`` (the global one when None),
    which is the draw ``F.dropout`` makes on CPU, so after ``torch.manual_seed(s)`` both give
    the same tensor.

    >>> import torch
    >>> from concepts.regularization import dropout_torch
    >>> x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    >>> dropout_torch(x, 0.5, mask=torch.tensor([True, True, False, True])).tolist()
    [2.0, 4.0, 0.0, 8.0]
    >>> dropout_torch(x, 0.5, training=False).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    torch = require_torch()
    x, p = require_tensor(x, "x"), require_probability(p, "p (the drop probability)")
    if not training or p == 0.0:
        return x.clone()
    if p == 1.0:
        return x * torch.zeros((), dtype=x.dtype)
    if mask is None:
        keep = torch.empty_like(x).bernoulli_(1.0 - p, generator=generator)
    else:
        keep = require_tensor(mask, "mask")
        if keep.dtype != torch.bool or keep.shape != x.shape:
            raise ValueError(f"mask must be a boolean tensor of shape {tuple(x.shape)}; got {keep.dtype}")
        keep = keep.to(x.dtype)
    return x * keep.div(1.0 - p)


# ----------------------------------------------------------------- L2 vs decoupled decay


def optimize(
    grad_fn: Callable[[np.ndarray], ArrayLike],
    w0: ArrayLike,
    *,
    optimizer: str,
    steps: int,
    lr: float,
    weight_decay: float = 0.0,
    decoupled: bool = False,
    **kwargs,
) -> np.ndarray:
    """Run ``steps`` steps of ``"sgd"`` or ``"adam"`` from ``w0``, with an L2 penalty or decoupled decay.

    The steps are :mod:`concepts.optimizers`' (``torch.optim.SGD``, ``Adam``, ``AdamW``).
    ``decoupled=False`` puts ``weight_decay * w`` into the gradient (L2); ``decoupled=True``
    first shrinks ``w`` by ``1 - lr * weight_decay``, then steps on the gradient alone: for
    Adam that is AdamW; for SGD no library ships it, and without momentum it is the same
    number as L2. ``grad_fn(w)`` returns the loss gradient; ``kwargs`` go to the step
    function. Returns the trajectory, shape ``(steps + 1, d)``.

    >>> from concepts.regularization import optimize
    >>> optimize(lambda w: w, [1.0], optimizer="sgd", steps=2, lr=0.5).ravel().tolist()
    [1.0, 0.5, 0.25]
    >>> l2 = optimize(lambda w: 0.5 + 0 * w, [1.0], optimizer="sgd", steps=1, lr=0.1, weight_decay=0.2)
    >>> dec = optimize(lambda w: 0.5 + 0 * w, [1.0], optimizer="sgd", steps=1, lr=0.1, weight_decay=0.2, decoupled=True)
    >>> l2[-1].round(12).tolist(), dec[-1].round(12).tolist()  # 1 - 0.1 (0.5 + 0.2) and 0.98 - 0.05
    ([0.93], [0.93])
    """
    steps = require_nonnegative_int(steps, "steps")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam'; got {optimizer!r}")
    lr, wd = require_positive(lr, "lr"), require_finite(weight_decay, "weight_decay")
    path, state = [as_array(w0, "w0").ravel()], {}
    for _ in range(steps):
        w = path[-1]
        g = as_array(grad_fn(w), "grad_fn(w)")
        if optimizer == "adam":
            step = adamw_step if decoupled else adam_step  # AdamW's decay never meets sqrt(v)
            w, state = step(w, g, state, lr=lr, weight_decay=wd, **kwargs)
        elif decoupled:
            w, state = sgd_step(w * (1.0 - lr * wd), g, state, lr=lr, **kwargs)  # shrink, then the plain step
        else:
            w, state = sgd_step(w, g, state, lr=lr, weight_decay=wd, **kwargs)  # L2: the decay joins g
        path.append(w)
    return np.stack(path)


# ------------------------------------------------------------------------------- Lasso


def soft_threshold(z: ArrayLike, t: float) -> np.ndarray:
    """``S(z, t) = sign(z) max(|z| - t, 0)``: the proximal map of ``t |w|``.

    >>> from concepts.regularization import soft_threshold
    >>> soft_threshold([-3.0, -0.5, 0.5, 3.0], 1.0).tolist()
    [-2.0, -0.0, 0.0, 2.0]
    """
    t = require_finite(t, "t")
    if t < 0:
        raise ValueError(f"t must be >= 0; got {t!r}")
    z = as_array(z, "z")
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def _xy(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    X, y = as_array(X, "X"), as_array(y, "y")
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape (n_samples,) = ({X.shape[0]},); got {y.shape}")
    return X, y


def lasso_objective(X: ArrayLike, y: ArrayLike, w: ArrayLike, alpha: float, b: float = 0.0) -> float:
    """scikit-learn's Lasso objective ``(1/(2n)) ||y - Xw - b||² + alpha ||w||_1``.

    >>> from concepts.regularization import lasso_objective
    >>> lasso_objective([[1.0], [2.0]], [1.0, 2.0], [0.5], 0.1)  # (0.25 + 1) / 4 + 0.05
    0.3625
    """
    X, y = _xy(X, y)
    r = y - X @ as_array(w, "w") - b
    return float(r @ r / (2 * len(y)) + require_finite(alpha, "alpha") * np.abs(w).sum())


def lasso_coordinate_descent(
    X: ArrayLike, y: ArrayLike, alpha: float, *, max_sweeps: int = 10_000, tol: float = 1e-12
) -> np.ndarray:
    """Minimise ``(1/(2n)) ||y - Xw||² + alpha ||w||_1`` (no intercept) by cyclic coordinate descent.

    Each coordinate in turn is set to its exact minimiser with the others fixed:
    ``w_j = S(x_jᵀ r_j, n alpha) / ||x_j||²``, where ``r_j = y - Xw + x_j w_j`` is the residual
    without feature ``j``. The ``n`` comes from the ``1/(2n)`` in front of the squared error.
    Stops when a sweep moves no coefficient by more than ``tol``.

    :param X: features, shape ``(n_samples, n_features)``.
    :param y: targets, shape ``(n_samples,)``.
    :param alpha: the L1 strength, ``>= 0`` (scikit-learn's ``alpha``).
    :returns: ``w``, shape ``(n_features,)``; exact zeros where the penalty wins.

    >>> from concepts.regularization import lasso_coordinate_descent
    >>> X = [[1.0, 0.0], [0.0, 1.0]]
    >>> lasso_coordinate_descent(X, [3.0, 0.5], 0.5).tolist()  # S(3, 1) = 2; S(0.5, 1) = 0
    [2.0, 0.0]
    """
    X, y = _xy(X, y)
    alpha = require_finite(alpha, "alpha")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0; got {alpha!r}")
    n, d = X.shape
    col_sq = (X * X).sum(axis=0)  # ||x_j||²
    w, r = np.zeros(d), y.copy()  # r = y - X w, kept up to date
    for _ in range(require_positive_int(max_sweeps, "max_sweeps")):
        largest = 0.0
        for j in range(d):
            if col_sq[j] == 0.0:
                continue
            rho = X[:, j] @ r + col_sq[j] * w[j]  # x_jᵀ r_j
            new = np.sign(rho) * max(abs(rho) - n * alpha, 0.0) / col_sq[j]  # S(rho, n alpha) / ||x_j||²
            r -= X[:, j] * (new - w[j])
            largest, w[j] = max(largest, abs(new - w[j])), new
        if largest <= tol:
            break
    return w


def lasso_fit(
    X: ArrayLike, y: ArrayLike, alpha: float, *, fit_intercept: bool = True, **kwargs
) -> tuple[np.ndarray, float]:
    """The Lasso with an unpenalised intercept (centre X and y, solve, recover b); ``(w, b)``.

    >>> from concepts.regularization import lasso_fit
    >>> w, b = lasso_fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0], 0.0)
    >>> w.round(6).tolist(), round(b, 6)
    ([2.0], 1.0)
    """
    X, y = _xy(X, y)
    if not fit_intercept:
        return lasso_coordinate_descent(X, y, alpha, **kwargs), 0.0
    x_mean, y_mean = X.mean(axis=0), y.mean()
    w = lasso_coordinate_descent(X - x_mean, y - y_mean, alpha, **kwargs)
    return w, float(y_mean - x_mean @ w)


def lasso_path(X: ArrayLike, y: ArrayLike, alphas: ArrayLike, **kwargs) -> np.ndarray:
    """Lasso coefficients for each ``alpha`` (with intercept); shape ``(len(alphas), n_features)``.

    >>> from concepts.regularization import lasso_path
    >>> lasso_path([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0], [10.0, 0.0]).round(6).tolist()
    [[0.0], [2.0]]
    """
    return np.stack([lasso_fit(X, y, a, **kwargs)[0] for a in as_array(alphas, "alphas").ravel()])


# ------------------------------------------------------------------------- early stopping


class EarlyStopping(NamedTuple):
    """Where training stopped and which weights it kept."""

    best_step: int  # the evaluation with the lowest validation loss (the weights restored)
    stop_step: int  # the evaluation after which training stopped
    w: np.ndarray | None  # the restored weights (None from :func:`early_stopping`)


def early_stopping(val_losses: ArrayLike, *, patience: int, min_delta: float = 0.0) -> EarlyStopping:
    """Replay early stopping on a list of validation losses, one per evaluation.

    An evaluation improves when its loss is below the best so far by more than
    ``min_delta``; training stops after ``patience`` evaluations in a row without one
    (or at the end of the list) and keeps the best evaluation's weights.

    >>> from concepts.regularization import early_stopping
    >>> early_stopping([5, 4, 3, 3.5, 3.2, 3.1, 2.0], patience=3)[:2]
    (2, 5)
    """
    losses = as_array(val_losses, "val_losses").ravel()
    patience = require_positive_int(patience, "patience")
    if losses.size == 0:
        raise ValueError("val_losses must hold at least one loss; got none")
    best, wait = 0, 0
    for t in range(1, losses.size):
        if losses[t] < losses[best] - min_delta:
            best, wait = t, 0
        else:
            wait += 1
            if wait >= patience:
                return EarlyStopping(best, t, None)
    return EarlyStopping(best, losses.size - 1, None)


def overfitting_problem(
    *, n_train: int = 20, n_val: int = 500, d: int = 40, noise: float = 1.0, rng: np.random.Generator | int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A linear problem with more features than training rows, where gradient descent overfits.

    Returns ``(X_train, y_train, X_val, y_val)``: Gaussian features, a true weight vector
    with about a quarter of its entries non-zero, and Gaussian label noise of std ``noise``.

    >>> from concepts.regularization import overfitting_problem
    >>> [a.shape for a in overfitting_problem()]
    [(20, 40), (20,), (500, 40), (500,)]
    """
    gen = require_rng(rng)
    n_train, n_val, d = (require_positive_int(v, k) for v, k in ((n_train, "n_train"), (n_val, "n_val"), (d, "d")))
    w_true = gen.standard_normal(d) * (gen.random(d) < 0.25)
    X, X_val = gen.standard_normal((n_train, d)), gen.standard_normal((n_val, d))
    noise = require_finite(noise, "noise")
    y = X @ w_true + noise * gen.standard_normal(n_train)
    y_val = X_val @ w_true + noise * gen.standard_normal(n_val)
    return X, y, X_val, y_val


def gd_with_early_stopping(
    X: ArrayLike, y: ArrayLike, X_val: ArrayLike, y_val: ArrayLike, *, lr: float, max_steps: int, patience: int
) -> tuple[EarlyStopping, np.ndarray]:
    """Gradient descent on ``(1/(2n)) ||Xw - y||²`` from ``w = 0``, stopped early on the validation loss.

    The validation loss is measured before the first step and after every step; the
    weights of the best evaluation are restored. Returns the :class:`EarlyStopping` record
    (with ``w``) and the validation losses seen, shape ``(stop_step + 1,)``.

    >>> from concepts.regularization import gd_with_early_stopping, overfitting_problem
    >>> record, val = gd_with_early_stopping(*overfitting_problem(), lr=0.02, max_steps=3000, patience=50)
    >>> record.best_step, record.stop_step, round(float(val.min()), 4)
    (112, 162, 1.8408)
    """
    X, y = _xy(X, y)
    X_val, y_val = _xy(X_val, y_val)
    lr = require_positive(lr, "lr")
    max_steps, patience = require_nonnegative_int(max_steps, "max_steps"), require_positive_int(patience, "patience")
    w = np.zeros(X.shape[1])
    best_w, best_loss, best_step, wait, val = w.copy(), np.inf, 0, 0, []
    for t in range(max_steps + 1):
        r_val = X_val @ w - y_val
        val.append(r_val @ r_val / (2 * len(y_val)))
        if val[-1] < best_loss:
            best_w, best_loss, best_step, wait = w.copy(), val[-1], t, 0  # remember, to restore later
        else:
            wait += 1
            if wait >= patience:
                break
        if t < max_steps:
            w = w - lr * X.T @ (X @ w - y) / len(y)
    return EarlyStopping(best_step, len(val) - 1, best_w), np.array(val)
