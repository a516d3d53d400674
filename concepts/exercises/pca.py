"""Checks for the PCA exercises: centring and the sample covariance, and PCA by SVD.

The trusted references are ``numpy.cov`` and ``numpy.linalg.eigh`` of it (an independent
route to the same axes: an eigendecomposition, not an SVD), and properties every correct
PCA has. ``tests/concepts/test_pca.py`` runs the same checks on ``concepts.pca``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]

SHAPES = [(2, 1), (3, 2), (6, 3), (20, 5), (5, 8)]  # (n_samples, n_features), smallest first


def _data(n: int, d: int, seed: int) -> np.ndarray:
    """Correlated data with distinct variances along every axis, away from the origin."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((d, d)) * np.linspace(2.0, 0.5, d)[:, None]
    return 4.0 + rng.standard_normal((n, d)) @ mixing


# ---------------------------------------------------------------- covariance


@check("equals np.cov(X, rowvar=False): centred, divided by n - 1", section="pca-max-variance")
def check_covariance_values(candidate: Callable) -> None:
    for i, (n, d) in enumerate(SHAPES):
        X = _data(n, d, seed=i)
        want = np.cov(X, rowvar=False).reshape(d, d)
        compare(candidate(X), want, inputs={"X": X}, rtol=1e-10, atol=1e-12)


@check("adding a constant to every row leaves the covariance unchanged", section="pca-max-variance")
def check_covariance_ignores_a_shift(candidate: Callable) -> None:
    X = _data(6, 3, seed=10)
    shifted = X + np.array([100.0, -50.0, 7.0])
    compare(candidate(shifted), candidate(X), inputs={"X": shifted}, what="the covariance of the shifted data",
            rtol=1e-9, atol=1e-9)  # fmt: skip


@check("a list of lists is accepted and the result is symmetric", section="pca-max-variance")
def check_covariance_list_input(candidate: Callable) -> None:
    X = [[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]]
    got = np.asarray(candidate(X))
    compare(got, [[7.0, 1.5], [1.5, 3.0]], inputs={"X": np.array(X)}, rtol=0, atol=1e-12)


# ---------------------------------------------------------------- PCA by SVD


def _eigh_reference(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    lam, vecs = np.linalg.eigh(np.cov(X, rowvar=False).reshape(X.shape[1], X.shape[1]))
    lam, vecs = np.clip(lam[::-1], 0.0, None), vecs[:, ::-1]  # largest first
    return vecs[:, :k].T, lam[:k] / lam.sum()


def _align(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Flip each row of ``got`` to the sign of ``want``'s: an axis and its negative are the same axis."""
    signs = np.where((got * want).sum(1) < 0, -1.0, 1.0)
    return got * signs[:, None]


@check(
    "components equal the eigenvectors of the covariance (np.linalg.eigh), up to sign", section="pca-covariance-vs-svd"
)
def check_components(candidate: Callable) -> None:
    for i, (n, d) in enumerate([(3, 2), (6, 3), (20, 5)]):
        X = _data(n, d, seed=20 + i)
        for k in sorted({1, min(n, d)}):
            got = candidate(X, k)
            expect(isinstance(got, tuple) and len(got) == 2, "return a tuple (components, explained_variance_ratio)")
            V = np.asarray(got[0], dtype=np.float64)
            want, _ = _eigh_reference(X, k)
            expect(V.shape == want.shape, f"components must have shape (k, n_features) = {want.shape}; got {V.shape}")
            compare(_align(V, want), want, inputs={"X": X, "n_components": k}, what="the components (rows)",
                    rtol=1e-7, atol=1e-9)  # fmt: skip


@check("the explained variance ratios equal eigenvalue / sum of all eigenvalues", section="pca-evr")
def check_explained_variance_ratio(candidate: Callable) -> None:
    for i, (n, d) in enumerate([(3, 2), (6, 3), (20, 5), (5, 8)]):
        X = _data(n, d, seed=30 + i)
        k = min(n, d) - 1 or 1
        _, want = _eigh_reference(X, k)
        compare(candidate(X, k)[1], want, inputs={"X": X, "n_components": k}, what="explained_variance_ratio",
                rtol=1e-8, atol=1e-12)  # fmt: skip


@check("shifting the data leaves the axes unchanged (the data are centred first)", section="pca-max-variance")
def check_ignores_a_shift(candidate: Callable) -> None:
    X = _data(10, 3, seed=40)
    V, ratio = candidate(X, 2)
    shifted = X + 1000.0
    V2, ratio2 = candidate(shifted, 2)
    compare(_align(np.asarray(V2, dtype=np.float64), np.asarray(V, dtype=np.float64)), V, inputs={"X": shifted},
            what="the components of the shifted data", rtol=1e-6, atol=1e-8)  # fmt: skip
    compare(ratio2, ratio, inputs={"X": shifted}, what="explained_variance_ratio of the shifted data", rtol=1e-6,
            atol=1e-10)  # fmt: skip


CHECKS: dict[str, list] = {
    "pca.covariance": [check_covariance_values, check_covariance_ignores_a_shift, check_covariance_list_input],
    "pca.svd": [check_components, check_explained_variance_ratio, check_ignores_a_shift],
}
