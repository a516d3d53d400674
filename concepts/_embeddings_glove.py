"""GloVe's weighted least squares for :mod:`concepts.embeddings` (a private helper).

Follows Pennington et al. (2014): the weighting ``f(X_ij)`` and the objective with its
hand-derived gradients. The public names are re-exported by :mod:`concepts.embeddings`,
which is where the page and the API documentation find them; this file exists only to keep
each module short.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive

__all__ = [
    "glove_loss_and_grads",
    "glove_weight",
]


def glove_weight(x: ArrayLike, *, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """GloVe's weighting ``f(x) = min(x / x_max, 1)^alpha`` (paper: 100 and 3/4); ``f(0) = 0``.

    :raises ValueError: for a negative count or a non-positive ``x_max`` or ``alpha``.

    >>> from concepts.embeddings import glove_weight
    >>> glove_weight([0.0, 1.0, 100.0, 500.0]).round(4).tolist()  # 0.01^0.75 = 10^-1.5
    [0.0, 0.0316, 1.0, 1.0]
    """
    x = as_array(x, "x")
    if (x < 0).any() or not np.isfinite(x).all():
        raise ValueError("x must hold finite co-occurrence counts >= 0; got a negative or non-finite entry")
    return np.minimum(x / require_positive(x_max, "x_max"), 1.0) ** require_positive(alpha, "alpha")


def _glove_shapes(W: tuple, W_tilde: tuple, b: tuple, b_tilde: tuple, X: tuple) -> None:
    if len(W) != 2 or len(W_tilde) != 2 or W[1] != W_tilde[1]:
        raise ValueError(f"W and W_tilde must have shapes (V, d) and (V_c, d) with the same d; got {W} and {W_tilde}")
    if b != W[:1] or b_tilde != W_tilde[:1] or (W[0], W_tilde[0]) != X:
        want = f"b {W[:1]}, b_tilde {W_tilde[:1]} and X {(W[0], W_tilde[0])}"
        raise ValueError(f"expected {want}; got b {b}, b_tilde {b_tilde} and X {X}")


def glove_loss_and_grads(
    W: ArrayLike,
    W_tilde: ArrayLike,
    b: ArrayLike,
    b_tilde: ArrayLike,
    X: ArrayLike,
    *,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """GloVe's objective ``J = sum_ij f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2`` and its gradients.

    Only pairs with ``X_ij > 0`` count (``f(0) = 0``; ``log 0`` is undefined). With ``e_ij`` the
    residual in the square, ``g_ij = dJ/de_ij = 2 f(X_ij) e_ij`` and ``dJ/dW = g W~``,
    ``dJ/dW~ = g^T W``, ``dJ/db = g 1``, ``dJ/db~ = g^T 1``.

    :param W: word vectors ``(V, d)``; ``W_tilde``: context vectors ``(V_c, d)``.
    :param b: word biases ``(V,)``; ``b_tilde``: context biases ``(V_c,)``; ``X``: counts ``(V, V_c)``.
    :returns: ``(J, dW, dW_tilde, db, db_tilde)``, the gradients shaped like the parameters.
    :raises ValueError: for shapes that do not fit together, or as ``glove_weight`` does.

    >>> from concepts.embeddings import glove_loss_and_grads
    >>> J, dW, dW_t, db, db_t = glove_loss_and_grads([[0.0, 0.0]], [[0.0, 0.0]], [0.0], [0.0], [[100.0]])
    >>> round(J, 4), round(float(db[0]), 4)  # f = 1, e = -log 100: J = (log 100)^2, dJ/db = 2 e
    (21.2076, -9.2103)
    """
    names = ("W", "W_tilde", "b", "b_tilde", "X")
    W, W_tilde, b, b_tilde, X = (as_array(a, n) for a, n in zip((W, W_tilde, b, b_tilde, X), names, strict=True))
    _glove_shapes(W.shape, W_tilde.shape, b.shape, b_tilde.shape, X.shape)
    f = glove_weight(X, x_max=x_max, alpha=alpha)  # (V, V_c), 0 where X = 0
    log_x = np.log(np.where(X > 0, X, 1.0))  # any finite stand-in works where f = 0
    e = W @ W_tilde.T + b[:, None] + b_tilde[None, :] - log_x  # e_ij = w_i . w~_j + b_i + b~_j - log X_ij
    g = 2 * f * e  # dJ/de_ij, (V, V_c)
    return float((f * e**2).sum()), g @ W_tilde, g.T @ W, g.sum(axis=1), g.sum(axis=0)
