"""Temperature, top-k, top-p, min-p and the samplers, checked exactly and statistically in float64.

Two references. The exact one: each filter written from its definition, one pair of tokens
at a time (a token survives top-k when fewer than k tokens beat it, top-p when the tokens
that beat it hold less than top_p, min-p when p_i >= min_p * p_max), on PyTorch's softmax,
plus ``torch.topk`` on distinct logits. The statistical one: the frequencies of many draws
must pass a chi-square goodness-of-fit test against the exact distribution. Each
``check_*`` takes the implementation under test, so the same checks can grade a learner's
own ``filtered_distribution`` or sampler.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import chi2, chisquare
from support import check_numeric_keys

from concepts.sampling import (
    ORDER,
    TEMPERATURE_LAST,
    apply_frequency_presence_penalty,
    apply_frequency_presence_penalty_torch,
    filtered_distribution,
    filtered_distribution_torch,
    gumbel_max_sample,
    min_p_mask,
    sample,
    top_k_mask,
    top_p_mask,
)

Filtered = Callable[..., np.ndarray]
Draw = Callable[..., np.ndarray]  # draw(logits, rng, size, **knobs) -> token ids of shape (..., size)
BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "sampling.json"
HALVES = np.log([0.5, 0.25, 0.125, 0.125])  # the hand-worked distribution: p = 8:4:2:2 / 16


def torch_as_numpy(logits, **knobs) -> np.ndarray:
    """The PyTorch mirror on NumPy arrays (float64 stays float64)."""
    return filtered_distribution_torch(torch.from_numpy(np.asarray(logits, dtype=np.float64)), **knobs).numpy()


IMPLEMENTATIONS = {"numpy": filtered_distribution, "torch": torch_as_numpy}


def reference(logits, *, temperature=1.0, top_k=None, top_p=None, min_p=None, order=ORDER) -> np.ndarray:
    """Each filter from its definition, row by row, on torch.softmax (a different code path from ours)."""
    z = torch.from_numpy(np.asarray(logits, dtype=np.float64))
    rows = z.reshape(-1, z.shape[-1]).clone()
    for row in rows:
        for step in order:
            p = torch.softmax(row, dim=-1)
            beats = p[None, :] > p[:, None]  # beats[i, j]: token j is strictly more probable than token i
            if step == "temperature":
                row /= temperature
                continue
            if step == "top_k" and top_k is not None:
                keep = beats.sum(1) < top_k
            elif step == "top_p" and top_p is not None:
                keep = (beats * p[None, :]).sum(1) < top_p
            elif step == "min_p" and min_p is not None:
                keep = p >= min_p * p.max()
            else:
                continue
            row[~keep] = -math.inf
    return torch.softmax(rows, dim=-1).reshape(z.shape).numpy()


def random_logits(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Standard normal logits times 3, with a few tokens banned (-inf) when the vocabulary is large."""
    rng = np.random.default_rng(seed)
    z = 3 * rng.standard_normal(shape)
    if shape[-1] >= 10:
        z[..., 1::7] = -np.inf  # never the only finite entry of a row
    return z


# ---------------------------------------------------------------- exact distributions


def check_hand_worked_example(fn: Filtered) -> None:
    """z = log(0.5, 0.25, 0.125, 0.125), so softmax(z) = p = (1/2, 1/4, 1/8, 1/8). By hand:

    - temperature T scales z by 1/T, so the result is p^(1/T) renormalised. T = 0.5 squares:
      (1/4, 1/16, 1/64, 1/64) = (16, 4, 1, 1)/64, and 16 + 4 + 1 + 1 = 22, giving
      (16, 4, 1, 1)/22 = (0.727273, 0.181818, 0.045455, 0.045455). T = 2 takes square roots:
      (0.707107, 0.5, 0.353553, 0.353553)/1.914214.
    - top_k = 2 keeps 1/2 and 1/4, whose sum is 3/4: (2/3, 1/3, 0, 0). top_k = 1 is greedy:
      (1, 0, 0, 0). top_k = 3 hits the tie 1/8 = 1/8 at the boundary: all four survive.
    - top_p = 0.7: cumulative sums 0.5, 0.75, 0.875, 1; the first to reach 0.7 is the second,
      so (2/3, 1/3, 0, 0). top_p = 0.75 is reached exactly by 0.5 + 0.25: the same set.
      top_p = 0.8 needs a third token, 1/8, and its twin is admitted too: p unchanged.
    - min_p = 0.3: threshold 0.3 * 1/2 = 0.15, so 1/2 and 1/4 survive: (2/3, 1/3, 0, 0).
      min_p = 0.25: threshold 0.125, and 1/8 >= 0.125 survives: p unchanged.
    - temperature 0.5 then top_p 0.7 (Hugging Face's order): 16/22 = 0.727 >= 0.7 on its own,
      so (1, 0, 0, 0). top_p 0.7 first keeps {1/2, 1/4}; squaring then gives (4, 1)/5 = (0.8, 0.2).
    """
    a, b = 2 / 3, 1 / 3
    expected = [
        ({"temperature": 0.5}, np.array([16, 4, 1, 1]) / 22),
        ({"temperature": 2.0}, np.sqrt([0.5, 0.25, 0.125, 0.125]) / sum(np.sqrt([0.5, 0.25, 0.125, 0.125]))),
        ({"top_k": 1}, [1, 0, 0, 0]),
        ({"top_k": 2}, [a, b, 0, 0]),
        ({"top_k": 3}, [0.5, 0.25, 0.125, 0.125]),
        ({"top_p": 0.7}, [a, b, 0, 0]),
        ({"top_p": 0.75}, [a, b, 0, 0]),
        ({"top_p": 0.8}, [0.5, 0.25, 0.125, 0.125]),
        ({"min_p": 0.3}, [a, b, 0, 0]),
        ({"min_p": 0.25}, [0.5, 0.25, 0.125, 0.125]),
        ({"temperature": 0.5, "top_p": 0.7}, [1, 0, 0, 0]),
        ({"temperature": 0.5, "top_p": 0.7, "order": ("top_p", "temperature", "top_k", "min_p")}, [0.8, 0.2, 0, 0]),
    ]
    for knobs, want in expected:
        np.testing.assert_allclose(fn(HALVES, **knobs), want, atol=1e-12, err_msg=str(knobs))
    np.testing.assert_allclose(np.round(fn(HALVES, temperature=0.5), 4), [0.7273, 0.1818, 0.0455, 0.0455])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_hand_worked_example(impl: str) -> None:
    check_hand_worked_example(IMPLEMENTATIONS[impl])


SHAPES = [(1,), (7,), (1, 5), (4, 10), (2, 3, 50), (1, 1000)]
KNOBS = [
    {},
    {"temperature": 0.7},
    {"top_k": 3},
    {"top_p": 0.9},
    {"min_p": 0.1},
    {"temperature": 1.5, "top_k": 20, "top_p": 0.8, "min_p": 0.05},
    {"temperature": 0.5, "top_k": 20, "top_p": 0.8, "min_p": 0.05, "order": TEMPERATURE_LAST},
    {"temperature": 2.0, "top_p": 0.6, "order": ("top_p", "min_p", "top_k", "temperature")},
]


def check_against_reference(fn: Filtered, shape: tuple[int, ...], knobs: dict, seed: int) -> None:
    z = random_logits(shape, seed)
    got = fn(z, **knobs)
    assert got.shape == shape and got.dtype == np.float64
    np.testing.assert_allclose(got, reference(z, **knobs), atol=1e-12, rtol=0)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("knobs", range(len(KNOBS)))
def test_against_reference(impl: str, shape: tuple[int, ...], knobs: int) -> None:
    check_against_reference(IMPLEMENTATIONS[impl], shape, KNOBS[knobs], seed=10 * knobs + len(shape))


def check_top_k_against_torch_topk(fn: Filtered) -> None:
    """With distinct logits the kept set is exactly torch.topk's indices, renormalised."""
    rng = np.random.default_rng(1)
    for vocab, k in [(1, 1), (5, 1), (5, 5), (50, 7), (50, 80)]:
        z = rng.standard_normal((3, vocab))
        got = fn(z, top_k=k)
        t = torch.from_numpy(z)
        idx = torch.topk(t, min(k, vocab), dim=-1).indices
        want = torch.softmax(torch.full_like(t, -math.inf).scatter(-1, idx, t.gather(-1, idx)), dim=-1)
        np.testing.assert_allclose(got, want.numpy(), atol=1e-12)
        assert ((got > 0).sum(-1) == min(k, vocab)).all()


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_top_k_against_torch_topk(impl: str) -> None:
    check_top_k_against_torch_topk(IMPLEMENTATIONS[impl])


def check_properties(fn: Filtered) -> None:
    """Sums to 1; temperature 1 with no filter is softmax; top_k = 1 is greedy; the nucleus is the smallest set."""
    rng = np.random.default_rng(2)
    z = 2 * rng.standard_normal((20, 30))
    soft = torch.softmax(torch.from_numpy(z), dim=-1).numpy()
    np.testing.assert_allclose(fn(z), soft, atol=1e-14)
    greedy = np.eye(30)[z.argmax(-1)]
    np.testing.assert_array_equal(fn(z, top_k=1), greedy)
    for top_p in (0.05, 0.5, 0.9, 0.99, 1.0):
        q = fn(z, top_p=top_p)
        np.testing.assert_allclose(q.sum(-1), 1.0, atol=1e-12)
        assert (q >= 0).all()
        kept = q > 0
        mass = (soft * kept).sum(-1)
        assert (mass >= top_p - 1e-12).all()  # the kept set covers top_p ...
        sizes = kept.sum(-1)
        fewer = np.array([np.sort(row)[::-1][: n - 1].sum() for row, n in zip(soft, sizes, strict=True)])
        assert (fewer < top_p).all()  # ... and no smaller set does
        assert kept[np.arange(20), z.argmax(-1)].all()  # the top token always survives
    for min_p in (0.0, 0.1, 0.5, 1.0):
        kept = fn(z, min_p=min_p) > 0
        np.testing.assert_array_equal(kept, soft >= min_p * soft.max(-1, keepdims=True))
    np.testing.assert_array_equal(fn(z, min_p=1.0), greedy)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_properties(impl: str) -> None:
    check_properties(IMPLEMENTATIONS[impl])


def check_temperature_limits(fn: Filtered) -> None:
    """T -> 0 approaches greedy (the top token's probability climbs to 1); T -> inf approaches uniform."""
    z = np.array([1.0, 0.9, -2.0, 0.5])
    tops = [fn(z, temperature=t)[0] for t in (2.0, 1.0, 0.5, 0.1, 0.01)]
    assert all(a < b for a, b in itertools.pairwise(tops))
    np.testing.assert_allclose(fn(z, temperature=1e-3), [1, 0, 0, 0], atol=1e-40)  # e^(-0.1 / 0.001) = e^-100
    np.testing.assert_array_equal(fn(z, temperature=1e-300), [1, 0, 0, 0])  # no overflow, no NaN
    np.testing.assert_allclose(fn(z, temperature=1e6), [0.25] * 4, atol=1e-5)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_temperature_limits(impl: str) -> None:
    check_temperature_limits(IMPLEMENTATIONS[impl])


def check_edge_cases(fn: Filtered) -> None:
    """One token, a batch of one, logits of order 1e4, banned tokens."""
    np.testing.assert_array_equal(fn(np.array([3.0]), temperature=0.1, top_k=5, top_p=0.5, min_p=0.9), [1.0])
    one = random_logits((1, 12), 3)
    np.testing.assert_allclose(fn(one, top_p=0.9), reference(one, top_p=0.9), atol=1e-12)
    big = np.array([1e4, 1e4 - 1.0, -1e4, 1e4 - 0.5])
    with np.errstate(over="raise", invalid="raise"):
        got = fn(big, temperature=0.5, top_p=0.95)
    np.testing.assert_allclose(got, reference(big, temperature=0.5, top_p=0.95), atol=1e-12)
    banned = np.array([-np.inf, 0.0, -np.inf, 1.0])
    for knobs in ({}, {"temperature": 100.0}, {"top_k": 4}, {"min_p": 0.0}, {"top_p": 1.0}):
        got = fn(banned, **knobs)
        assert got[0] == got[2] == 0 and abs(got.sum() - 1) < 1e-12


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_edge_cases(impl: str) -> None:
    check_edge_cases(IMPLEMENTATIONS[impl])


def check_ties_do_not_depend_on_token_ids(fn: Filtered) -> None:
    """With many tied logits, renumbering the tokens renumbers the result and changes nothing else."""
    rng = np.random.default_rng(4)
    z = rng.integers(0, 4, size=(50, 12)).astype(float)
    for knobs in ({"top_k": 3}, {"top_p": 0.5}, {"top_p": 0.9}, {"min_p": 0.4}):
        perm = rng.permutation(12)
        np.testing.assert_allclose(fn(z[:, perm], **knobs), fn(z, **knobs)[:, perm], atol=1e-15)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_ties_do_not_depend_on_token_ids(impl: str) -> None:
    check_ties_do_not_depend_on_token_ids(IMPLEMENTATIONS[impl])


def test_masks_directly() -> None:
    p = np.array([[0.1, 0.5, 0.15, 0.25], [0.25, 0.25, 0.25, 0.25]])
    assert top_k_mask(p, 2).tolist() == [[False, True, False, True], [True] * 4]
    assert top_p_mask(p, 0.5).tolist() == [[False, True, False, False], [True] * 4]  # a four-way tie
    assert top_p_mask(p, 0.6).tolist() == [[False, True, False, True], [True] * 4]
    assert min_p_mask(p, 0.5).tolist() == [[False, True, False, True], [True] * 4]


def test_library_behaviour_the_page_names() -> None:
    """torch.topk keeps exactly k of a tie (we keep the tie); rng.choice needs p to sum to 1 while
    torch.multinomial normalises; a nucleus mask written as "drop where cumsum > p" drops everything
    from a confident model, because the top token alone already exceeds p."""
    tied = np.array([0.5, 0.25, 0.125, 0.125])
    assert torch.topk(torch.from_numpy(tied), 3).indices.numel() == 3 and top_k_mask(tied, 3).sum() == 4
    with pytest.raises(ValueError, match="sum to 1"):
        np.random.default_rng(0).choice(4, p=[0.5, 0.25, 0.0, 0.0])
    draws = torch.multinomial(torch.tensor([0.5, 0.25, 0.0, 0.0]), 1000, replacement=True)
    assert set(draws.tolist()) <= {0, 1}
    confident = np.array([0.95, 0.05])
    naive_keep = ~(np.cumsum(confident) > 0.9)
    assert not naive_keep.any() and top_p_mask(confident, 0.9).tolist() == [True, False]


# ---------------------------------------------------------------- the order of the filters


def test_order_is_hugging_face_generate() -> None:
    """transformers' GenerationMixin._get_logits_processor appends temperature, top-k, top-p, min-p in this order."""
    assert ORDER == ("temperature", "top_k", "top_p", "min_p")
    assert TEMPERATURE_LAST[-1] == "temperature" and sorted(TEMPERATURE_LAST) == sorted(ORDER)


def check_temperature_before_top_p_differs(fn: Filtered) -> None:
    """The page's example: T = 0.5, top_p = 0.7 on p = (1/2, 1/4, 1/8, 1/8) keeps {0} or {0, 1}."""
    first = fn(HALVES, temperature=0.5, top_p=0.7)
    last = fn(HALVES, temperature=0.5, top_p=0.7, order=TEMPERATURE_LAST)
    assert set(np.flatnonzero(first)) == {0} and set(np.flatnonzero(last)) == {0, 1}
    np.testing.assert_allclose(last, [0.8, 0.2, 0, 0], atol=1e-12)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_temperature_before_top_p_differs(impl: str) -> None:
    check_temperature_before_top_p_differs(IMPLEMENTATIONS[impl])


def test_which_steps_commute() -> None:
    """Temperature and top-k commute, and so do top-k and min-p; temperature and min-p do not,
    nor do top-k and top-p (top-p renormalises after top-k)."""
    rng = np.random.default_rng(5)
    for seed in range(20):
        z = random_logits((3, 40), seed)
        t, k, m = 0.3 + 2 * rng.random(), int(rng.integers(1, 40)), float(rng.random())
        a = filtered_distribution(z, temperature=t, top_k=k)
        b = filtered_distribution(z, temperature=t, top_k=k, order=("top_k", "temperature", "top_p", "min_p"))
        np.testing.assert_allclose(a, b, atol=1e-12)
        a = filtered_distribution(z, top_k=k, min_p=m)
        b = filtered_distribution(z, top_k=k, min_p=m, order=("temperature", "min_p", "top_p", "top_k"))
        np.testing.assert_allclose(a, b, atol=1e-12)
    # min-p compares p_i / p_max = exp((z_i - z_max) / T), which temperature changes
    np.testing.assert_allclose(filtered_distribution(HALVES, temperature=0.5, min_p=0.3), [1, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(
        filtered_distribution(HALVES, temperature=0.5, min_p=0.3, order=TEMPERATURE_LAST), [0.8, 0.2, 0, 0]
    )
    # p = (0.4, 0.3, 0.2, 0.1): top-2 renormalises to (4/7, 3/7) and 4/7 >= 0.5; the nucleus of p is {0, 1}
    z = np.log([0.4, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(filtered_distribution(z, top_k=2, top_p=0.5), [1, 0, 0, 0], atol=1e-12)
    swapped = ("temperature", "top_p", "top_k", "min_p")
    np.testing.assert_allclose(filtered_distribution(z, top_k=2, top_p=0.5, order=swapped), [4 / 7, 3 / 7, 0, 0])


PEAKED = -np.log(2) * np.arange(32)  # p_i proportional to 2^-i
FLAT = np.log(32.0 - np.arange(32))  # p_i proportional to 32 - i


def test_nucleus_adapts_to_the_shape_top_k_does_not() -> None:
    """The page's figure, by hand, over 32 tokens.

    Peaked, p_i = 2^-i / (1 - 2^-32): the top 3 hold 0.875 (just over, by 2^-32), the top 4
    hold 0.9375, so top_p = 0.9 keeps 4; p_i / p_0 = 2^-i >= 0.1 for i <= 3, so min_p = 0.1
    keeps 4. Flat, p_i = (32 - i) / 528: the top n hold 32n - n(n - 1)/2 of 528, and
    0.9 * 528 = 475.2 lies between n = 22 (473) and n = 23 (483), so top_p keeps 23;
    (32 - i) / 32 >= 0.1 for i <= 28, so min_p keeps 29. top_k = 10 keeps 10 of both.
    """
    knobs = {"top_k": {"top_k": 10}, "top_p": {"top_p": 0.9}, "min_p": {"min_p": 0.1}}
    sizes = {
        name: [int((filtered_distribution(z, **kn) > 0).sum()) for z in (PEAKED, FLAT)] for name, kn in knobs.items()
    }
    assert sizes == {"top_k": [10, 10], "top_p": [4, 23], "min_p": [4, 29]}


# ---------------------------------------------------------------- samplers


def chi_square(tokens: np.ndarray, probs: np.ndarray) -> tuple[float, int]:
    """scipy's chi-square goodness-of-fit statistic of the draws against probs, and its degrees of freedom.

    Only the tokens probs can produce are compared; drawing any other token fails at once.
    """
    support = probs > 0
    counts = np.bincount(tokens, minlength=probs.size)
    assert counts[~support].sum() == 0, f"drew a token of probability 0: {np.flatnonzero(counts * ~support)}"
    f_exp = tokens.size * probs[support] / probs[support].sum()
    return float(chisquare(counts[support], f_exp).statistic), int(support.sum()) - 1


def chi_square_p(tokens: np.ndarray, probs: np.ndarray) -> float:
    """The p-value of the chi-square goodness-of-fit test of the draws against probs."""
    statistic, dof = chi_square(tokens, probs)
    return float(chi2.sf(statistic, dof))


SAMPLER_CASES = [
    (np.log([0.4, 0.3, 0.2, 0.1]), {}),
    (random_logits((8,), 6) / 3, {"temperature": 0.7, "top_k": 5}),
    (random_logits((8,), 7) / 3, {"temperature": 1.3, "top_p": 0.9}),
    (random_logits((8,), 8) / 3, {"min_p": 0.1}),
    (random_logits((2, 6), 9) / 3, {"temperature": 2.0, "top_p": 0.8, "order": TEMPERATURE_LAST}),
]


def check_sampler(draw: Draw, *, n: int = 20_000, seed: int = 0) -> None:
    """n draws per row from every case; their frequencies pass chi-square (p > 0.01) against the exact distributions.

    The rows are independent, so their statistics add up to one chi-square statistic whose
    degrees of freedom add up too: one test per sampler, so a correct sampler fails it with
    probability 0.01 at a random seed, not 0.01 per row.
    """
    rng = np.random.default_rng(seed)
    total, dofs = 0.0, 0
    for logits, knobs in SAMPLER_CASES:
        tokens = draw(logits, rng, n, **knobs)
        probs = filtered_distribution(logits, **knobs)
        assert tokens.shape == (*logits.shape[:-1], n)
        for row_tokens, row_probs in zip(tokens.reshape(-1, n), probs.reshape(-1, probs.shape[-1]), strict=True):
            statistic, dof = chi_square(row_tokens, row_probs)
            total, dofs = total + statistic, dofs + dof
    p_value = float(chi2.sf(total, dofs))
    assert p_value > 0.01, f"chi-square {total:.1f} on {dofs} degrees of freedom: p = {p_value:.2g}"


def draw_inverse_cdf(logits, rng, n, **knobs) -> np.ndarray:
    return sample(logits, rng=rng, size=n, **knobs)


def draw_gumbel(logits, rng, n, **knobs) -> np.ndarray:
    """Gumbel-max on log(filtered distribution): the dropped tokens are -inf and never win."""
    if set(knobs) <= {"temperature"}:
        return gumbel_max_sample(logits, rng=rng, size=n, **knobs)
    with np.errstate(divide="ignore"):
        return gumbel_max_sample(np.log(filtered_distribution(logits, **knobs)), rng=rng, size=n)


def draw_torch_multinomial(logits, rng, n, **knobs) -> np.ndarray:
    """PyTorch's production path: torch.multinomial on the PyTorch mirror."""
    g = torch.Generator().manual_seed(int(rng.integers(2**31)))
    probs = filtered_distribution_torch(torch.from_numpy(logits), **knobs)
    flat = torch.multinomial(probs.reshape(-1, probs.shape[-1]), n, replacement=True, generator=g)
    return flat.reshape(*logits.shape[:-1], n).numpy()


@pytest.mark.parametrize("draw", [draw_inverse_cdf, draw_gumbel, draw_torch_multinomial])
def test_sampler_frequencies_pass_chi_square(draw: Draw) -> None:
    check_sampler(draw)


def test_chi_square_rejects_the_wrong_distribution() -> None:
    """The same check, at the same seed, fails a sampler that ignores temperature or top_k."""

    def ignores_temperature(logits, rng, n, **knobs):
        return sample(logits, rng=rng, size=n, **{**knobs, "temperature": 1.0})

    def ignores_top_k(logits, rng, n, **knobs):
        return sample(logits, rng=rng, size=n, **{**knobs, "top_k": None})

    for wrong in (ignores_temperature, ignores_top_k):
        with pytest.raises(AssertionError):
            check_sampler(wrong)
    # the same support, different probabilities: only the statistic can tell
    rng = np.random.default_rng(0)
    z = np.log([0.4, 0.3, 0.2, 0.1])
    assert chi_square_p(sample(z, rng=rng, size=20_000, temperature=0.9), filtered_distribution(z)) < 0.01
    assert chi_square_p(gumbel_max_sample(z, rng=rng, size=20_000, temperature=1.1), filtered_distribution(z)) < 0.01


def test_draw_shapes_and_greedy() -> None:
    rng = np.random.default_rng(0)
    z = random_logits((2, 3, 9), 11)
    assert sample(z, rng=rng).shape == gumbel_max_sample(z, rng=rng).shape == (2, 3)
    assert sample(z, rng=rng, size=4).shape == gumbel_max_sample(z, rng=rng, size=4).shape == (2, 3, 4)
    np.testing.assert_array_equal(
        sample(z, rng=rng, size=50, top_k=1), np.broadcast_to(z.argmax(-1)[..., None], (2, 3, 50))
    )
    np.testing.assert_array_equal(gumbel_max_sample(z, rng=rng, size=50, temperature=1e-9).max(-1), z.argmax(-1))
    assert int(sample(np.array([0.0]), rng=rng)) == 0


def test_greedy_on_a_fixed_context_model_cycles() -> None:
    """A model that sees only the last token (a bigram table) makes greedy decoding periodic
    within vocab steps (pigeonhole); sampling from the same table is not periodic."""
    rng = np.random.default_rng(12)
    for _ in range(20):
        table = rng.standard_normal((6, 6))  # table[i] = next-token logits after token i
        tokens = [0]
        for _ in range(30):
            tokens.append(int(table[tokens[-1]].argmax()))
        tail = tokens[6:]
        period = next(p for p in range(1, 7) if tail[p:] == tail[:-p])
        assert period <= 6
    tokens = [0]
    for _ in range(200):
        tokens.append(int(sample(table[tokens[-1]], rng=rng)))
    assert all(tokens[p + 6 :] != tokens[6:-p] for p in range(1, 7))


# ---------------------------------------------------------------- bad input


def bad_inputs() -> list[tuple[object, dict, str]]:
    """(logits, knobs, the message that must name the problem)."""
    z = np.zeros(4)
    return [
        (np.float64(1.0), {}, r"logits must have shape \(\.\.\., vocab\) with vocab >= 1; got \(\)"),
        (np.zeros((2, 0)), {}, r"logits must have shape .*got \(2, 0\)"),
        (np.array([0.0, np.nan]), {}, r"must not contain NaN or \+inf"),
        (np.array([0.0, np.inf]), {}, r"must not contain NaN or \+inf"),
        (np.array([[0.0, 1.0], [-np.inf, -np.inf]]), {}, r"finite entry in every row"),
        (z, {"temperature": 0.0}, r"temperature must be a finite number > 0 .*got 0\.0"),
        (z, {"temperature": -1.0}, r"temperature must be .*got -1\.0"),
        (z, {"temperature": math.inf}, r"temperature must be .*got inf"),
        (z, {"top_k": 0}, r"top_k must be an integer >= 1 or None; got 0"),
        (z, {"top_k": 2.5}, r"top_k must be an integer >= 1 or None; got 2\.5"),
        (z, {"top_p": 0.0}, r"top_p must be in \(0, 1\] or None; got 0\.0"),
        (z, {"top_p": 1.5}, r"top_p must be in \(0, 1\] or None; got 1\.5"),
        (z, {"min_p": -0.1}, r"min_p must be in \[0, 1\] or None; got -0\.1"),
        (z, {"order": ("top_k", "top_p", "temperature")}, r"order must list each of .* once; got"),
        (z, {"order": "temperature"}, r"order must list each of"),
    ]


def check_bad_input(fn: Filtered) -> None:
    for logits, knobs, message in bad_inputs():
        with pytest.raises(ValueError, match=message):
            fn(logits, **knobs)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_bad_input_raises(impl: str) -> None:
    check_bad_input(IMPLEMENTATIONS[impl])


def test_sampler_bad_input() -> None:
    z = np.zeros(3)
    with pytest.raises(
        TypeError, match=r"rng must be a numpy\.random\.Generator, an int seed or None; got RandomState"
    ):
        sample(z, rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match=r"positional argument"):
        sample(z, np.random.default_rng(0))  # rng is keyword-only
    with pytest.raises(ValueError, match=r"size must be an integer >= 1 or None; got 0"):
        gumbel_max_sample(z, rng=0, size=0)
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0"):
        gumbel_max_sample(z, rng=0, temperature=0.0)
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        sample(z, rng=0, top_p=2.0)
    with pytest.raises(TypeError, match=r"logits must be a torch.Tensor; got a NumPy array"):
        filtered_distribution_torch(z)
    with pytest.raises(TypeError, match=r"logits must be a NumPy array or array-like; got a torch.Tensor"):
        filtered_distribution(torch.zeros(3))


def test_rng_accepts_a_generator_an_int_or_none() -> None:
    """An int seed reproduces the draws of a Generator seeded with it; None draws fresh entropy."""
    z = np.log([0.5, 0.25, 0.25])
    a = sample(z, rng=7, size=50)
    np.testing.assert_array_equal(a, sample(z, rng=np.random.default_rng(7), size=50))
    np.testing.assert_array_equal(gumbel_max_sample(z, rng=7, size=50), gumbel_max_sample(z, rng=7, size=50))
    assert sample(z, size=50).shape == (50,)


# ---------------------------------------------------------------- the bank's numeric answers


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed here rather than copied."""
    p4 = np.log([0.4, 0.3, 0.2, 0.1])
    return {
        "sampling.temperature-half": float(filtered_distribution(HALVES, temperature=0.5)[0]),
        "sampling.nucleus-size": float((filtered_distribution(p4, top_p=0.9) > 0).sum()),
        "sampling.top-k-renormalised": float(filtered_distribution(p4, top_k=2)[0]),
        "sampling.min-p-threshold": 0.1 * float(filtered_distribution(np.log([0.6, 0.3, 0.07, 0.03])).max()),
        "sampling.min-p-kept": float((filtered_distribution(np.log([0.6, 0.3, 0.07, 0.03]), min_p=0.1) > 0).sum()),
        "sampling.order-swap": float(
            filtered_distribution(HALVES, temperature=0.5, top_p=0.7, order=TEMPERATURE_LAST)[0]
        ),
        "sampling.temperature-two": float(filtered_distribution([2.0, 0.0], temperature=2.0)[0]),
        "sampling.gumbel-win": float(filtered_distribution(np.log([3.0, 1.0]))[0]),
        "sampling.freq-presence-value": float(
            apply_frequency_presence_penalty([2.0], [0, 0, 0], frequency_penalty=0.5, presence_penalty=0.25)[0]
        ),
        "sampling.top-p-renorm": float(filtered_distribution(np.log([0.5, 0.3, 0.15, 0.05]), top_p=0.75)[0]),
    }


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys("sampling", computed_answers(), lambda q, v: 1e-4)


# ---------------------------------------------------------------- low precision


LOW_TOL = {torch.float32: 1e-6, torch.bfloat16: 1e-2, torch.float16: 2e-3}


@pytest.mark.parametrize("dtype", list(LOW_TOL))
def test_torch_mirror_in_low_precision(dtype: torch.dtype) -> None:
    """filtered_distribution_torch on float32, bfloat16 and float16 logits keeps the dtype, keeps
    exactly the tokens the float64 reference keeps (the cumulative sums 0.4, 0.65, 0.8 are far from
    top_p = 0.7, so rounding cannot move the boundary), and matches it to the dtype's precision."""
    z = np.log([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    for knobs in ({"temperature": 0.8}, {"top_k": 3}, {"top_p": 0.7}, {"min_p": 0.2}, {"top_p": 0.7, "top_k": 4}):
        want = reference(z, **knobs)
        got = filtered_distribution_torch(torch.from_numpy(z).to(dtype), **knobs)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got.double().numpy() > 0, want > 0)
        np.testing.assert_allclose(got.double().numpy(), want, rtol=LOW_TOL[dtype], atol=LOW_TOL[dtype])


# ---------------------------------------------------------------- frequency and presence penalties


def penalty_loop(logits: np.ndarray, tokens: np.ndarray, frequency: float, presence: float) -> np.ndarray:
    """OpenAI's documented rule, token by token: mu_j - c_j * a_f - (c_j > 0) * a_p."""
    out = logits.astype(np.float64).copy()
    for idx in np.ndindex(logits.shape[:-1]):
        for token, count in Counter(tokens[idx].tolist()).items():
            out[idx][token] -= count * frequency + (1.0 if count > 0 else 0.0) * presence
    return out


def test_frequency_presence_hand_worked() -> None:
    """Logits (2, -1, 0.5, 0), tokens 0, 0, 0, 1, frequency 0.5, presence 0.25: token 0 occurred 3
    times, 2 - 3 * 0.5 - 0.25 = 0.25; token 1 once, -1 - 0.5 - 0.25 = -1.75 (lowered by the same
    0.75 as a positive logit would be, unlike CTRL's rule); tokens 2 and 3 are unchanged."""
    got = apply_frequency_presence_penalty(
        [2.0, -1.0, 0.5, 0.0], [0, 0, 0, 1], frequency_penalty=0.5, presence_penalty=0.25
    )
    np.testing.assert_allclose(got, [0.25, -1.75, 0.5, 0.0])
    once = apply_frequency_presence_penalty([0.0] * 2, [0], presence_penalty=1.0)
    many = apply_frequency_presence_penalty([0.0] * 2, [0] * 5, presence_penalty=1.0)
    np.testing.assert_array_equal(once, many)  # presence is paid once
    np.testing.assert_array_equal(apply_frequency_presence_penalty([1.0, 2.0], [1, 0]), [1.0, 2.0])  # zero knobs


@pytest.mark.parametrize("lead, vocab, seq", [((), 1, 1), ((), 7, 12), ((3,), 11, 20), ((2, 4), 5, 9), ((1,), 6, 0)])
def test_frequency_presence_against_the_documented_rule(lead, vocab, seq) -> None:
    rng = np.random.default_rng(21)
    z = 3 * rng.standard_normal((*lead, vocab))
    tokens = rng.integers(0, vocab, size=(*lead, seq))
    for a_f, a_p in ((0.5, 0.0), (0.0, 1.5), (1.2, -0.4), (-2.0, 2.0)):
        want = penalty_loop(z, tokens, a_f, a_p)
        got = apply_frequency_presence_penalty(z, tokens, frequency_penalty=a_f, presence_penalty=a_p)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        got_t = apply_frequency_presence_penalty_torch(
            torch.from_numpy(z), torch.from_numpy(tokens), frequency_penalty=a_f, presence_penalty=a_p
        )
        np.testing.assert_allclose(got_t.numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_frequency_presence_torch_in_low_precision(dtype: torch.dtype) -> None:
    """Counts up to 20 are exact in every dtype here; the subtraction rounds like the dtype's own."""
    rng = np.random.default_rng(22)
    z, tokens = 3 * rng.standard_normal((2, 9)), rng.integers(0, 9, size=(2, 20))
    want = penalty_loop(z, tokens, 0.3, 0.7)
    got = apply_frequency_presence_penalty_torch(
        torch.from_numpy(z).to(dtype), torch.from_numpy(tokens), frequency_penalty=0.3, presence_penalty=0.7
    )
    assert got.dtype == dtype
    tol = {torch.float32: 1e-5, torch.bfloat16: 0.1, torch.float16: 1e-2}[dtype]
    np.testing.assert_allclose(got.double().numpy(), want, rtol=tol, atol=tol)


def test_frequency_presence_bad_input() -> None:
    with pytest.raises(ValueError, match=r"tokens must have shape \(2, 'seq'\) for logits \(2, 5\); got \(3,\)"):
        apply_frequency_presence_penalty(np.zeros((2, 5)), [1, 2, 3], frequency_penalty=0.1)
    with pytest.raises(ValueError, match=r"tokens must lie in \[0, 3\); got values from 0 to 3"):
        apply_frequency_presence_penalty(np.zeros(3), [0, 3], presence_penalty=0.1)
    with pytest.raises(ValueError, match=r"frequency_penalty must be a finite real number; got nan"):
        apply_frequency_presence_penalty(np.zeros(3), [0], frequency_penalty=math.nan)
    with pytest.raises(TypeError, match=r"logits must be a torch.Tensor; got a NumPy array"):
        apply_frequency_presence_penalty_torch(np.zeros((1, 3)), torch.zeros(1, 1, dtype=torch.long))


# ---------------------------------------------------------------- the exercises' checks on our code


@pytest.mark.parametrize(
    ("exercise", "impl"),
    [("sampling.temperature-top-k", "top_k_distribution"), ("sampling.top-p", "top_p_distribution")],
)
def test_exercise_checks_pass_on_our_implementation(exercise: str, impl: str) -> None:
    """The checks that grade a learner's solution are run on ours (issue 9)."""
    import concepts.sampling
    from concepts.exercises._harness import run_checks
    from concepts.exercises.sampling import CHECKS

    failed = [
        (r.name, r.message) for r in run_checks(CHECKS[exercise], getattr(concepts.sampling, impl)) if not r.passed
    ]
    assert not failed, failed


def test_bf16_cumulative_sum_shrinks_the_nucleus() -> None:
    """The page's low-precision pitfall: over 10 random 50,000-token distributions, the nucleus
    of top_p = 0.9 found with a bfloat16 cumulative sum is 250 to 350 tokens (about 2.5%) smaller
    than in float64; bf16 running sums near 0.9 sit on a grid of 2^-8."""
    g = torch.Generator().manual_seed(0)
    for _ in range(10):
        z = 2 * torch.randn(50_000, generator=g, dtype=torch.float64)
        p = torch.softmax(z, 0).sort(descending=True).values
        n64 = int((p.cumsum(0) < 0.9).sum()) + 1
        c16 = p.to(torch.bfloat16).cumsum(0)
        n16 = int((c16 < 0.9).sum()) + 1
        assert 250 <= n64 - n16 <= 350 and 0.02 < (n64 - n16) / n64 < 0.03
    near = c16[(c16 > 0.5) & (c16 < 1)].double() * 256
    assert torch.equal(near, near.round())
