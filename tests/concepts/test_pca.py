"""PCA against scikit-learn's ``PCA(svd_solver="full")`` in float64, plus every claim of the page.

Each ``check_*`` function takes the implementation under test, so the same checks can
grade a learner's own ``pca_svd`` / ``pca_eig`` / ``transform`` / ... later.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import PCA, KernelPCA, TruncatedSVD
from sklearn.preprocessing import StandardScaler
from sklearn.utils.extmath import svd_flip
from support import bank_tolerance, check_numeric_keys

from concepts.pca import (
    PCAResult,
    choose_n_components,
    covariance_matrix,
    flip_signs,
    inverse_transform,
    kernel_pca,
    pca_components,
    pca_eig,
    pca_svd,
    reconstruction_error,
    standardize,
    transform,
)

Fit = Callable[..., PCAResult]
FITS = {"svd": pca_svd, "eig": pca_eig}

# (n_samples, n_features, n_components): n > d, n < d, n = d, the minimum n = 2, k from 1 to min(n, d).
SHAPES = [
    (20, 5, 1),
    (20, 5, 3),
    (20, 5, 5),
    (6, 10, 1),
    (6, 10, 4),
    (6, 10, 6),
    (7, 7, 7),
    (2, 3, 1),
    (2, 3, 2),
    (50, 2, 2),
]


def correlated(n: int, d: int, seed: int = 0, offset: float = 5.0) -> np.ndarray:
    """Gaussian rows mixed by a random matrix (so features correlate) and moved off the origin."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + offset * rng.normal(size=d)


def well_defined(lam: np.ndarray) -> np.ndarray:
    """Components whose axis is unique: non-zero variance and a gap to both neighbours.

    A zero eigenvalue (rank-deficient data, n <= d) or a repeated one leaves the axis free
    to rotate, so no two correct implementations need agree on it.
    """
    tol = 1e-8 * lam[0]
    gaps = np.abs(np.diff(lam)) > tol
    apart = np.ones(len(lam), bool)
    apart[:-1] &= gaps
    apart[1:] &= gaps
    return (lam > tol) & apart


def match_signs(ours: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Signs s (one per row) with s * ours ~ ref; rows are unit vectors, so |ours . ref| ~ 1."""
    return np.sign(np.sum(ours * ref, axis=1))


def result_from_sklearn(ref: PCA) -> PCAResult:
    """Our container filled from a fitted scikit-learn PCA, to test transforms on their own."""
    total = float(ref.explained_variance_[0] / ref.explained_variance_ratio_[0])
    return PCAResult(
        mean=ref.mean_,
        components=ref.components_,
        explained_variance=ref.explained_variance_,
        explained_variance_ratio=ref.explained_variance_ratio_,
        total_variance=total,
        n_samples=int(ref.n_samples_),
    )


# -- checks that take the implementation under test ------------------------------------------


def check_fit_against_sklearn(fit: Fit, X: np.ndarray, n_components: int, *, svd_solver: str = "full") -> None:
    """Mean, variances (ddof = 1), ratios and axes (up to sign) equal scikit-learn's."""
    ref = PCA(n_components=n_components, svd_solver=svd_solver).fit(X)
    ours = fit(X, n_components=n_components)
    scale = float(np.sum(ref.explained_variance_) / np.sum(ref.explained_variance_ratio_))
    assert ours.components.shape == ref.components_.shape
    np.testing.assert_allclose(ours.mean, ref.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.explained_variance, ref.explained_variance_, rtol=1e-8, atol=1e-10 * scale)
    np.testing.assert_allclose(ours.explained_variance_ratio, ref.explained_variance_ratio_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.total_variance, scale, rtol=1e-10)
    assert ours.n_samples == X.shape[0]
    keep = well_defined(ref.explained_variance_)
    signs = match_signs(ours.components, ref.components_)
    np.testing.assert_allclose((signs[:, None] * ours.components)[keep], ref.components_[keep], atol=1e-7)
    np.testing.assert_allclose(ours.components @ ours.components.T, np.eye(n_components), atol=1e-10)


def check_transform_against_sklearn(transform_fn: Callable[..., np.ndarray], X: np.ndarray, n_components: int) -> None:
    """Scores, plain and whitened, equal scikit-learn's on the training rows and on new rows.

    A whitened score on a zero-variance axis is rounding noise divided by a clipped scale,
    so only axes with variance are compared when whitening.
    """
    new_rows = correlated(4, X.shape[1], seed=99)
    for whiten in (False, True):
        ref = PCA(n_components=n_components, svd_solver="full", whiten=whiten).fit(X)
        fitted = result_from_sklearn(ref)
        cols = ref.explained_variance_ > 1e-8 * ref.explained_variance_[0] if whiten else slice(None)
        for rows in (X, new_rows, X[:1]):
            got, expected = transform_fn(fitted, rows, whiten=whiten), ref.transform(rows)
            assert got.shape == expected.shape
            np.testing.assert_allclose(got[:, cols], expected[:, cols], rtol=1e-9, atol=1e-8)


def check_inverse_against_sklearn(inverse_fn: Callable[..., np.ndarray], X: np.ndarray, n_components: int) -> None:
    """Reconstructions, plain and whitened, equal scikit-learn's ``inverse_transform``."""
    for whiten in (False, True):
        ref = PCA(n_components=n_components, svd_solver="full", whiten=whiten).fit(X)
        Z = ref.transform(X)
        got = inverse_fn(result_from_sklearn(ref), Z, whiten=whiten)
        np.testing.assert_allclose(got, ref.inverse_transform(Z), rtol=1e-9, atol=1e-8)


def check_routes_agree(fit_a: Fit, fit_b: Fit, X: np.ndarray, n_components: int) -> None:
    """Eigendecomposition of the covariance and SVD of the centred data give one answer.

    After the shared sign convention the well-defined axes are identical, not just equal
    up to sign.
    """
    a, b = fit_a(X, n_components=n_components), fit_b(X, n_components=n_components)
    np.testing.assert_allclose(a.explained_variance, b.explained_variance, atol=1e-10 * a.total_variance)
    np.testing.assert_allclose(a.explained_variance_ratio, b.explained_variance_ratio, atol=1e-10)
    keep = well_defined(b.explained_variance)
    np.testing.assert_allclose(a.components[keep], b.components[keep], atol=1e-7)


def check_reconstruction_identity(fit: Fit, error_fn: Callable[..., float], X: np.ndarray) -> None:
    """On the training data, ``‖X - X̂‖²_F / (n - 1)`` equals the sum of the discarded eigenvalues."""
    n = X.shape[0]
    lam = fit(X).explained_variance  # all min(n, d) eigenvalues
    for k in range(1, len(lam) + 1):
        p = fit(X, n_components=k)
        discarded = float(lam[k:].sum())
        assert error_fn(p, X) == pytest.approx(discarded, rel=1e-8, abs=1e-10 * lam.sum())
        assert error_fn(p, X, ddof=0) == pytest.approx(discarded * (n - 1) / n, rel=1e-8, abs=1e-10 * lam.sum())
        assert p.discarded_variance == pytest.approx(discarded, rel=1e-8, abs=1e-10 * lam.sum())


def check_choose_against_sklearn(choose_fn: Callable[[np.ndarray, float], int], X: np.ndarray) -> None:
    """``k`` for a variance target equals scikit-learn's ``n_components_`` for ``PCA(n_components=target)``."""
    ratio = PCA(svd_solver="full").fit(X).explained_variance_ratio_
    for target in (0.05, 0.5, 0.8, 0.9, 0.95, 0.99):
        ref = PCA(n_components=target, svd_solver="full").fit(X)
        assert choose_fn(ratio, target) == ref.n_components_, target


# -- comparisons with scikit-learn over shapes ------------------------------------------------


@pytest.mark.parametrize("route", FITS)
@pytest.mark.parametrize(("n", "d", "k"), SHAPES)
def test_fit_matches_sklearn(route: str, n: int, d: int, k: int) -> None:
    check_fit_against_sklearn(FITS[route], correlated(n, d, seed=n * d + k), k)


@pytest.mark.parametrize(("n", "d", "k"), [(20, 5, 2), (200, 8, 8), (6, 10, 3)])
def test_eig_route_matches_sklearns_covariance_solver(n: int, d: int, k: int) -> None:
    check_fit_against_sklearn(pca_eig, correlated(n, d, seed=k), k, svd_solver="covariance_eigh")


@pytest.mark.parametrize(("n", "d", "k"), SHAPES)
def test_transform_and_inverse_match_sklearn(n: int, d: int, k: int) -> None:
    X = correlated(n, d, seed=n + d + k)
    check_transform_against_sklearn(transform, X, k)
    check_inverse_against_sklearn(inverse_transform, X, k)


@pytest.mark.parametrize(("n", "d", "k"), SHAPES)
def test_eig_route_equals_svd_route(n: int, d: int, k: int) -> None:
    check_routes_agree(pca_eig, pca_svd, correlated(n, d, seed=3 * n + d), k)


@pytest.mark.parametrize("route", FITS)
@pytest.mark.parametrize(("n", "d"), [(20, 5), (6, 10), (2, 3), (30, 1)])
def test_reconstruction_error_is_the_discarded_variance(route: str, n: int, d: int) -> None:
    check_reconstruction_identity(FITS[route], reconstruction_error, correlated(n, d, seed=n))


@pytest.mark.parametrize(("n", "d"), [(200, 12), (40, 6), (8, 20)])
def test_choose_n_components_matches_sklearn(n: int, d: int) -> None:
    check_choose_against_sklearn(choose_n_components, correlated(n, d, seed=d))


# -- the sign convention ----------------------------------------------------------------------


def test_flip_signs_is_sklearns_svd_flip_on_rows() -> None:
    V = np.random.default_rng(1).normal(size=(6, 4))
    _, expected = svd_flip(None, V.copy(), u_based_decision=False)
    np.testing.assert_array_equal(flip_signs(V), expected)
    tie = [[0.5, -0.5], [-0.5, 0.5]]  # a tie in |v|: the first entry decides, as in svd_flip
    np.testing.assert_array_equal(flip_signs(tie), [[0.5, -0.5], [0.5, -0.5]])


@pytest.mark.parametrize("route", FITS)
def test_components_have_sklearns_signs_exactly(route: str) -> None:
    """Not only up to sign: with a unique largest entry per axis, the signs themselves agree."""
    X = correlated(30, 6, seed=4)
    ref = PCA(svd_solver="full").fit(X)
    np.testing.assert_allclose(FITS[route](X).components, ref.components_, atol=1e-8)


# -- properties the page states ---------------------------------------------------------------


@pytest.mark.parametrize("route", FITS)
def test_scores_are_uncorrelated_with_variances_lambda(route: str) -> None:
    """cov(Z) = diag(lambda); the ratios of all components sum to 1; total variance = tr(C)."""
    X = correlated(40, 5, seed=5)
    p = FITS[route](X)
    Z = transform(p, X)
    np.testing.assert_allclose(np.cov(Z, rowvar=False), np.diag(p.explained_variance), atol=1e-10)
    assert p.explained_variance_ratio.sum() == pytest.approx(1.0, abs=1e-12)
    assert p.total_variance == pytest.approx(np.trace(np.cov(X, rowvar=False)), rel=1e-12)
    assert p.total_variance == pytest.approx(X.var(axis=0, ddof=1).sum(), rel=1e-12)
    np.testing.assert_allclose(np.cov(transform(p, X, whiten=True), rowvar=False), np.eye(5), atol=1e-10)


def test_full_rank_round_trip_is_exact() -> None:
    X = correlated(9, 4, seed=6)
    p = pca_svd(X)
    np.testing.assert_allclose(inverse_transform(p, transform(p, X)), X, atol=1e-10)
    np.testing.assert_allclose(inverse_transform(p, transform(p, X, whiten=True), whiten=True), X, atol=1e-10)
    assert reconstruction_error(p, X) == pytest.approx(0.0, abs=1e-20)


def test_pca_ignores_a_shift_but_uncentred_svd_chases_the_mean() -> None:
    """Centring makes PCA shift-invariant; skipping it makes the first axis point at the mean."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(100, 3))
    shift = np.array([30.0, 40.0, 0.0])
    a, b = pca_svd(X), pca_svd(X + shift)
    np.testing.assert_allclose(a.components, b.components, atol=1e-9)
    np.testing.assert_allclose(a.explained_variance, b.explained_variance, rtol=1e-9)
    first_uncentred = np.linalg.svd(X + shift, full_matrices=False)[2][0]
    assert abs(first_uncentred @ (shift / np.linalg.norm(shift))) > 0.999
    assert abs(a.components[0] @ (shift / np.linalg.norm(shift))) < 0.99


def test_truncated_svd_does_not_centre() -> None:
    """scikit-learn's TruncatedSVD skips centring, so on shifted data its first axis is the mean's."""
    X = np.random.default_rng(7).normal(size=(100, 3)) + np.array([30.0, 40.0, 0.0])
    first = TruncatedSVD(n_components=1, algorithm="arpack").fit(X).components_[0]
    assert abs(first @ np.array([0.6, 0.8, 0.0])) > 0.999
    assert abs(pca_svd(X).components[0] @ np.array([0.6, 0.8, 0.0])) < 0.99


def test_torch_pca_lowrank_conventions() -> None:
    """torch.pca_lowrank centres, returns the axes as the columns of V and S with S² / (n - 1) = λ."""
    import torch

    torch.manual_seed(0)
    X = correlated(30, 4, seed=3)
    _, S, V = torch.pca_lowrank(torch.from_numpy(X), q=4)
    p = pca_svd(X)
    np.testing.assert_allclose(S.numpy() ** 2 / 29, p.explained_variance, rtol=1e-9)
    axes = V.numpy().T  # (q, d): one axis per row, like components
    np.testing.assert_allclose(match_signs(axes, p.components)[:, None] * axes, p.components, atol=1e-8)


def test_units_change_the_first_axis_unless_standardised() -> None:
    """Metres to millimetres on feature 0 makes PC1 that feature; z-scores undo the effect."""
    rng = np.random.default_rng(8)
    h = rng.normal(size=200)
    X = np.column_stack([h, 0.8 * h + 0.6 * rng.normal(size=200), rng.normal(size=200)])
    X_mm = X * np.array([1000.0, 1.0, 1.0])
    raw, raw_mm = pca_svd(X).components[0], pca_svd(X_mm).components[0]
    assert abs(raw[0]) < 0.9 and abs(raw_mm[0]) > 0.999
    z, z_mm = pca_svd(standardize(X)), pca_svd(standardize(X_mm))
    np.testing.assert_allclose(z.components, z_mm.components, atol=1e-9)
    np.testing.assert_allclose(z.explained_variance_ratio, z_mm.explained_variance_ratio, atol=1e-12)


def test_two_z_scored_features_give_the_diagonals() -> None:
    """A 2 x 2 correlation matrix [[1, r], [r, 1]] has eigenvectors (1, 1)/√2 and (1, -1)/√2 for any r."""
    for seed in (20, 21):
        p = pca_svd(standardize(correlated(30, 2, seed=seed)))
        np.testing.assert_allclose(np.abs(p.components), np.full((2, 2), 2**-0.5), atol=1e-12)


def test_standardize_matches_standard_scaler_and_gives_the_correlation_matrix() -> None:
    X = correlated(25, 4, seed=9)
    X[:, 2] = 3.0  # a constant feature: StandardScaler only centres it
    np.testing.assert_allclose(standardize(X), StandardScaler().fit_transform(X), atol=1e-12)
    Y = correlated(25, 4, seed=10)
    p = pca_svd(standardize(Y, ddof=1))
    assert p.total_variance == pytest.approx(4.0, rel=1e-12)  # tr(R) = d
    np.testing.assert_allclose(p.explained_variance, np.linalg.eigvalsh(np.corrcoef(Y, rowvar=False))[::-1], atol=1e-12)
    q = pca_svd(standardize(Y))  # ddof = 0 z-scores, then an n - 1 covariance: R * n / (n - 1)
    assert q.total_variance == pytest.approx(4.0 * 25 / 24, rel=1e-12)


def test_covariance_route_loses_tiny_variances_that_svd_keeps() -> None:
    """Forming Xcᵀ Xc squares the condition number: s = 1e-9 survives the SVD, λ = 1e-18 does not."""
    rng = np.random.default_rng(11)
    Q, _ = np.linalg.qr(np.column_stack([np.ones(50), rng.normal(size=(50, 2))]))
    U = Q[:, 1:]  # orthonormal columns, each orthogonal to the ones vector, so already centred
    V, _ = np.linalg.qr(rng.normal(size=(2, 2)))
    X = U @ np.diag([1.0, 1e-9]) @ V.T
    true = np.array([1.0, 1e-18]) / 49
    svd_err = abs(pca_svd(X).explained_variance[1] - true[1]) / true[1]
    eig_err = abs(pca_eig(X).explained_variance[1] - true[1]) / true[1]
    assert svd_err < 1e-4
    assert eig_err > 1e-2


def test_constant_feature_gets_a_zero_variance_axis() -> None:
    X = correlated(15, 3, seed=12)
    X[:, 1] = 3.0
    for fit in FITS.values():
        check_fit_against_sklearn(fit, X, 3)
        p = fit(X)
        assert p.explained_variance[-1] == pytest.approx(0.0, abs=1e-12)
        np.testing.assert_allclose(np.abs(p.components[-1]), [0.0, 1.0, 0.0], atol=1e-9)
        assert np.isfinite(transform(p, X, whiten=True)).all()


def test_large_values_far_from_the_origin() -> None:
    X = correlated(30, 4, seed=13) * 1e6 + 1e9
    for fit in FITS.values():
        check_fit_against_sklearn(fit, X, 2)


def test_one_row_and_one_feature() -> None:
    X = correlated(10, 1, seed=14)
    p = pca_svd(X)
    assert p.components.tolist() == [[1.0]]
    assert p.explained_variance[0] == pytest.approx(X.var(ddof=1), rel=1e-12)
    row = transform(p, X[3:4])
    assert row.shape == (1, 1) and row[0, 0] == pytest.approx(X[3, 0] - X.mean(), rel=1e-12)
    assert reconstruction_error(p, X[3:4], ddof=0) == pytest.approx(0.0, abs=1e-20)


def test_choose_n_components_needs_strictly_more_than_the_target() -> None:
    """Ratios 1/2, 1/4, 1/4 are exact in binary: 0.75 is reached at k = 2 but passed only at k = 3."""
    assert choose_n_components([0.5, 0.25, 0.25], 0.75) == 3
    assert choose_n_components([0.5, 0.25, 0.25], 0.7) == 2
    assert choose_n_components([0.5, 0.25, 0.25], 0.4) == 1


def test_no_rank_k_projection_beats_pca() -> None:
    """Eckart–Young, checked on projections only: no random 2-D subspace reconstructs better than PC1-2."""
    X = correlated(40, 6, seed=15)
    best = reconstruction_error(pca_svd(X, n_components=2), X)
    rng = np.random.default_rng(16)
    for _ in range(200):
        Q, _ = np.linalg.qr(rng.normal(size=(6, 2)))  # an orthonormal basis of a random plane
        Xc = X - X.mean(axis=0)
        assert np.sum((Xc - Xc @ Q @ Q.T) ** 2) / 39 >= best - 1e-9


def test_library_conventions_the_page_names() -> None:
    """eigh is ascending; np.var divides by n and np.cov by n - 1; var(c x) = c² var(x); partial ratios sum below 1."""
    X = correlated(12, 4, seed=17)
    C = np.cov(X, rowvar=False)
    assert np.all(np.diff(np.linalg.eigh(C)[0]) > 0)
    np.testing.assert_allclose(X.var(axis=0) * 12 / 11, np.diag(C), rtol=1e-12)
    np.testing.assert_allclose((100 * X).var(axis=0, ddof=1), 1e4 * X.var(axis=0, ddof=1), rtol=1e-12)
    assert pca_svd(X, n_components=2).explained_variance_ratio.sum() < 1.0


def data_with_eigenvalues_4_2_1_half() -> np.ndarray:
    """Nine rows whose sample covariance has eigenvalues 4, 2, 1, 0.5: orthonormal scores scaled by sqrt(8 lambda)."""
    rng = np.random.default_rng(18)
    Q, _ = np.linalg.qr(np.column_stack([np.ones(9), rng.normal(size=(9, 4))]))
    return Q[:, 1:] * np.sqrt(np.array([4.0, 2.0, 1.0, 0.5]) * 8) @ np.linalg.qr(rng.normal(size=(4, 4)))[0]


def test_bank_numeric_keys_follow_from_the_package() -> None:
    """Each numeric answer in quiz/banks/pca.json is recomputed here from the functions it teaches."""
    bank = json.loads((Path(__file__).resolve().parents[2] / "quiz" / "banks" / "pca.json").read_text("utf-8"))
    key = {q["id"]: q["answer"] for q in bank["questions"] if q["type"] == "numeric"}
    lam = np.array([6.0, 3.0, 1.0])
    assert key["pca.evr-two"] == pytest.approx(lam[:2].sum() / lam.sum())
    lam = np.array([5.0, 2.5, 1.7, 0.5, 0.3])
    assert key["pca.choose-k"] == choose_n_components(lam / lam.sum(), 0.9)
    # A data set whose covariance has eigenvalues 4, 2, 1, 0.5: orthonormal scores scaled by sqrt(lambda).
    X = data_with_eigenvalues_4_2_1_half()
    np.testing.assert_allclose(pca_svd(X).explained_variance, [4.0, 2.0, 1.0, 0.5])
    assert key["pca.reconstruction-error"] == pytest.approx(reconstruction_error(pca_svd(X, n_components=2), X))
    three = np.array([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]])
    assert key["pca.hand-eigenvalue"] == pytest.approx(pca_eig(three).explained_variance[0])
    metres = correlated(20, 1, seed=19)
    assert key["pca.units-variance"] == pytest.approx(0.01 * (100 * metres).var(ddof=1) / metres.var(ddof=1))


# -- the hand-worked example ------------------------------------------------------------------


@pytest.mark.parametrize("route", FITS)
def test_hand_worked_three_points(route: str) -> None:
    """Three points (-2, 0), (2, 3), (3, 0), worked by hand.

    Mean (1, 1); centred rows (-3, -1), (1, 2), (2, -1).
    Xcᵀ Xc = [[9+1+4, 3+2-2], [3, 1+4+1]] = [[14, 3], [3, 6]], so C = [[7, 1.5], [1.5, 3]].
    trace 10, det 21 - 2.25 = 18.75: λ² - 10 λ + 18.75 = 0 gives λ = 5 ± 2.5 = 7.5, 2.5,
    ratios 0.75, 0.25. (C - 7.5 I) = [[-0.5, 1.5], [1.5, -4.5]] so v1 = (3, 1)/√10; v2 is
    orthogonal, ±(1, -3)/√10, and the sign rule (largest entry positive) picks (-1, 3)/√10.
    Scores z1 = (-9-1, 3+2, 6-1)/√10 = (-√10, √10/2, √10/2), z2 = (3-3, -1+6, -2-3)/√10
    = (0, √10/2, -√10/2); their variances are 15/2 = 7.5 and 5/2 = 2.5.
    Keeping k = 1: x̂ = mean + z1 v1 = (-2, 0), (2.5, 1.5), (2.5, 1.5); residuals (0, 0),
    (-0.5, 1.5), (0.5, -1.5); squared sum 0.25+2.25+0.25+2.25 = 5; 5 / (3 - 1) = 2.5 = λ2.
    """
    X = np.array([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]])
    r10 = np.sqrt(10.0)
    p = FITS[route](X)
    np.testing.assert_allclose(p.mean, [1.0, 1.0])
    np.testing.assert_allclose(p.explained_variance, [7.5, 2.5])
    np.testing.assert_allclose(p.explained_variance_ratio, [0.75, 0.25])
    np.testing.assert_allclose(p.components, np.array([[3.0, 1.0], [-1.0, 3.0]]) / r10, atol=1e-12)
    np.testing.assert_allclose(transform(p, X), [[-r10, 0.0], [r10 / 2, r10 / 2], [r10 / 2, -r10 / 2]], atol=1e-12)
    p1 = FITS[route](X, n_components=1)
    np.testing.assert_allclose(inverse_transform(p1, transform(p1, X)), [[-2, 0], [2.5, 1.5], [2.5, 1.5]], atol=1e-12)
    assert reconstruction_error(p1, X) == pytest.approx(2.5)
    assert reconstruction_error(p1, X, ddof=0) == pytest.approx(5 / 3)
    assert choose_n_components(p.explained_variance_ratio, 0.7) == 1


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("route", FITS)
@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.arange(4.0), r"X must have shape \(n_samples >= 2, n_features >= 1\); got \(4,\)"),
        (np.zeros((2, 2, 2)), r"got \(2, 2, 2\)"),
        (np.ones((1, 3)), r"got \(1, 3\)"),
        (np.zeros((3, 0)), r"got \(3, 0\)"),
        ([[1.0, np.nan], [2.0, 3.0]], "X must be finite"),
        ([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]], "got 3 identical rows"),
    ],
)
def test_bad_data_raises(route: str, X: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FITS[route](X)


@pytest.mark.parametrize("route", FITS)
@pytest.mark.parametrize("k", [0, 4, -1, 1.5, 0.9, True, "2"])
def test_bad_n_components_raises(route: str, k: object) -> None:
    X = correlated(3, 5)  # min(n, d) = 3
    with pytest.raises(ValueError, match=r"n_components must be an integer in .* = \[1, 3\]; got"):
        FITS[route](X, n_components=k)


def test_bad_shapes_for_transforms_raise() -> None:
    p = pca_svd(correlated(6, 3), n_components=2)
    with pytest.raises(ValueError, match=r"X must have shape \(n_rows, 3\); got \(3,\)"):
        transform(p, np.ones(3))
    with pytest.raises(ValueError, match=r"X must have shape \(n_rows, 3\); got \(2, 4\)"):
        transform(p, np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"Z must have shape \(n_rows, 2\); got \(2, 3\)"):
        inverse_transform(p, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"X must have shape \(n_rows, 3\)"):
        reconstruction_error(p, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"ddof must be 0 or 1 and smaller than n_rows = 2; got 2"):
        reconstruction_error(p, np.ones((2, 3)), ddof=2)
    with pytest.raises(ValueError, match=r"smaller than n_rows = 1; got 1"):
        reconstruction_error(p, np.ones((1, 3)))


def test_bad_arguments_elsewhere_raise() -> None:
    with pytest.raises(ValueError, match=r"target must be in \(0, 1\); got 1.0"):
        choose_n_components([0.6, 0.4], 1.0)
    with pytest.raises(ValueError, match=r"target must be in \(0, 1\); got 0"):
        choose_n_components([0.6, 0.4], 0)
    with pytest.raises(ValueError, match=r"non-empty 1-D array >= 0; got shape \(1, 2\)"):
        choose_n_components([[0.6, 0.4]], 0.5)
    with pytest.raises(ValueError, match=r"1-D array >= 0; got shape \(2,\)"):
        choose_n_components([0.6, -0.4], 0.5)
    with pytest.raises(ValueError, match=r"must sum to more than target = 0.9; got 0.8"):
        choose_n_components([0.6, 0.2], 0.9)
    with pytest.raises(ValueError, match=r"components must have shape \(k, n_features\); got \(3,\)"):
        flip_signs([1.0, -2.0, 0.5])
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples >= 2, n_features\); got \(3,\)"):
        standardize([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"ddof must be 0 or 1; got 2"):
        standardize(np.ones((3, 2)), ddof=2)


# -- covariance, the interview's two arrays, whitening and kernel PCA (issue 7) -----------------


@pytest.mark.parametrize(("n", "d"), [(2, 1), (7, 3), (4, 9)])
def test_covariance_matrix_matches_np_cov(n: int, d: int) -> None:
    X = correlated(n, d, seed=30)
    np.testing.assert_allclose(covariance_matrix(X), np.cov(X, rowvar=False).reshape(d, d), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("n", "d", "k"), [(20, 5, 2), (6, 10, 4), (8, 8, 8)])
def test_pca_components_match_eigh_of_the_covariance(n: int, d: int, k: int) -> None:
    X = correlated(n, d, seed=31)
    V, ratio = pca_components(X, k)
    lam, vecs = np.linalg.eigh(np.cov(X, rowvar=False))
    lam, vecs = lam[::-1], vecs[:, ::-1]
    np.testing.assert_allclose(np.abs(V), np.abs(vecs[:, :k].T), atol=1e-8)
    np.testing.assert_allclose(ratio, lam[:k] / lam.sum(), rtol=1e-10, atol=1e-12)
    sk = PCA(n_components=k, svd_solver="full").fit(X)
    np.testing.assert_allclose(V, sk.components_, atol=1e-10)


@pytest.mark.parametrize("gamma", [None, 0.3])
@pytest.mark.parametrize("k", [1, 3])
def test_kernel_pca_matches_sklearn_up_to_sign(gamma: float | None, k: int) -> None:
    X = correlated(15, 4, seed=32)
    ours = kernel_pca(X, k, gamma=gamma)
    theirs = KernelPCA(n_components=k, kernel="rbf", gamma=gamma).fit_transform(X)
    np.testing.assert_allclose(np.abs(ours), np.abs(theirs), atol=1e-8)
    signs = np.sign((ours * theirs).sum(0))
    np.testing.assert_allclose(ours, theirs * signs, atol=1e-8)


def test_linear_kernel_pca_is_pca() -> None:
    """Page and bank: K~ = Xc Xc^T = U S^2 U^T, scores sqrt(mu) a = U S = Xc V, and mu = (n - 1) lambda."""
    X = correlated(12, 5, seed=33)
    fit = pca_svd(X, n_components=3)
    ours = kernel_pca(X, 3, kernel="linear")
    np.testing.assert_allclose(np.abs(ours), np.abs(transform(fit, X)), atol=1e-9)
    np.testing.assert_allclose((ours**2).sum(0), 11 * fit.explained_variance, rtol=1e-9)


def test_kernel_pca_separates_concentric_circles_where_pca_cannot() -> None:
    """The classic picture: two rings; one RBF kernel component splits them, no linear one does."""
    angle = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    X = np.vstack([np.c_[np.cos(angle), np.sin(angle)], 3 * np.c_[np.cos(angle), np.sin(angle)]])
    inner = np.arange(80) < 40
    z = kernel_pca(X, 1, gamma=0.5)[:, 0]
    assert z[inner].min() > z[~inner].max() or z[inner].max() < z[~inner].min()
    for j in range(2):
        zl = transform(pca_svd(X), X)[:, j]
        assert not (zl[inner].min() > zl[~inner].max() or zl[inner].max() < zl[~inner].min())


def test_kernel_matrix_memory_from_the_bank() -> None:
    assert 50_000**2 * np.dtype(np.float64).itemsize / 1e9 == 20.0


def _whitening_matrices(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fit = pca_svd(X)
    V, lam = fit.components.T, fit.explained_variance  # (d, d), (d,)
    return X - fit.mean, np.diag(lam**-0.5) @ V.T, V @ np.diag(lam**-0.5) @ V.T


def test_pca_and_zca_whitening_give_identity_covariance_and_zca_stays_closest() -> None:
    """Page and bank: both W_PCA and W_ZCA whiten; ZCA = C^(-1/2) is the whitening closest to the input;
    transform(whiten=True) is PCA whitening; a rotation of white data is white."""
    X = correlated(200, 4, seed=34)
    Xc, W_pca, W_zca = _whitening_matrices(X)
    for W in (W_pca, W_zca):
        np.testing.assert_allclose(np.cov(Xc @ W.T, rowvar=False), np.eye(4), atol=1e-10)
    np.testing.assert_allclose(Xc @ W_pca.T, transform(pca_svd(X), X, whiten=True), atol=1e-10)
    lam, vecs = np.linalg.eigh(np.cov(X, rowvar=False))
    np.testing.assert_allclose(W_zca, vecs @ np.diag(lam**-0.5) @ vecs.T, atol=1e-10)  # C^(-1/2)
    zca_err, pca_err = (np.sum((Xc - Xc @ W.T) ** 2) for W in (W_zca, W_pca))
    assert zca_err < pca_err
    R = np.linalg.qr(np.random.default_rng(35).standard_normal((4, 4)))[0]
    np.testing.assert_allclose(np.cov(Xc @ W_pca.T @ R.T, rowvar=False), np.eye(4), atol=1e-10)
    for _ in range(20):  # and no rotation of the white data comes closer to the input than ZCA
        R = np.linalg.qr(np.random.default_rng(_).standard_normal((4, 4)))[0]
        assert np.sum((Xc - Xc @ W_pca.T @ R.T) ** 2) >= zca_err - 1e-9


def test_whitening_inflates_small_directions_and_changes_distances() -> None:
    X = correlated(50, 3, seed=36) * np.array([10.0, 1.0, 0.01])
    fit = pca_svd(X)
    gain = 1 / np.sqrt(fit.explained_variance)
    assert gain[-1] / gain[0] > 100
    Z, Zw = transform(fit, X), transform(fit, X, whiten=True)
    d, dw = np.linalg.norm(Z[0] - Z[1:], axis=1), np.linalg.norm(Zw[0] - Zw[1:], axis=1)
    assert np.argsort(d)[0] != np.argsort(dw)[0] or not np.allclose(d / d[0], dw / dw[0])
    np.testing.assert_allclose(pca_svd(Zw).explained_variance_ratio, 1 / 3, rtol=1e-9)  # white: every ratio 1/d


def test_whitened_score_from_the_bank() -> None:
    """A score of 6 on an axis of variance 9 whitens to 2: build two points whose first-axis variance is 9."""
    X = np.array([[-3.0 * np.sqrt(0.5), 0.0], [3.0 * np.sqrt(0.5), 0.0], [0.0, 0.1], [0.0, -0.1]])
    X = X * np.sqrt(9 / pca_svd(X).explained_variance[0])
    fit = pca_svd(X)
    assert fit.explained_variance[0] == pytest.approx(9.0)
    score = np.array([[6.0, 0.0]]) @ fit.components.T  # a centred row with score 6 on axis 1
    np.testing.assert_allclose(transform(fit, score + fit.mean, whiten=True)[0, 0], 2.0)


def test_torch_tensors_are_refused_with_a_type_error() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"X must be a NumPy array or array-like; got a torch.Tensor"):
        pca_svd(torch.zeros(3, 2))
    with pytest.raises(TypeError, match=r"X must be a NumPy array or array-like; got a torch.Tensor"):
        kernel_pca(torch.zeros(3, 2), 1)


def test_kernel_pca_bad_input_raises() -> None:
    X = correlated(5, 2, seed=37)
    with pytest.raises(ValueError, match=r"kernel must be 'rbf' or 'linear'; got 'poly'"):
        kernel_pca(X, 1, kernel="poly")
    with pytest.raises(ValueError, match=r"gamma must be positive; got -1.0"):
        kernel_pca(X, 1, gamma=-1.0)
    with pytest.raises(ValueError, match=r"n_components must be an integer in \[1, min\(n_samples, n_features\)\]"):
        kernel_pca(X, 6)
    with pytest.raises(ValueError, match=r"X must be finite with shape \(n_samples >= 2, n_features\)"):
        covariance_matrix([[1.0, 2.0]])


def test_every_numeric_key_is_computed() -> None:
    lam = np.array([6.0, 3.0, 1.0])
    lam5 = np.array([5.0, 2.5, 1.7, 0.5, 0.3])
    X4 = data_with_eigenvalues_4_2_1_half()
    computed = {
        "pca.evr-two": float(lam[:2].sum() / lam.sum()),
        "pca.choose-k": choose_n_components(lam5 / lam5.sum(), 0.9),
        "pca.reconstruction-error": reconstruction_error(pca_svd(X4, n_components=2), X4),
        "pca.hand-eigenvalue": float(pca_eig([[-2.0, 0.0], [2.0, 3.0], [3.0, 0.0]]).explained_variance[0]),
        "pca.units-variance": float(covariance_matrix([[0.0], [np.sqrt(0.02)]])[0, 0] * 100**2),
        "pca.kernel-memory": 50_000**2 * 8 / 1e9,
        "pca.whitened-score": 6.0 / np.sqrt(9.0),
    }
    check_numeric_keys("pca", computed, bank_tolerance)


@pytest.mark.parametrize(("exercise", "impl"), [("pca.covariance", covariance_matrix), ("pca.svd", pca_components)])
def test_exercise_checks_pass_on_our_implementation(exercise: str, impl: Callable) -> None:
    from concepts.exercises._harness import run_checks
    from concepts.exercises.pca import CHECKS

    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed
