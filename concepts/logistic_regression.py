"""Logistic and softmax regression: a linear score through a sigmoid (or softmax), fit by cross-entropy.

Follows the textbook treatment (Hastie, Tibshirani and Friedman, *The Elements of Statistical
Learning*, 2nd ed., section 4.4: Newton's method as iteratively reweighted least squares) with
scikit-learn's objective (``LogisticRegression``, ``solver="lbfgs"``, L2): the **mean**
cross-entropy plus ``l2 / 2 * ||w||²`` with the intercept **not** penalised. scikit-learn
writes the same problem as ``C * sum(loss) + ||w||² / 2``; dividing by ``C n`` gives
``l2 = 1 / (C n)`` (:func:`l2_from_C`). Softmax regression keeps scikit-learn's
over-complete parameterisation (one weight column per class), which the L2 penalty makes
unique; the free shift of the unpenalised intercepts is fixed by making them sum to zero,
where scikit-learn's L-BFGS, started from zero, also ends. Everything fits with NumPy alone
(damped Newton). Leaves out L1 and elastic-net penalties, sample and class weights,
one-vs-rest, sparse inputs and the liblinear/saga solvers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_finite, require_positive, require_positive_int

__all__ = [
    "fit_logistic_newton",
    "fit_softmax_regression",
    "l2_from_C",
    "log_sigmoid",
    "logistic_hessian",
    "logistic_loss_grad",
    "mse_sigmoid_loss_grad",
    "predict_proba",
    "sigmoid",
    "softmax_loss_grad",
    "softmax_predict_proba",
]


def sigmoid(z: ArrayLike) -> np.ndarray:
    """The logistic function ``σ(z) = 1 / (1 + e^(-z))``, computed without overflow for any ``z``.

    For ``z < 0`` it uses the equal form ``e^z / (1 + e^z)``, so ``e^(-z)`` never overflows.

    :param z: scores, any shape.
    :returns: probabilities in [0, 1], same shape, float64.

    >>> from concepts.logistic_regression import sigmoid
    >>> sigmoid([-1000.0, 0.0, 2.0]).round(4).tolist()
    [0.0, 0.5, 0.8808]
    """
    z = as_array(z, "z")
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(z: ArrayLike) -> np.ndarray:
    """``log σ(z) = -log(1 + e^(-z))``, finite for every finite ``z`` (``log σ(-1000) = -1000``).

    ``np.log(sigmoid(z))`` gives ``-inf`` once ``σ(z)`` underflows (``z`` below about -745 in
    float64); ``-logaddexp(0, -z)`` does not. Note ``log(1 - σ(z)) = log σ(-z)``.

    :param z: scores, any shape.
    :returns: ``log σ(z)``, same shape, float64, always ``<= 0``.

    >>> from concepts.logistic_regression import log_sigmoid
    >>> log_sigmoid([-1000.0, 0.0, 1000.0]).round(4).tolist()
    [-1000.0, -0.6931, -0.0]
    """
    return -np.logaddexp(0.0, -as_array(z, "z"))  # -log(e^0 + e^-z)


def l2_from_C(C: float, n_samples: int) -> float:
    """scikit-learn's ``C`` as the L2 strength of the mean loss: ``l2 = 1 / (C n)``.

    ``C * sum_i loss_i + ||w||² / 2`` divided by ``C n`` is ``mean_i loss_i + ||w||² / (2 C n)``:
    the same minimiser. A larger ``C`` is a weaker penalty.

    :param C: scikit-learn's inverse regularisation strength, ``> 0``.
    :param n_samples: ``n``, the number of training rows.
    :returns: ``l2`` for :func:`logistic_loss_grad` and the fits.

    >>> from concepts.logistic_regression import l2_from_C
    >>> l2_from_C(1.0, 200), l2_from_C(0.1, 200)
    (0.005, 0.05)
    """
    return 1.0 / (require_positive(C, "C") * require_positive_int(n_samples, "n_samples"))


def _data(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    X, y = as_array(X, "X"), as_array(y, "y")
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape (n_samples,) = ({X.shape[0]},); got {y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X and y must be finite; got NaN or inf")
    return X, y


def _binary(X: ArrayLike, y: ArrayLike, w: ArrayLike, b: float, l2: float) -> tuple:
    X, y = _data(X, y)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"y must hold labels 0 and 1; got values {np.unique(y)[:5].tolist()}")
    w = as_array(w, "w")
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have shape (n_features,) = ({X.shape[1]},); got {w.shape}")
    l2 = require_finite(l2, "l2")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0; got {l2!r}")
    return X, y, w, require_finite(b, "b"), l2


def predict_proba(w: ArrayLike, b: float, X: ArrayLike) -> np.ndarray:
    """``P(y = 1 | x) = σ(x·w + b)`` for every row, shape ``(n_samples,)``.

    >>> from concepts.logistic_regression import predict_proba
    >>> predict_proba([2.0, -1.0], 0.5, [[0.0, 0.0], [1.0, 5.0]]).round(4).tolist()  # σ(0.5), σ(-2.5)
    [0.6225, 0.0759]
    """
    X = as_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}")
    return sigmoid(X @ as_array(w, "w") + require_finite(b, "b"))


def logistic_loss_grad(
    w: ArrayLike, b: float, X: ArrayLike, y: ArrayLike, *, l2: float = 0.0
) -> tuple[float, np.ndarray, float]:
    """Mean cross-entropy plus ``l2/2 ||w||²`` (intercept not penalised), and its gradient.

    With ``z = Xw + b`` and ``p = σ(z)``, the loss of one row is
    ``-y log σ(z) - (1 - y) log σ(-z)`` (both logs stable), and

    ``J = mean_i loss_i + l2/2 ||w||²``, ``∇_w J = Xᵀ(p - y)/n + l2 w``, ``∂J/∂b = mean(p - y)``.

    :param w: weights, shape ``(n_features,)``.
    :param b: the intercept.
    :param X: features, shape ``(n_samples, n_features)``.
    :param y: labels in {0, 1}, shape ``(n_samples,)``.
    :param l2: the penalty strength of the mean loss, ``>= 0`` (``1 / (C n)`` for scikit-learn's ``C``).
    :returns: ``(loss, grad_w, grad_b)`` with ``grad_w`` of shape ``(n_features,)``.
    :raises ValueError: on mismatched shapes, labels other than 0/1, or a negative ``l2``.

    >>> from concepts.logistic_regression import logistic_loss_grad
    >>> loss, gw, gb = logistic_loss_grad([0.0], 0.0, [[1.0], [-1.0]], [1, 0])  # p = 0.5 everywhere
    >>> round(loss, 4), gw.tolist(), gb  # log 2; (0.5-1)*1 + (0.5-0)*(-1) over 2; mean(p - y)
    (0.6931, [-0.5], 0.0)
    """
    X, y, w, b, l2 = _binary(X, y, w, b, l2)
    z = X @ w + b  # (n,)
    losses = -y * log_sigmoid(z) - (1.0 - y) * log_sigmoid(-z)  # -y log p - (1-y) log(1-p)
    r = sigmoid(z) - y  # dloss/dz = p - y, (n,)
    n = X.shape[0]
    loss = float(losses.mean() + 0.5 * l2 * w @ w)
    return loss, X.T @ r / n + l2 * w, float(r.mean())


def logistic_hessian(w: ArrayLike, b: float, X: ArrayLike, y: ArrayLike, *, l2: float = 0.0) -> np.ndarray:
    """The Hessian of :func:`logistic_loss_grad`'s loss in ``(w, b)``, intercept last (scikit-learn's order).

    With ``X̃ = [X, 1]``, ``S = diag(p(1 - p))`` and ``D = diag(l2, ..., l2, 0)``:
    ``H = X̃ᵀ S X̃ / n + D``, shape ``(n_features + 1, n_features + 1)``. It is positive
    semi-definite, so the loss is convex; with ``l2 > 0`` and a non-degenerate ``X̃`` it is
    strictly convex. ``y`` does not enter the Hessian; it is taken for the same signature.

    >>> import numpy as np
    >>> from concepts.logistic_regression import logistic_hessian
    >>> logistic_hessian([0.0], 0.0, [[1.0], [-1.0]], [1, 0], l2=0.5).tolist()  # p(1-p) = 1/4
    [[0.75, 0.0], [0.0, 0.25]]
    """
    X, y, w, b, l2 = _binary(X, y, w, b, l2)
    Xt = np.column_stack([X, np.ones(len(X))])  # (n, d + 1): the intercept's column last
    p = sigmoid(Xt[:, :-1] @ w + b)
    s = p * (1.0 - p)  # σ'(z) = σ(z)(1 - σ(z)), the IRLS weights
    D = np.full(Xt.shape[1], l2)
    D[-1] = 0.0  # the intercept is not penalised
    return Xt.T @ (s[:, None] * Xt) / len(X) + np.diag(D)


def _newton(loss_grad_hess, theta: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Damped Newton: solve ``H step = -g`` (least squares, for a singular ``H``), halve until the loss drops."""
    loss, g, H = loss_grad_hess(theta)
    for _ in range(max_iter):
        if np.max(np.abs(g)) < tol:
            return theta
        step = np.linalg.lstsq(H, -g, rcond=None)[0]
        t = 1.0
        while t > 1e-10:
            new_loss, new_g, new_H = loss_grad_hess(theta + t * step)
            if new_loss <= loss + 1e-4 * t * (g @ step):  # Armijo: enough decrease
                break
            t /= 2
        theta, loss, g, H = theta + t * step, new_loss, new_g, new_H
    if np.max(np.abs(g)) < tol:
        return theta
    raise ValueError(
        f"Newton did not converge in max_iter = {max_iter} steps; the largest gradient is {np.abs(g).max():.3g}"
    )


def _fit_args(tol: float, max_iter: int, l2: float) -> tuple[float, int, float]:
    l2 = require_finite(l2, "l2")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0; got {l2!r}")
    return require_positive(tol, "tol"), require_positive_int(max_iter, "max_iter"), l2


def fit_logistic_newton(
    X: ArrayLike, y: ArrayLike, *, l2: float = 0.0, tol: float = 1e-10, max_iter: int = 100
) -> tuple[np.ndarray, float]:
    """Fit binary logistic regression by Newton's method (IRLS), from zero, to ``max|∇J| < tol``.

    Each step solves ``H Δ = -∇J`` with :func:`logistic_hessian`; written out it is a weighted
    least-squares fit with weights ``p(1 - p)``, hence "iteratively reweighted least squares".
    Near the optimum the error squares at every step. A step is halved until the loss drops.
    With ``l2 = 1 / (C n)`` the result equals scikit-learn's ``LogisticRegression(C=C)``.

    :param X: features, shape ``(n_samples, n_features)``.
    :param y: labels in {0, 1}, shape ``(n_samples,)``.
    :param l2: penalty strength of the mean loss, ``>= 0``; with 0 and separable data there is no optimum.
    :param tol: stop when every gradient entry is below it.
    :param max_iter: the most Newton steps.
    :returns: ``(w, b)``: weights of shape ``(n_features,)`` and the intercept.
    :raises ValueError: on bad input, or when Newton has not converged after ``max_iter`` steps.

    >>> from concepts.logistic_regression import fit_logistic_newton
    >>> w, b = fit_logistic_newton([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1], l2=0.1)
    >>> round(float(w[0]), 4), round(b, 4)
    (0.6367, -0.9551)
    """
    X, y = _data(X, y)
    X, y, _, _, _ = _binary(X, y, np.zeros(X.shape[1]), 0.0, l2)
    tol, max_iter, l2 = _fit_args(tol, max_iter, l2)

    def loss_grad_hess(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        w, b = theta[:-1], float(theta[-1])
        loss, gw, gb = logistic_loss_grad(w, b, X, y, l2=l2)
        return loss, np.append(gw, gb), logistic_hessian(w, b, X, y, l2=l2)

    theta = _newton(loss_grad_hess, np.zeros(X.shape[1] + 1), tol, max_iter)
    return theta[:-1], float(theta[-1])


def mse_sigmoid_loss_grad(w: ArrayLike, b: float, X: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray, float]:
    """Why not MSE: ``mean (σ(z) - y)² / 2`` and its gradient, for comparison with cross-entropy.

    ``∂/∂z = (p - y) p (1 - p)``: the extra factor ``p(1 - p)`` goes to zero when a prediction is
    confidently **wrong** (``p → 0`` with ``y = 1``), so the model barely learns from its worst
    mistakes, and the loss is not convex in ``w``. Cross-entropy's ``∂/∂z = p - y`` stays near -1.

    :returns: ``(loss, grad_w, grad_b)`` as in :func:`logistic_loss_grad` (no penalty).

    >>> from concepts.logistic_regression import mse_sigmoid_loss_grad
    >>> _, gw, _ = mse_sigmoid_loss_grad([1.0], 0.0, [[-20.0]], [1])  # z = -20, y = 1: confidently wrong
    >>> float(gw[0]) > -1e-7  # tiny push; cross-entropy would push with (p - y) x = 20
    True
    """
    X, y, w, b, _ = _binary(X, y, w, b, 0.0)
    p = sigmoid(X @ w + b)
    r = (p - y) * p * (1.0 - p)  # d/dz (p - y)² / 2
    return float(np.mean((p - y) ** 2) / 2), X.T @ r / len(X), float(r.mean())


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)  # shift by the row max: exp never overflows
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _classes(y: np.ndarray, num_classes: int | None) -> tuple[np.ndarray, int]:
    if not (np.round(y) == y).all() or (y < 0).any():
        raise ValueError(f"y must hold class indices 0, 1, ...; got values {np.unique(y)[:5].tolist()}")
    k = int(y.max()) + 1 if num_classes is None else require_positive_int(num_classes, "num_classes")
    if k < 2 or y.max() >= k:
        raise ValueError(f"y must hold class indices below num_classes >= 2; got num_classes = {k}")
    return y.astype(np.int64), k


def softmax_predict_proba(W: ArrayLike, b: ArrayLike, X: ArrayLike) -> np.ndarray:
    """``softmax(XW + b)`` row by row, shape ``(n_samples, num_classes)``; ``W`` is ``(n_features, num_classes)``.

    >>> from concepts.logistic_regression import softmax_predict_proba
    >>> softmax_predict_proba([[1.0, -1.0]], [0.0, 0.0], [[0.0], [1.0]]).round(4).tolist()
    [[0.5, 0.5], [0.8808, 0.1192]]
    """
    X = as_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features); got {X.shape}")
    return np.exp(_log_softmax(X @ as_array(W, "W") + as_array(b, "b")))


def softmax_loss_grad(
    W: ArrayLike, b: ArrayLike, X: ArrayLike, y: ArrayLike, *, l2: float = 0.0
) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean multinomial cross-entropy plus ``l2/2 ||W||²_F`` (intercepts not penalised), and its gradient.

    With ``P = softmax(XW + b)`` and ``Y`` one-hot: ``∇_W J = Xᵀ(P - Y)/n + l2 W`` and
    ``∇_b J = mean(P - Y)`` over rows. Two classes with ``W = [-w/2, w/2]`` give the binary model.

    :param W: weights, shape ``(n_features, num_classes)`` (scikit-learn's ``coef_`` transposed).
    :param b: intercepts, shape ``(num_classes,)``.
    :param X: features, shape ``(n_samples, n_features)``.
    :param y: class indices in ``0 .. num_classes - 1``, shape ``(n_samples,)``.
    :param l2: penalty strength of the mean loss, ``>= 0``.
    :returns: ``(loss, grad_W, grad_b)`` with the shapes of ``W`` and ``b``.

    >>> import numpy as np
    >>> from concepts.logistic_regression import softmax_loss_grad
    >>> loss, gW, gb = softmax_loss_grad(np.zeros((1, 3)), np.zeros(3), [[1.0]], [2])
    >>> round(loss, 4), np.round(gb, 4).tolist()  # log 3; p - onehot
    (1.0986, [0.3333, 0.3333, -0.6667])
    """
    X, y = _data(X, y)
    W, b = as_array(W, "W"), as_array(b, "b")
    if W.ndim != 2 or W.shape[0] != X.shape[1] or b.shape != (W.shape[1],):
        raise ValueError(
            f"W must have shape ({X.shape[1]}, num_classes) and b (num_classes,); got {W.shape}, {b.shape}"
        )
    y, _ = _classes(y, W.shape[1])
    l2 = _fit_args(1.0, 1, l2)[2]
    n = len(X)
    logp = _log_softmax(X @ W + b)  # (n, K)
    R = np.exp(logp)
    R[np.arange(n), y] -= 1.0  # P - Y, (n, K)
    loss = float(-logp[np.arange(n), y].mean() + 0.5 * l2 * np.sum(W * W))
    return loss, X.T @ R / n + l2 * W, R.mean(axis=0)


def fit_softmax_regression(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l2: float,
    num_classes: int | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit multinomial (softmax) regression by Newton's method; scikit-learn's ``LogisticRegression`` for K >= 3.

    One weight column per class is one more than needed: adding a vector to every column
    leaves the probabilities unchanged. The L2 penalty picks the solution whose columns sum
    to zero; the unpenalised intercepts keep a free shift, fixed here by ``sum(b) = 0``.
    The Hessian has ``(d + 1) K`` rows, block ``(j, k)`` being ``X̃ᵀ diag(p_j(δ_jk - p_k)) X̃ / n``.

    :param X: features, shape ``(n_samples, n_features)``.
    :param y: class indices, shape ``(n_samples,)``.
    :param l2: penalty strength of the mean loss, ``> 0`` (``1 / (C n)``).
    :param num_classes: ``K``; ``max(y) + 1`` by default.
    :returns: ``(W, b)`` of shapes ``(n_features, K)`` and ``(K,)``.
    :raises ValueError: on bad input or no convergence.

    >>> import numpy as np
    >>> from concepts.logistic_regression import fit_softmax_regression
    >>> W, b = fit_softmax_regression([[0.0], [1.0], [2.0]], [0, 1, 2], l2=0.1)
    >>> (np.round(W, 4) + 0.0).tolist(), round(float(b.sum()), 10)  # each row of W sums to zero, so do the intercepts
    ([[-1.2838, 0.0, 1.2838]], 0.0)
    """
    X, y = _data(X, y)
    y, K = _classes(y, num_classes)
    tol, max_iter, l2 = _fit_args(tol, max_iter, require_positive(l2, "l2"))
    n, d = X.shape
    Xt = np.column_stack([X, np.ones(n)])  # (n, d + 1)
    Y = np.eye(K)[y]  # one-hot, (n, K)
    D = np.tile(np.append(np.full(d, l2), 0.0), K)  # penalty on W, none on b; theta is class-major

    def loss_grad_hess(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        T = theta.reshape(K, d + 1).T  # (d + 1, K): rows of W, then b
        logp = _log_softmax(Xt @ T)
        P = np.exp(logp)
        loss = float(-(Y * logp).sum() / n + 0.5 * l2 * np.sum(T[:-1] ** 2))
        G = (Xt.T @ (P - Y) / n).T.ravel() + D * theta  # (K (d + 1),)
        H = np.empty((K * (d + 1), K * (d + 1)))
        for j in range(K):
            for k in range(K):
                s = P[:, j] * ((j == k) - P[:, k])  # ∂p_j/∂z_k
                H[j * (d + 1) : (j + 1) * (d + 1), k * (d + 1) : (k + 1) * (d + 1)] = Xt.T @ (s[:, None] * Xt) / n
        return loss, G, H + np.diag(D)

    T = _newton(loss_grad_hess, np.zeros(K * (d + 1)), tol, max_iter).reshape(K, d + 1).T
    return T[:-1], T[-1] - T[-1].mean()
