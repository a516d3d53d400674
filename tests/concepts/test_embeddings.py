"""Embeddings checked against PyTorch in float64: lookups, cosine, SGNS and GloVe gradients, tying.

The references are ``torch.nn.functional.embedding`` and ``one_hot``, ``F.cosine_similarity``
and scikit-learn's ``cosine_similarity``, and torch autograd on losses written here with
``F.logsigmoid``. Each ``check_*`` takes the implementation under test (a function with the
signature of the one in ``concepts.embeddings``), so the same checks can grade a learner's
solution.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.optimize import minimize_scalar
from sklearn.metrics.pairwise import cosine_similarity as sk_cosine
from support import bank_tolerance, check_numeric_keys

from concepts.embeddings import (
    TOY_CORPUS,
    cosine_similarity,
    embedding_lookup,
    glove_loss_and_grads,
    glove_weight,
    gpt2_param_count,
    info_nce_loss,
    lm_head_param_count,
    mean_pairwise_cosine,
    noise_distribution,
    one_hot,
    sgns_loss_and_grads,
    sgns_loss_torch,
    tied_logits,
    train_sgns,
)
from concepts.exercises.embeddings import _autograd_sgns

GPT2_SMALL = {"vocab_size": 50257, "max_len": 1024, "d_model": 768, "num_layers": 12}


def close(got, want, *, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    np.testing.assert_allclose(
        np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), rtol=rtol, atol=atol
    )


# ---------------------------------------------------------------- one-hot and lookup

# (V, d, shape of ids)
LOOKUP_CASES = [(1, 1, ()), (1, 3, (1,)), (5, 4, (2, 3)), (50, 8, (4, 7)), (7, 2, (1, 1, 9))]


def check_lookup(lookup_fn: Callable, one_hot_fn: Callable, V: int, d: int, ids_shape: tuple[int, ...]) -> None:
    """A lookup equals F.embedding, and equals one-hot rows times the table (F.one_hot agrees)."""
    rng = np.random.default_rng(V * 100 + d)
    E = rng.standard_normal((V, d))
    ids = rng.integers(0, V, size=ids_shape)
    got = lookup_fn(E, ids)
    assert got.shape == (*ids_shape, d)
    close(got, F.embedding(torch.from_numpy(ids), torch.from_numpy(E)).numpy())
    onehot = one_hot_fn(ids, V)
    assert onehot.shape == (*ids_shape, V)
    assert (onehot == F.one_hot(torch.from_numpy(ids), V).numpy()).all()
    close(onehot @ E, got)


@pytest.mark.parametrize("case", LOOKUP_CASES, ids=str)
def test_lookup_equals_one_hot_times_table(case) -> None:
    check_lookup(embedding_lookup, one_hot, *case)


def test_table_gradient_is_one_hot_transpose_times_upstream() -> None:
    """d loss / dE = onehot^T G: only looked-up rows get gradient, and repeated ids add up."""
    rng = np.random.default_rng(1)
    E = torch.from_numpy(rng.standard_normal((6, 3))).requires_grad_()
    ids = np.array([4, 1, 4, 4])
    G = rng.standard_normal((4, 3))
    (F.embedding(torch.from_numpy(ids), E) * torch.from_numpy(G)).sum().backward()
    close(E.grad.numpy(), one_hot(ids, 6).T @ G)
    close(E.grad.numpy()[4], G[[0, 2, 3]].sum(0))
    assert (E.grad.numpy()[[0, 2, 3, 5]] == 0).all()


# ---------------------------------------------------------------- cosine similarity

# (shape of a, shape of b)
COSINE_CASES = [((1,), (1,)), ((3,), (3,)), ((4, 5), (4, 5)), ((1, 6), (3, 6)), ((2, 1, 7), (1, 4, 7))]


def check_cosine(cos_fn: Callable, a_shape, b_shape) -> None:
    """Equals F.cosine_similarity (with broadcasting), lies in [-1, 1], ignores the scale of a and b."""
    rng = np.random.default_rng(len(a_shape) * 10 + a_shape[-1])
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    got = cos_fn(a, b)
    want = F.cosine_similarity(torch.from_numpy(a), torch.from_numpy(b), dim=-1).numpy()
    assert got.shape == want.shape
    close(got, want)
    assert (np.abs(got) <= 1).all()
    close(cos_fn(3.5 * a, 0.01 * b), got)
    close(cos_fn(-a, b), -got)


@pytest.mark.parametrize("shapes", COSINE_CASES, ids=str)
def test_cosine_matches_torch(shapes) -> None:
    check_cosine(cosine_similarity, *shapes)


def test_cosine_matrix_matches_sklearn() -> None:
    X = np.random.default_rng(2).standard_normal((9, 5))
    close(cosine_similarity(X[:, None, :], X[None, :, :]), sk_cosine(X))


def check_cosine_extreme_scales(cos_fn: Callable) -> None:
    """Vectors of size 1e200 or 1e-200 give the same cosine as size 1, where |x|^2 would overflow or underflow."""
    a, b = np.array([3.0, 4.0]), np.array([4.0, 3.0])  # cos = 24 / 25
    for scale in (1e200, 1e-200):
        got = cos_fn(scale * a, scale * b)
        assert np.isfinite(got)
        close(got, 0.96)


def test_cosine_extreme_scales() -> None:
    check_cosine_extreme_scales(cosine_similarity)


def test_zero_vector_raises_while_libraries_return_zero() -> None:
    """Ours refuses a zero vector; PyTorch (eps-clamped norms) and scikit-learn quietly return 0."""
    with pytest.raises(ValueError, match=r"undefined for a zero vector; got one in b"):
        cosine_similarity([1.0, 2.0], [0.0, 0.0])
    assert F.cosine_similarity(torch.tensor([1.0, 2.0]), torch.zeros(2), dim=0).item() == 0.0
    assert sk_cosine([[1.0, 2.0]], [[0.0, 0.0]])[0, 0] == 0.0


# ---------------------------------------------------------------- anisotropy


def brute_mean_pairwise_cosine(X: np.ndarray) -> float:
    C = sk_cosine(X)
    n = len(X)
    return float((C.sum() - np.trace(C)) / (n * (n - 1)))


@pytest.mark.parametrize("n, d", [(2, 1), (2, 3), (5, 4), (40, 16)])
def test_mean_pairwise_cosine_matches_all_pairs(n: int, d: int) -> None:
    """The O(n d) identity |sum u_i|^2 - n equals the sum over the full n x n cosine matrix."""
    X = np.random.default_rng(n + d).standard_normal((n, d)) + 0.5
    close(mean_pairwise_cosine(X), brute_mean_pairwise_cosine(X))
    Xc = X - X.mean(0)
    close(mean_pairwise_cosine(X, center=True), brute_mean_pairwise_cosine(Xc))


def test_mean_pairwise_cosine_lower_bound_is_reached_by_a_balanced_set() -> None:
    """n unit vectors that sum to zero have mean pairwise cosine exactly -1/(n - 1), the minimum."""
    for n in (2, 3, 5, 8):
        angles = 2 * np.pi * np.arange(n) / n
        X = np.stack([np.cos(angles), np.sin(angles)], 1)  # a regular n-gon
        close(mean_pairwise_cosine(X), -1 / (n - 1), atol=1e-12)
        Y = np.random.default_rng(n).standard_normal((n, 3))
        assert mean_pairwise_cosine(Y) >= -1 / (n - 1) - 1e-12


def check_centering_removes_anisotropy(aniso_fn: Callable) -> None:
    """A synthetic anisotropic set (a shared offset plus noise) sits in a narrow cone; centring opens it."""
    rng = np.random.default_rng(3)
    common = 4.0 * rng.standard_normal(64) / 8  # |common| is about 4, the noise rows about 1
    X = common + rng.standard_normal((300, 64)) / 8
    raw, centred = aniso_fn(X), aniso_fn(X, center=True)
    close(raw, brute_mean_pairwise_cosine(X))
    assert raw > 0.9
    assert abs(centred) < 0.02
    isotropic = rng.standard_normal((300, 64))
    assert abs(aniso_fn(isotropic)) < 0.02


def test_centering_removes_anisotropy() -> None:
    check_centering_removes_anisotropy(mean_pairwise_cosine)


# ---------------------------------------------------------------- noise distribution


def test_noise_distribution() -> None:
    """Hand-worked: counts (1, 16) -> 16^(3/4) = 8, so (1/9, 8/9) instead of (1/17, 16/17)."""
    close(noise_distribution([1, 16]), [1 / 9, 8 / 9])
    assert inspect.signature(noise_distribution).parameters["power"].default == 0.75  # Mikolov et al.
    counts = np.random.default_rng(4).integers(1, 10_000, size=50).astype(float)
    p = noise_distribution(counts)
    close(p.sum(), 1.0)
    close(p, counts**0.75 / (counts**0.75).sum())
    close(noise_distribution(counts, power=1.0), counts / counts.sum())
    close(noise_distribution(counts, power=0.0), np.full(50, 1 / 50))
    unigram = counts / counts.sum()
    assert p[counts.argmin()] > unigram[counts.argmin()] and p[counts.argmax()] < unigram[counts.argmax()]
    assert (np.argsort(p, kind="stable") == np.argsort(counts, kind="stable")).all()  # the order is kept
    assert noise_distribution([0, 3, 5])[0] == 0.0


# ---------------------------------------------------------------- SGNS loss and gradients


# Loss and gradients by torch autograd, written independently of the package: the same reference the
# exercise checks use, so a learner's solution and ours are graded against one thing.
reference_sgns = _autograd_sgns


# (batch axes, d, k)
SGNS_CASES = [((), 1, 1), ((1,), 3, 1), ((), 8, 5), ((4,), 5, 3), ((2, 3), 16, 10), ((3,), 4, 0)]


def check_sgns_gradients(sgns_fn: Callable, batch, d: int, k: int, scale: float = 1.0) -> None:
    """Loss and all three gradients equal autograd's, in float64; finite even for huge dot products."""
    rng = np.random.default_rng(d * 10 + k)
    v_c, u_o = scale * rng.standard_normal((2, *batch, d))
    u_neg = scale * rng.standard_normal((*batch, k, d))
    got = sgns_fn(v_c, u_o, u_neg)
    want = reference_sgns(v_c, u_o, u_neg)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        assert np.isfinite(g).all()
        close(g, w, rtol=1e-9)


@pytest.mark.parametrize("case", SGNS_CASES, ids=str)
def test_sgns_gradients_match_autograd(case) -> None:
    check_sgns_gradients(sgns_loss_and_grads, *case)


@pytest.mark.parametrize("case", SGNS_CASES[2:5], ids=str)
def test_sgns_large_dot_products(case) -> None:
    """Entries of size 30 make dot products in the thousands: log(sigmoid(x)) computed naively is -inf there."""
    check_sgns_gradients(sgns_loss_and_grads, *case, scale=30.0)
    with np.errstate(over="ignore", divide="ignore"):
        assert np.log(1 / (1 + np.exp(800.0))) == -np.inf  # the naive form of log sigma(-800)
    loss, *_ = sgns_loss_and_grads(np.array([-40.0]), np.array([20.0]), np.zeros((1, 1)))
    close(loss, 800.0 + math.log(2) + math.log1p(math.exp(-800.0)), rtol=1e-12)


def test_sgns_torch_mirror_matches() -> None:
    rng = np.random.default_rng(5)
    v_c, u_o = rng.standard_normal((2, 3, 6))
    u_neg = rng.standard_normal((3, 4, 6))
    want = reference_sgns(v_c, u_o, u_neg)
    t = [torch.from_numpy(a).requires_grad_() for a in (v_c, u_o, u_neg)]
    loss = sgns_loss_torch(*t)
    loss.sum().backward()
    close(loss.detach().numpy(), want[0])
    for x, w in zip(t, want[1:], strict=True):
        close(x.grad.numpy(), w)
    close(sgns_loss_and_grads(v_c, u_o, u_neg)[0], want[0])


@pytest.mark.parametrize(
    ("dtype", "tol"),
    [
        (torch.float32, dict(rtol=1e-5, atol=1e-5)),
        (torch.bfloat16, dict(rtol=2e-2, atol=5e-2)),
        (torch.float16, dict(rtol=2e-3, atol=5e-3)),
    ],
    ids=str,
)
def test_sgns_torch_mirror_in_low_precision(dtype, tol) -> None:
    """``sgns_loss_torch`` in float32, bfloat16 and float16: loss and gradients equal the float64
    reference (autograd through F.logsigmoid) to the dtype's precision, and stay finite for scores
    of a few hundred, where a naive log(sigmoid) in float32 is -inf."""
    rng = np.random.default_rng(15)
    v_c, u_o = rng.standard_normal((2, 3, 6))
    u_neg = rng.standard_normal((3, 4, 6))
    want = reference_sgns(v_c, u_o, u_neg)
    t = [torch.from_numpy(a).to(dtype).requires_grad_() for a in (v_c, u_o, u_neg)]
    loss = sgns_loss_torch(*t)
    assert loss.dtype == dtype
    loss.float().sum().backward()
    torch.testing.assert_close(loss.double(), torch.from_numpy(want[0]), **tol)
    for x, w in zip(t, want[1:], strict=True):
        torch.testing.assert_close(x.grad.double(), torch.from_numpy(w), **tol)
    big = torch.tensor([-40.0] * 2, dtype=dtype), torch.tensor([10.0] * 2, dtype=dtype), torch.zeros(1, 2, dtype=dtype)
    assert torch.isfinite(sgns_loss_torch(*big)).all()  # s_o = -800
    assert torch.log(torch.sigmoid(torch.tensor(-800.0))).item() == -math.inf


def reference_info_nce(q: np.ndarray, k: np.ndarray, temperature: float) -> float:
    """F.cross_entropy over the (B, B) matrix of F.normalize(q) F.normalize(k)^T / tau, targets arange(B)."""
    qn, kn = (F.normalize(torch.from_numpy(a), dim=-1) for a in (q, k))
    logits = qn @ kn.T / temperature
    return F.cross_entropy(logits, torch.arange(len(q))).item()


@pytest.mark.parametrize(("B", "d", "temperature"), [(1, 3, 0.05), (2, 2, 1.0), (8, 16, 0.05), (32, 8, 0.07)])
def test_info_nce_matches_cross_entropy(B: int, d: int, temperature: float) -> None:
    rng = np.random.default_rng(B + d)
    q = rng.standard_normal((B, d))
    k = q + 0.3 * rng.standard_normal((B, d))  # positives near their queries
    close(info_nce_loss(q, k, temperature=temperature), reference_info_nce(q, k, temperature), rtol=1e-10)


def test_info_nce_bounds_and_temperature() -> None:
    """Equal cosines give log B (chance); B = 1 gives 0 (no negatives); the loss is at least 0;
    a lower temperature sharpens: it lowers the loss when positives are the most similar keys."""
    e = np.eye(4)
    close(info_nce_loss(np.ones((4, 3)), np.ones((4, 3))), math.log(4))
    assert info_nce_loss([[1.0, 2.0]], [[-3.0, 1.0]]) == 0.0
    assert info_nce_loss(e, e, temperature=0.05) < info_nce_loss(e, e, temperature=1.0)
    close(info_nce_loss(e[:2, :2], e[:2, :2], temperature=1.0), math.log(math.e + 1) - 1)  # the docstring's 0.3133
    with pytest.raises(ValueError, match=r"temperature must be positive; got 0"):
        info_nce_loss(e, e, temperature=0)
    with pytest.raises(ValueError, match=r"queries and keys must both have shape \(B, d\); got \(4, 4\) and \(3, 4\)"):
        info_nce_loss(e, e[:3])


def test_array_likes_and_type_errors() -> None:
    with pytest.raises(TypeError, match=r"v_c must be a torch.Tensor; got a NumPy array"):
        sgns_loss_torch(np.zeros(2), torch.zeros(2), torch.zeros(1, 2))
    with pytest.raises(TypeError, match=r"a must be a NumPy array or array-like; got a torch.Tensor"):
        cosine_similarity(torch.ones(2), [1.0, 1.0])
    assert len(TOY_CORPUS) == 18 and TOY_CORPUS[0] == "the cat chased the mouse across the garden"
    assert TOY_CORPUS[-1] == "the moon and the stars and a planet seen from the rocket"


def check_repeated_negatives(sgns_fn: Callable) -> None:
    """A negative drawn three times gets three rows of gradient; scattered into the table they equal autograd's."""
    rng = np.random.default_rng(6)
    W_in, W_out = rng.standard_normal((2, 7, 4))
    center, context, negatives = 2, 5, np.array([3, 3, 1, 3, 5])  # 3 thrice, and the context itself once
    tables = [torch.from_numpy(W).requires_grad_() for W in (W_in, W_out)]
    s_o = tables[0][center] @ tables[1][context]
    s_neg = tables[1][torch.from_numpy(negatives)] @ tables[0][center]
    (-F.logsigmoid(s_o) - F.logsigmoid(-s_neg).sum()).backward()
    _, g_v, g_o, g_neg = sgns_fn(W_in[center], W_out[context], W_out[negatives])
    grad_out = np.zeros_like(W_out)
    np.add.at(grad_out, context, g_o)
    np.add.at(grad_out, negatives, g_neg)
    close(grad_out, tables[1].grad.numpy())
    close(tables[0].grad.numpy()[center], g_v)
    buggy = np.zeros_like(W_out)
    buggy[negatives] += g_neg  # fancy-index += keeps one of the three rows for word 3
    assert not np.allclose(buggy[3], grad_out[3])


def test_repeated_negatives() -> None:
    check_repeated_negatives(sgns_loss_and_grads)


def check_sgns_hand_worked_example(sgns_fn: Callable) -> None:
    """One pair, one negative, derived by hand.

    v_c = (1, 1), u_o = (1, 0), u_1 = (0, -1). Scores: s_o = u_o . v_c = 1, s_1 = u_1 . v_c = -1.
    sigma(1) = 0.731059, sigma(-1) = 0.268941. Loss = -log sigma(1) - log sigma(-s_1)
    = -2 log sigma(1) = 2 log(1 + e^-1) = 0.626523.
    dL/ds_o = sigma(1) - 1 = -0.268941 and dL/ds_1 = sigma(-1) = 0.268941, so
    grad v_c = -0.268941 (1, 0) + 0.268941 (0, -1) = (-0.268941, -0.268941),
    grad u_o = -0.268941 (1, 1), grad u_1 = +0.268941 (1, 1).
    """
    loss, g_v, g_o, g_neg = sgns_fn(np.array([1.0, 1.0]), np.array([1.0, 0.0]), np.array([[0.0, -1.0]]))
    a = 1 / (1 + math.e)  # sigma(-1) = 0.268941...
    close(loss, 2 * math.log1p(math.exp(-1)))
    close(round(float(loss), 6), 0.626523, atol=1e-12)
    close(g_v, [-a, -a])
    close(g_o, [-a, -a])
    close(g_neg, [[a, a]])
    close(round(a, 6), 0.268941, atol=1e-12)


def test_sgns_hand_worked_example() -> None:
    check_sgns_hand_worked_example(sgns_loss_and_grads)


def test_sgns_optimum_is_shifted_pmi() -> None:
    """Levy & Goldberg (2014): per (w, c) cell, the expected SGNS loss
    #(w,c) * (-log sigma(x)) + k #(w) #(c) / |D| * (-log sigma(-x)) is minimised at x = PMI(w, c) - log k.
    """
    n_wc, n_w, n_c, total, k = 30.0, 200.0, 150.0, 10_000.0, 5

    def expected_loss(x: float) -> float:
        positive = sgns_loss_and_grads(np.array([x]), np.array([1.0]), np.zeros((0, 1)))[0]
        negative = sgns_loss_and_grads(np.array([x]), np.array([-1.0]), np.zeros((0, 1)))[0]
        return float(n_wc * positive + k * n_w * n_c / total * negative)

    best = minimize_scalar(expected_loss, bounds=(-20, 20), method="bounded", options={"xatol": 1e-10}).x
    close(best, math.log(n_wc * total / (n_w * n_c)) - math.log(k), atol=1e-6)


# ---------------------------------------------------------------- training on the toy corpus

TOPICS = {
    "animals": ["cat", "dog", "mouse", "garden", "chased"],
    "baking": ["bread", "cake", "butter", "flour", "sugar", "oven"],
    "space": ["rocket", "crew", "moon", "stars", "orbit", "planet"],
}


def topic_gap(vocab: list[str], W: np.ndarray) -> float:
    """Mean cosine of word pairs within a topic minus the mean across topics."""
    v = {w: W[i] for i, w in enumerate(vocab)}
    labelled = [(w, t) for t, words in TOPICS.items() for w in words]
    within, across = [], []
    for i, (a, ta) in enumerate(labelled):
        for b, tb in labelled[i + 1 :]:
            (within if ta == tb else across).append(float(cosine_similarity(v[a], v[b])))
    return float(np.mean(within) - np.mean(across))


def check_training_groups_topics(train_fn: Callable, seed: int) -> None:
    """Words of a topic co-occur, so training pulls them together: the gap over seeds 0 to 19 was 0.39 to 0.47."""
    vocab, W_in, W_out = train_fn(TOY_CORPUS, rng=seed)
    assert W_in.shape == W_out.shape == (len(vocab), 8)
    cos = {w: W_in[i] for i, w in enumerate(vocab)}
    s = lambda a, b: float(cosine_similarity(cos[a], cos[b]))  # noqa: E731
    assert s("cat", "dog") > s("cat", "rocket")
    assert s("cat", "mouse") > s("cat", "cake")
    assert s("bread", "butter") > s("bread", "moon")
    assert s("rocket", "crew") > s("rocket", "bread")
    assert topic_gap(vocab, W_in) > 0.25
    ids = {w: i for i, w in enumerate(vocab)}
    pmi_like = W_in @ W_out.T  # (V, V): scores that the model pushes up for observed pairs
    assert pmi_like[ids["cat"], ids["mouse"]] > pmi_like[ids["cat"], ids["flour"]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_groups_topics(seed: int) -> None:
    check_training_groups_topics(train_sgns, seed)


def test_untrained_vectors_do_not_group_topics() -> None:
    """The control: with a learning rate too small to move anything, the gap is noise around 0
    (standard deviation about 0.07 in 8 dimensions) and never reaches the 0.25 the trained vectors pass."""
    gaps = [topic_gap(*train_sgns(rng=seed, lr=1e-9, epochs=1)[:2]) for seed in range(10)]
    assert abs(float(np.mean(gaps))) < 0.1
    assert max(gaps) < 0.25


def test_training_is_deterministic() -> None:
    a, b = train_sgns(rng=3, epochs=2), train_sgns(rng=3, epochs=2)
    assert a[0] == b[0] and np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])


# ---------------------------------------------------------------- GloVe


def reference_glove(W, W_tilde, b, b_tilde, X, x_max=100.0, alpha=0.75):
    """GloVe's J by torch autograd, written independently of the package."""
    t = [torch.from_numpy(np.ascontiguousarray(a)).requires_grad_() for a in (W, W_tilde, b, b_tilde)]
    Xt = torch.from_numpy(X)
    f = torch.where(Xt < x_max, (Xt / x_max) ** alpha, torch.ones_like(Xt))
    seen = Xt > 0
    e = t[0] @ t[1].T + t[2][:, None] + t[3][None, :] - torch.log(torch.where(seen, Xt, torch.ones_like(Xt)))
    J = (f * e**2)[seen].sum()
    J.backward()
    return J.item(), *(x.grad.numpy() for x in t)


# (V, V_c, d)
GLOVE_CASES = [(1, 1, 1), (1, 4, 2), (5, 5, 3), (7, 4, 6), (20, 20, 8)]


def check_glove_gradients(glove_fn: Callable, V: int, V_c: int, d: int, count_scale: float = 50.0) -> None:
    """J and the four gradients equal autograd's; zero counts contribute nothing; counts above x_max weigh 1."""
    rng = np.random.default_rng(V * 7 + V_c + d)
    W, W_tilde = rng.standard_normal((V, d)), rng.standard_normal((V_c, d))
    b, b_tilde = rng.standard_normal(V), rng.standard_normal(V_c)
    X = np.round(rng.exponential(count_scale, size=(V, V_c))) * (rng.random((V, V_c)) < 0.7)
    X.flat[0] = 250.0  # at least one count above x_max
    got = glove_fn(W, W_tilde, b, b_tilde, X)
    want = reference_glove(W, W_tilde, b, b_tilde, X)
    for g, w in zip(got, want, strict=True):
        close(g, w, rtol=1e-9)


@pytest.mark.parametrize("case", GLOVE_CASES, ids=str)
def test_glove_gradients_match_autograd(case) -> None:
    check_glove_gradients(glove_loss_and_grads, *case)


def test_glove_large_counts() -> None:
    check_glove_gradients(glove_loss_and_grads, 6, 6, 4, count_scale=1e6)


def test_glove_zero_counts_do_not_count() -> None:
    """A context whose counts are all 0 gets no gradient and moving it leaves J unchanged; no counts gives J = 0."""
    rng = np.random.default_rng(9)
    W, W_tilde, b, b_tilde = (
        rng.standard_normal((3, 2)),
        rng.standard_normal((3, 2)),
        rng.standard_normal(3),
        rng.standard_normal(3),
    )
    X = np.array([[5.0, 0.0, 2.0], [1.0, 0.0, 0.0], [0.0, 0.0, 300.0]])  # context 1 never seen
    J, _, dW_t, _, db_t = glove_loss_and_grads(W, W_tilde, b, b_tilde, X)
    assert not dW_t[1].any() and db_t[1] == 0
    W_tilde[1] += 10.0
    b_tilde[1] -= 3.0
    close(glove_loss_and_grads(W, W_tilde, b, b_tilde, X)[0], J)
    J0, *grads = glove_loss_and_grads(W, W_tilde, b, b_tilde, np.zeros((3, 3)))
    assert J0 == 0 and not any(g.any() for g in grads)


def test_glove_weight() -> None:
    """Hand-worked: f(1) = (1/100)^(3/4) = 10^-1.5 = 0.031623; f(10) = 10^-0.75 = 0.177828; f >= x_max is 1."""
    params = inspect.signature(glove_weight).parameters
    assert params["x_max"].default == 100.0 and params["alpha"].default == 0.75  # Pennington et al.
    close(glove_weight([0.0, 1.0, 10.0, 100.0, 1e9]), [0.0, 10**-1.5, 10**-0.75, 1.0, 1.0])
    x = np.linspace(0, 300, 61)
    assert (np.diff(glove_weight(x)) >= 0).all()
    close(glove_weight([50.0], alpha=1.0), [0.5])


def test_glove_hand_worked_example() -> None:
    """All parameters 0 and one count of 100: f = 1 and e = -log 100, so J = (log 100)^2 = 21.2076
    and dJ/db = 2 f e = -2 log 100 = -9.2103; the vector gradients are 0 because the vectors are."""
    J, dW, dW_t, db, db_t = glove_loss_and_grads(np.zeros((1, 2)), np.zeros((1, 2)), [0.0], [0.0], [[100.0]])
    close(J, math.log(100) ** 2)
    close(db, [-2 * math.log(100)])
    close(db_t, [-2 * math.log(100)])
    assert not dW.any() and not dW_t.any()


# ---------------------------------------------------------------- weight tying


def test_gpt2_small_tying_saves_38_597_376() -> None:
    assert lm_head_param_count(50257, 768) == 50257 * 768 == 38_597_376


def gpt2_shaped(*, vocab_size, max_len, d_model, num_layers, tied) -> torch.nn.Module:
    """A GPT-2-shaped stack on the meta device (no memory); nn.TransformerEncoderLayer has a GPT-2 block's count."""

    def table(n: int) -> torch.nn.Embedding:  # _weight skips the random init, slow on the meta device
        return torch.nn.Embedding(n, d_model, _weight=torch.empty(n, d_model, device="meta"))

    with torch.device("meta"):
        m = torch.nn.ModuleDict(
            {
                "wte": table(vocab_size),
                "wpe": table(max_len),
                "h": torch.nn.ModuleList(
                    torch.nn.TransformerEncoderLayer(d_model, 1, 4 * d_model) for _ in range(num_layers)
                ),
                "ln_f": torch.nn.LayerNorm(d_model),
                "lm_head": torch.nn.Linear(d_model, vocab_size, bias=False),
            }
        )
    if tied:
        m["lm_head"].weight = m["wte"].weight
    return m


@pytest.mark.parametrize("config", [GPT2_SMALL, {"vocab_size": 11, "max_len": 5, "d_model": 4, "num_layers": 2}])
def test_gpt2_param_count_matches_torch_modules(config) -> None:
    """Counting the unique parameters of real modules: GPT-2 small has 124,439,808 tied and 163,037,184 untied."""
    for tied in (True, False):
        model = gpt2_shaped(**config, tied=tied)
        assert gpt2_param_count(**config, tied=tied) == sum(p.numel() for p in model.parameters())
    untied, tied_count = gpt2_param_count(**config, tied=False), gpt2_param_count(**config)
    assert untied - tied_count == lm_head_param_count(config["vocab_size"], config["d_model"])
    if config == GPT2_SMALL:
        assert (tied_count, untied) == (124_439_808, 163_037_184)
        assert round(38_597_376 / tied_count, 3) == 0.310  # the token table is 31% of GPT-2 small


def check_tied_logits(logits_fn: Callable) -> None:
    """A tied head's logits are h E^T, equal to nn.Linear sharing the embedding's weight."""
    rng = np.random.default_rng(7)
    E, h = rng.standard_normal((10, 4)), rng.standard_normal((2, 3, 4))
    emb = torch.nn.Embedding(10, 4, dtype=torch.float64)
    head = torch.nn.Linear(4, 10, bias=False, dtype=torch.float64)
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(E))
    head.weight = emb.weight
    close(logits_fn(h, E), head(torch.from_numpy(h)).detach().numpy())
    close(logits_fn(h[0, 0], E), E @ h[0, 0])


def test_tied_logits() -> None:
    check_tied_logits(tied_logits)


def test_tied_gradient_is_the_sum_of_both_uses() -> None:
    """The shared matrix receives the input-side (lookup) gradient plus the output-side (h^T dlogits) one."""
    rng = np.random.default_rng(8)
    E = torch.from_numpy(rng.standard_normal((6, 3))).requires_grad_()
    ids = torch.tensor([1, 4, 4])
    W = torch.from_numpy(rng.standard_normal((3, 3)))
    h = torch.tanh(F.embedding(ids, E) @ W)  # a one-layer "model"
    logits = h @ E.T
    loss = F.cross_entropy(logits, torch.tensor([4, 0, 2]))
    g_total = torch.autograd.grad(loss, E)[0]
    E_in, E_out = E.detach().clone().requires_grad_(), E.detach().clone().requires_grad_()
    loss2 = F.cross_entropy(torch.tanh(F.embedding(ids, E_in) @ W) @ E_out.T, torch.tensor([4, 0, 2]))
    g_in, g_out = torch.autograd.grad(loss2, (E_in, E_out))
    close(g_total.numpy(), (g_in + g_out).numpy())
    assert g_in[[0, 2, 3, 5]].abs().sum() == 0 and g_out[[0, 2, 3, 5]].abs().sum() > 0  # every row gets output gradient


# ---------------------------------------------------------------- bad input


def bad_inputs() -> list[tuple[Callable, tuple, dict, str]]:
    """(function, args, kwargs, the message that must name the problem)."""
    E = np.zeros((3, 2))
    v = np.zeros(4)
    return [
        (one_hot, ([0, 1], 0), {}, r"vocab_size must be a positive integer; got 0"),
        (one_hot, ([0.0, 1.0], 3), {}, r"ids must be integers; got dtype float64"),
        (one_hot, ([0, 3], 3), {}, r"ids must lie in \[0, 3\); got values from 0 to 3"),
        (embedding_lookup, (np.zeros(3), [0]), {}, r"E must have shape \(vocab_size, d\).*got \(3,\)"),
        (embedding_lookup, (E, [-1]), {}, r"ids must lie in \[0, 3\)"),
        (cosine_similarity, (np.zeros(3), np.ones(4)), {}, r"same d >= 1; got \(3,\) and \(4,\)"),
        (cosine_similarity, (np.ones((2, 3)), np.ones((4, 3))), {}, r"leading axes of a and b must broadcast"),
        (cosine_similarity, ([0.0, 0.0], [1.0, 1.0]), {}, r"undefined for a zero vector; got one in a"),
        (mean_pairwise_cosine, (np.ones((1, 3)),), {}, r"X must have shape \(n >= 2, d >= 1\); got \(1, 3\)"),
        (mean_pairwise_cosine, ([[1.0, 0.0], [0.0, 0.0]],), {}, r"undefined for a zero vector; got one in X"),
        (
            mean_pairwise_cosine,
            ([[1.0, 0.0], [1.0, 0.0]],),
            {"center": True},
            r"undefined for a zero vector; got one in X",
        ),
        (noise_distribution, ([[1, 2]],), {}, r"counts must be a non-empty 1-D array"),
        (noise_distribution, ([1, -2],), {}, r"counts must be a non-empty 1-D array of finite counts >= 0"),
        (noise_distribution, ([0, 0],), {}, r"counts must have a positive sum; got all zeros"),
        (noise_distribution, ([1, 2],), {"power": -0.5}, r"power must be a finite number >= 0; got -0\.5"),
        (sgns_loss_and_grads, (np.float64(1.0), v, np.zeros((2, 4))), {}, r"v_c must have shape \(\.\.\., d\)"),
        (
            sgns_loss_and_grads,
            (v, np.zeros(3), np.zeros((2, 4))),
            {},
            r"u_o must have the shape of v_c, \(4,\); got \(3,\)",
        ),
        (
            sgns_loss_and_grads,
            (v, v, np.zeros((2, 3))),
            {},
            r"u_neg must have shape \(\.\.\., k, d\) = \('k', 4\); got \(2, 3\)",
        ),
        (sgns_loss_and_grads, (v, v, v), {}, r"u_neg must have shape"),
        (train_sgns, (), {"dim": 0}, r"dim must be a positive integer; got 0"),
        (train_sgns, (), {"window": 1.5}, r"window must be a positive integer; got 1\.5"),
        (train_sgns, (), {"lr": 0.0}, r"lr must be positive; got 0\.0"),
        (train_sgns, ("the cat sat",), {}, r"corpus must be a sequence of sentences; got a single string"),
        (train_sgns, (["cat", "dog"],), {}, r"corpus must contain a sentence of at least two words"),
        (glove_weight, ([1.0, -1.0],), {}, r"x must hold finite co-occurrence counts >= 0"),
        (glove_weight, ([1.0],), {"x_max": 0.0}, r"x_max must be positive; got 0\.0"),
        (glove_weight, ([1.0],), {"alpha": -1.0}, r"alpha must be positive; got -1\.0"),
        (
            glove_loss_and_grads,
            (E, np.zeros((3, 5)), np.zeros(3), np.zeros(3), np.ones((3, 3))),
            {},
            r"same d; got \(3, 2\) and \(3, 5\)",
        ),
        (glove_loss_and_grads, (E, E, np.zeros(3), np.zeros(3), np.ones((3, 4))), {}, r"X \(3, 3\); got .*X \(3, 4\)"),
        (
            glove_loss_and_grads,
            (E, E, np.zeros(2), np.zeros(3), np.ones((3, 3))),
            {},
            r"expected b \(3,\).*got b \(2,\)",
        ),
        (lm_head_param_count, (50257, 0), {}, r"d_model must be a positive integer; got 0"),
        (tied_logits, (np.zeros((2, 3)), E), {}, r"same d; got \(2, 3\) and \(3, 2\)"),
        (gpt2_param_count, (), {"num_layers": -1}, r"num_layers must be a positive integer; got -1"),
    ]


@pytest.mark.parametrize("fn, args, kwargs, message", bad_inputs(), ids=lambda x: getattr(x, "__name__", None))
def test_bad_input_raises(fn, args, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        fn(*args, **kwargs)


def test_torch_mirror_checks_shapes() -> None:
    z = torch.zeros(4, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"u_neg must have shape"):
        sgns_loss_torch(z, z, torch.zeros(2, 3, dtype=torch.float64))


# ---------------------------------------------------------------- the bank's numeric answers


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed from the package rather than copied."""
    zero = np.zeros(3)
    balanced = np.array([[np.cos(t), np.sin(t)] for t in 2 * np.pi * np.arange(5) / 5])
    return {
        "embeddings.gpt2-saving": lm_head_param_count(50257, 768),
        "embeddings.tied-saving-other": lm_head_param_count(32000, 4096),
        "embeddings.noise-rare": float(noise_distribution([81, 1])[1]),
        "embeddings.glove-weight": float(glove_weight([10.0])[0]),
        "embeddings.sgns-zero-loss": float(sgns_loss_and_grads(zero, zero, np.zeros((4, 3)))[0]),
        "embeddings.cosine-value": float(cosine_similarity([1.0, 2.0, 2.0], [2.0, 2.0, 1.0])),
        "embeddings.anisotropy-bound": mean_pairwise_cosine(balanced),
        "embeddings.infonce-value": info_nce_loss(np.eye(2), np.eye(2), temperature=0.5),
        "embeddings.infonce-mi": info_nce_loss(np.ones((256, 3)), np.ones((256, 3))) - 2.0,  # log B - L
        "embeddings.infonce-floor": math.log(1 + 255 * math.exp(-2)),  # no real batch reaches it; see the test below
        "embeddings.rerank-passes": 1 + 100,  # one bi-encoder pass for the query, one cross-encoder pass per pair
    }


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys("embeddings", computed_answers(), bank_tolerance)


# ---------------------------------------------------------------- library behaviours the page and bank state


def test_library_conventions() -> None:
    """torch clamps cosine norms at eps = 1e-8; logsigmoid is stable where log(sigmoid) is not;
    nn.Embedding's padding_idx row starts at zero and never gets gradient."""
    cos = F.cosine_similarity(
        torch.tensor([1e-9, 0.0], dtype=torch.float64), torch.tensor([1.0, 0.0], dtype=torch.float64), dim=0
    )
    close(cos.item(), 0.1)  # 1e-9 / max(1e-9, 1e-8): the clamp, not the true cosine 1
    x = torch.tensor(-1000.0, dtype=torch.float64)
    assert F.logsigmoid(x).item() == -1000.0 and torch.log(torch.sigmoid(x)).item() == -math.inf
    emb = torch.nn.Embedding(5, 3, padding_idx=0)
    assert not emb.weight[0].any()
    emb(torch.tensor([0, 2, 0])).sum().backward()
    assert not emb.weight.grad[0].any() and emb.weight.grad[2].all()
    close(noise_distribution([81, 1], power=1.0)[1], 1 / 82)
    for dtype, ok, zero in ((torch.float64, -709.0, -710.0), (torch.float32, -88.0, -89.0)):
        assert torch.sigmoid(torch.tensor(ok, dtype=dtype)).item() > 0  # where log(sigmoid) starts to fail
        assert torch.sigmoid(torch.tensor(zero, dtype=dtype)).item() == 0


def test_unit_vectors_distance_and_cosine_agree() -> None:
    """For unit vectors |a - b|^2 = 2 - 2 cos(a, b): Euclidean and cosine nearest neighbours coincide."""
    rng = np.random.default_rng(10)
    a, b = rng.standard_normal((2, 20, 7))
    a, b = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    close(((a - b) ** 2).sum(1), 2 - 2 * cosine_similarity(a, b))
    close(cosine_similarity(a, b), (a * b).sum(1))


def test_info_nce_floor_at_unit_temperature() -> None:
    """The bank's floor log(1 + (B - 1) e^-2) for B = 256 is 3.570, computed directly from the softmax."""
    logits = np.full((256, 256), -1.0)
    np.fill_diagonal(logits, 1.0)
    floor = float(np.mean(np.log(np.exp(logits).sum(1)) - 1.0))
    close(floor, math.log(1 + 255 * math.exp(-2)))
    assert round(floor, 3) == 3.570


@pytest.mark.parametrize(
    ("exercise", "impl"), [("embeddings.cosine", cosine_similarity), ("embeddings.sgns-grads", sgns_loss_and_grads)]
)
def test_exercise_checks_pass_on_our_implementation(exercise, impl) -> None:
    """The checks that grade a learner's solution are run on ours (issue 9)."""
    from concepts.exercises._harness import run_checks
    from concepts.exercises.embeddings import CHECKS

    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed
