"""Principal component analysis: the orthogonal directions along which centred data vary most.

Follows Pearson (1901) and Hotelling (1933) as presented in Jolliffe, *Principal Component
Analysis* (2nd ed., 2002), with scikit-learn's conventions: the covariance divides by
``n - 1`` and each component's sign is fixed the way ``svd_flip`` fixes it. Kernel PCA
follows Schölkopf, Smola and Müller (1998) for the training points only. Leaves out
probabilistic, incremental, sparse and randomized PCA, projecting new points with kernel
PCA, and automatic choices of ``k`` such as Minka's MLE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array

__all__ = [
    "PCAResult",
    "choose_n_components",
    "covariance_matrix",
    "flip_signs",
    "inverse_transform",
    "kernel_pca",
    "pca_components",
    "pca_eig",
    "pca_svd",
    "reconstruction_error",
    "standardize",
    "transform",
]


@dataclass(frozen=True)
class PCAResult:
    """A fitted PCA, as returned by :func:`pca_svd` and :func:`pca_eig`.

    >>> from concepts.pca import pca_svd
    >>> p = pca_svd([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]], n_components=1)
    >>> p.mean.tolist(), round(p.total_variance, 4), round(p.discarded_variance, 4)
    ([1.0, 1.0], 10.0, 2.5)
    """

    mean: np.ndarray
    """The training mean, shape ``(n_features,)``, subtracted before projecting."""
    components: np.ndarray
    """Unit principal axes as rows, shape ``(k, n_features)``, largest variance first."""
    explained_variance: np.ndarray
    """Variance along each kept axis, shape ``(k,)``: eigenvalues of the covariance (``n - 1``)."""
    explained_variance_ratio: np.ndarray
    """Each kept eigenvalue over the total variance, shape ``(k,)``."""
    total_variance: float
    """Sum of all eigenvalues, which is the trace of the covariance."""
    n_samples: int
    """Number of training rows ``n``."""

    @property
    def discarded_variance(self) -> float:
        """Sum of the eigenvalues that were not kept: the training reconstruction error."""
        return self.total_variance - float(self.explained_variance.sum())


def _as_data(X: ArrayLike) -> np.ndarray:
    X = as_array(X, "X")
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(f"X must have shape (n_samples >= 2, n_features >= 1); got {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X must be finite; got NaN or inf")
    if (X[0] == X).all():
        raise ValueError(f"X must vary; got {X.shape[0]} identical rows (zero total variance)")
    return X


def _n_components(n_components: int | None, n: int, d: int) -> int:
    limit = min(n, d)
    if n_components is None:
        return limit
    is_int = isinstance(n_components, int | np.integer) and not isinstance(n_components, bool)
    if not is_int or not 1 <= n_components <= limit:
        raise ValueError(
            f"n_components must be an integer in [1, min(n_samples, n_features)] = [1, {limit}]; got {n_components!r}"
        )
    return int(n_components)


def _rows(X: ArrayLike, width: int, name: str) -> np.ndarray:
    X = as_array(X, name)
    if X.ndim != 2 or X.shape[1] != width:
        raise ValueError(f"{name} must have shape (n_rows, {width}); got {X.shape}")
    return X


def flip_signs(components: ArrayLike) -> np.ndarray:
    """Fix the arbitrary sign of each component as scikit-learn's ``svd_flip`` does.

    ``v`` and ``-v`` are the same axis, and LAPACK may return either. Following
    ``svd_flip(u, v, u_based_decision=False)`` (scikit-learn >= 1.5), each row is negated
    when needed so that its entry of largest absolute value is positive (on a tie, the
    first such entry decides).

    :param components: rows to fix, shape ``(k, n_features)``.
    :returns: a copy with the same shape and the fixed signs.
    :raises ValueError: when ``components`` is not 2-D.

    >>> from concepts.pca import flip_signs
    >>> flip_signs([[0.6, -0.8], [0.8, 0.6]]).tolist()
    [[-0.6, 0.8], [0.8, 0.6]]
    """
    V = as_array(components, "components").copy()
    if V.ndim != 2:
        raise ValueError(f"components must have shape (k, n_features); got {V.shape}")
    biggest = np.argmax(np.abs(V), axis=1)  # (k,)
    signs = np.where(V[np.arange(len(V)), biggest] < 0, -1.0, 1.0)  # (k,)
    return V * signs[:, None]


def _result(mean: np.ndarray, axes: np.ndarray, lam: np.ndarray, k: int, n: int) -> PCAResult:
    total = float(lam.sum())  # sum_j lambda_j = tr(C)
    return PCAResult(
        mean=mean,
        components=flip_signs(axes[:k]),
        explained_variance=lam[:k].copy(),
        explained_variance_ratio=lam[:k] / total,  # lambda_j / sum_i lambda_i
        total_variance=total,
        n_samples=n,
    )


def pca_eig(X: ArrayLike, *, n_components: int | None = None) -> PCAResult:
    """PCA by the eigendecomposition of the sample covariance ``C = Xcᵀ Xc / (n - 1)``.

    Costs ``O(n d² + d³)`` time and ``O(d²)`` memory; forming ``C`` squares the condition
    number, so variances below about ``1e-16`` times the largest are lost.

    :param X: data, shape ``(n_samples, n_features)``, at least two distinct rows.
    :param n_components: ``k``, how many axes to keep; all ``min(n, d)`` by default.
    :returns: the fitted :class:`PCAResult`.
    :raises ValueError: on a wrong shape, non-finite or constant data, or a bad ``k``.

    >>> import numpy as np
    >>> from concepts.pca import pca_eig
    >>> p = pca_eig([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]])
    >>> np.round(p.explained_variance, 4).tolist(), np.round(p.explained_variance_ratio, 4).tolist()
    ([7.5, 2.5], [0.75, 0.25])
    >>> np.round(p.components, 4).tolist()  # (3, 1) / sqrt(10) and (-1, 3) / sqrt(10)
    [[0.9487, 0.3162], [-0.3162, 0.9487]]
    """
    X = _as_data(X)
    n, d = X.shape
    k = _n_components(n_components, n, d)
    mean = X.mean(axis=0)  # (d,)
    Xc = X - mean  # (n, d)
    C = Xc.T @ Xc / (n - 1)  # C = Xcᵀ Xc / (n - 1), (d, d)
    lam, V = np.linalg.eigh(C)  # C V = V diag(lam); ascending order, (d,), (d, d)
    lam, V = lam[::-1], V[:, ::-1]  # largest variance first
    lam = np.clip(lam, 0.0, None)  # C is PSD; rounding can leave -1e-17
    return _result(mean, V.T[: min(n, d)], lam, k, n)


def pca_svd(X: ArrayLike, *, n_components: int | None = None) -> PCAResult:
    """PCA by the thin SVD of the centred data ``Xc = U diag(s) Vᵀ``; ``λ_j = s_j² / (n - 1)``.

    Costs ``O(n d min(n, d))`` time and ``O(n d)`` memory and never forms ``Xcᵀ Xc``, so it
    keeps small variances that :func:`pca_eig` loses. This is scikit-learn's
    ``PCA(svd_solver="full")``.

    :param X: data, shape ``(n_samples, n_features)``, at least two distinct rows.
    :param n_components: ``k``, how many axes to keep; all ``min(n, d)`` by default.
    :returns: the fitted :class:`PCAResult`.
    :raises ValueError: on a wrong shape, non-finite or constant data, or a bad ``k``.

    >>> import numpy as np
    >>> from concepts.pca import pca_svd
    >>> X = [[1.0, 1.0], [3.0, 2.0], [5.0, 3.0]]  # three points on a line of slope 1/2
    >>> p = pca_svd(X)
    >>> np.round(p.explained_variance, 4).tolist(), np.round(p.explained_variance_ratio, 4).tolist()
    ([5.0, 0.0], [1.0, 0.0])
    >>> np.round(p.components, 4).tolist()  # (2, 1) / sqrt(5), then the orthogonal axis
    [[0.8944, 0.4472], [-0.4472, 0.8944]]
    """
    X = _as_data(X)
    n, d = X.shape
    k = _n_components(n_components, n, d)
    mean = X.mean(axis=0)  # (d,)
    Xc = X - mean  # (n, d)
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)  # Xc = U diag(s) Vt; s (min(n, d),), Vt (min(n, d), d)
    lam = s**2 / (n - 1)  # lambda_j = s_j² / (n - 1)
    return _result(mean, Vt, lam, k, n)


def covariance_matrix(X: ArrayLike) -> np.ndarray:
    """The sample covariance of the columns: centre each feature, then ``Xcᵀ Xc / (n - 1)``.

    :param X: data, shape ``(n_samples >= 2, n_features)``.
    :returns: the covariance, shape ``(n_features, n_features)``, symmetric; as ``np.cov(X, rowvar=False)``.
    :raises ValueError: on a wrong shape or non-finite data.

    >>> from concepts.pca import covariance_matrix
    >>> covariance_matrix([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]]).tolist()  # centred rows (-3, -1), (1, 2), (2, -1)
    [[7.0, 1.5], [1.5, 3.0]]
    """
    X = as_array(X, "X")
    if X.ndim != 2 or X.shape[0] < 2 or not np.isfinite(X).all():
        raise ValueError(f"X must be finite with shape (n_samples >= 2, n_features); got shape {X.shape}")
    Xc = X - X.mean(axis=0)  # centre every feature, (n, d)
    return Xc.T @ Xc / (X.shape[0] - 1)  # C = Xcᵀ Xc / (n - 1), (d, d)


def pca_components(X: ArrayLike, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """The two arrays an interview asks for: the top ``k`` axes and their explained variance ratios, by SVD.

    The same computation as :func:`pca_svd`, returned as ``(components, explained_variance_ratio)``.

    :param X: data, shape ``(n_samples, n_features)``, at least two distinct rows.
    :param n_components: ``k``, between 1 and ``min(n_samples, n_features)``.
    :returns: ``components`` of shape ``(k, n_features)`` (unit rows, largest variance first,
        signs as scikit-learn's) and ``explained_variance_ratio`` of shape ``(k,)``.
    :raises ValueError: as :func:`pca_svd`.

    >>> import numpy as np
    >>> from concepts.pca import pca_components
    >>> V, ratio = pca_components([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]], 1)
    >>> np.round(V, 4).tolist(), np.round(ratio, 4).tolist()
    ([[0.9487, 0.3162]], [0.75])
    """
    fit = pca_svd(X, n_components=n_components)
    return fit.components, fit.explained_variance_ratio


def kernel_pca(X: ArrayLike, n_components: int, *, kernel: str = "rbf", gamma: float | None = None) -> np.ndarray:
    """Kernel PCA scores of the training rows: PCA in the feature space of a kernel, never built explicitly.

    ``K_ij = k(x_i, x_j)`` with ``k = exp(-gamma ‖x - y‖²)`` (``"rbf"``, ``gamma = 1 / n_features``
    by default, as scikit-learn) or ``xᵀy`` (``"linear"``, which gives ordinary PCA's scores).
    ``K`` is centred in feature space, ``K̃ = K - 1K - K1 + 1K1`` with ``1 = ones / n``; its
    eigenvectors ``a_j`` (unit norm) and eigenvalues ``μ_j`` give the scores ``√μ_j a_j``.
    Costs ``O(n² d + n³)``: it scales with the number of rows, not features.

    :param X: data, shape ``(n_samples, n_features)``.
    :param n_components: ``k``, between 1 and ``n_samples``.
    :returns: scores, shape ``(n_samples, k)``; each column's largest entry is positive.
    :raises ValueError: on a wrong shape, an unknown kernel, a non-positive ``gamma`` or a bad ``k``.

    >>> import numpy as np
    >>> from concepts.pca import kernel_pca, pca_svd, transform
    >>> X = np.random.default_rng(0).standard_normal((6, 3))
    >>> Z = kernel_pca(X, 2, kernel="linear")
    >>> bool(np.allclose(np.abs(Z), np.abs(transform(pca_svd(X, n_components=2), X))))  # linear kernel: plain PCA
    True
    """
    X = _as_data(X)
    n = X.shape[0]
    k = _n_components(n_components, n, n)
    if kernel not in ("rbf", "linear"):
        raise ValueError(f"kernel must be 'rbf' or 'linear'; got {kernel!r}")
    gamma = 1.0 / X.shape[1] if gamma is None else gamma
    if not gamma > 0:
        raise ValueError(f"gamma must be positive; got {gamma!r}")
    if kernel == "linear":
        K = X @ X.T  # (n, n)
    else:
        sq = (X**2).sum(1)
        K = np.exp(-gamma * np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0))  # exp(-gamma ‖xi - xj‖²)
    one = np.full((n, n), 1.0 / n)
    Kc = K - one @ K - K @ one + one @ K @ one  # centre the implicit features: K̃ = (I - 1) K (I - 1)
    mu, A = np.linalg.eigh(Kc)  # ascending, (n,), (n, n)
    mu, A = np.clip(mu[::-1][:k], 0.0, None), A[:, ::-1][:, :k]  # largest first
    Z = A * np.sqrt(mu)  # score of row i on axis j: √μ_j a_ij
    return flip_signs(Z.T).T


def _scale(pca: PCAResult) -> np.ndarray:
    # Same clip as scikit-learn: a zero-variance axis would otherwise divide by zero.
    return np.maximum(np.sqrt(pca.explained_variance), np.finfo(np.float64).eps)  # (k,)


def transform(pca: PCAResult, X: ArrayLike, *, whiten: bool = False) -> np.ndarray:
    """Project rows onto the kept axes: ``Z = (X - mean) Vₖᵀ``, shape ``(n_rows, k)``.

    :param pca: a fitted :class:`PCAResult` with ``k`` components.
    :param X: rows to project, shape ``(n_rows, n_features)``.
    :param whiten: divide each score by ``sqrt(λ_j)`` so every column has unit variance.
    :returns: the scores ``Z``, shape ``(n_rows, k)``.
    :raises ValueError: when ``X`` does not have ``n_features`` columns.

    >>> import numpy as np
    >>> from concepts.pca import pca_svd, transform
    >>> X = [[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]]
    >>> np.round(transform(pca_svd(X, n_components=1), X), 4).tolist()  # (-sqrt(10), sqrt(10)/2, sqrt(10)/2)
    [[-3.1623], [1.5811], [1.5811]]
    """
    X = _rows(X, pca.mean.shape[0], "X")
    Z = (X - pca.mean) @ pca.components.T  # z = Vₖᵀ (x - mean), (n_rows, k)
    return Z / _scale(pca) if whiten else Z  # z_j / sqrt(lambda_j)


def inverse_transform(pca: PCAResult, Z: ArrayLike, *, whiten: bool = False) -> np.ndarray:
    """Map scores back to feature space: ``X̂ = Z Vₖ + mean``, shape ``(n_rows, n_features)``.

    With all ``min(n, d)`` components this undoes :func:`transform` on the training data;
    with fewer it returns each row's closest point in the kept ``k``-dimensional subspace.

    :param pca: a fitted :class:`PCAResult` with ``k`` components.
    :param Z: scores, shape ``(n_rows, k)``.
    :param whiten: set it when ``Z`` came from ``transform(..., whiten=True)``.
    :returns: the reconstruction ``X̂``, shape ``(n_rows, n_features)``.
    :raises ValueError: when ``Z`` does not have ``k`` columns.

    >>> import numpy as np
    >>> from concepts.pca import inverse_transform, pca_svd
    >>> p = pca_svd([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]], n_components=1)
    >>> np.round(inverse_transform(p, [[0.0], [10**0.5]]), 4).tolist()  # mean, mean + (3, 1)
    [[1.0, 1.0], [4.0, 2.0]]
    """
    Z = _rows(Z, pca.components.shape[0], "Z")
    if whiten:
        Z = Z * _scale(pca)  # undo z_j / sqrt(lambda_j)
    return Z @ pca.components + pca.mean  # x̂ = Vₖ z + mean, (n_rows, d)


def reconstruction_error(pca: PCAResult, X: ArrayLike, *, ddof: int = 1) -> float:
    """Squared reconstruction error ``‖X - X̂‖²_F / (n_rows - ddof)`` after keeping ``k`` axes.

    With ``ddof=1`` (the covariance's convention) and the training data, this equals the
    sum of the discarded eigenvalues, :attr:`PCAResult.discarded_variance`. With
    ``ddof=0`` it is the mean squared error per row.

    :param pca: a fitted :class:`PCAResult`.
    :param X: rows to reconstruct, shape ``(n_rows, n_features)``.
    :param ddof: 1 or 0, subtracted from ``n_rows`` in the denominator.
    :returns: the error as a float.
    :raises ValueError: on a wrong shape, or ``ddof`` not 0 or 1, or ``n_rows <= ddof``.

    >>> from concepts.pca import pca_svd, reconstruction_error
    >>> X = [[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]]
    >>> round(reconstruction_error(pca_svd(X, n_components=1), X), 4)  # residuals (0, 0), (-0.5, 1.5), (0.5, -1.5)
    2.5
    """
    X = _rows(X, pca.mean.shape[0], "X")
    if ddof not in (0, 1) or X.shape[0] <= ddof:
        raise ValueError(f"ddof must be 0 or 1 and smaller than n_rows = {X.shape[0]}; got {ddof!r}")
    X_hat = inverse_transform(pca, transform(pca, X))  # (n_rows, d)
    return float(np.sum((X - X_hat) ** 2) / (X.shape[0] - ddof))  # ‖X - X̂‖²_F / (n - ddof)


def choose_n_components(explained_variance_ratio: ArrayLike, target: float) -> int:
    """The smallest ``k`` whose cumulative explained variance ratio is strictly above ``target``.

    This is scikit-learn's rule for ``PCA(n_components=0.95)``. Pass the ratios of all
    components (fit with ``n_components=None``), largest first.

    :param explained_variance_ratio: ratios, shape ``(m,)``, non-negative.
    :param target: the fraction of variance to keep, ``0 < target < 1``.
    :returns: ``k`` between 1 and ``m``.
    :raises ValueError: on a bad ``target``, a ratio array that is not 1-D and
        non-negative, or ratios that never exceed ``target``.

    >>> from concepts.pca import choose_n_components
    >>> choose_n_components([0.5, 0.3, 0.15, 0.05], 0.9)  # 0.5, 0.8, 0.95 > 0.9
    3
    """
    ratio = as_array(explained_variance_ratio, "explained_variance_ratio")
    if ratio.ndim != 1 or ratio.size == 0 or (ratio < 0).any():
        raise ValueError(f"explained_variance_ratio must be a non-empty 1-D array >= 0; got shape {ratio.shape}")
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1); got {target!r}")
    cumulative = np.cumsum(ratio)  # (m,) variance kept by the first j components
    k = int(np.searchsorted(cumulative, target, side="right")) + 1  # first j with sum_{i<=j} r_i > target
    if k > ratio.size:
        raise ValueError(f"the ratios must sum to more than target = {target}; got {cumulative[-1]:.6g}")
    return k


def standardize(X: ArrayLike, *, ddof: int = 0) -> np.ndarray:
    """Centre each feature and divide it by its standard deviation, shape ``(n, d)`` kept.

    ``ddof=0`` matches scikit-learn's ``StandardScaler``; with ``ddof=1`` the covariance of
    the result is exactly the correlation matrix. A constant feature is only centred (its
    scale is taken as 1, as ``StandardScaler`` does).

    :param X: data, shape ``(n_samples, n_features)``.
    :param ddof: 0 or 1, the degrees of freedom of the standard deviation.
    :returns: the standardised data, same shape as ``X``.
    :raises ValueError: on a wrong shape or ``ddof`` not 0 or 1.

    >>> from concepts.pca import standardize
    >>> standardize([[1.0, 10.0], [3.0, 30.0]]).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    X = as_array(X, "X")
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"X must have shape (n_samples >= 2, n_features); got {X.shape}")
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1; got {ddof!r}")
    std = X.std(axis=0, ddof=ddof)  # (d,)
    return (X - X.mean(axis=0)) / np.where(std == 0.0, 1.0, std)  # (x - mean) / std
