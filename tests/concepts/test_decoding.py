"""Greedy and beam search checked against exhaustive search on tiny models, in float64.

The reference enumerates every output up to ``max_len`` tokens (each ending in EOS, or
cut off at ``max_len``), scores it with the repetition controls written as plain loops
(both in ``concepts.exercises.decoding``, independent of the search code), and keeps the
best. Each ``check_*`` takes the implementation under
test (a function with the signature of ``concepts.decoding.beam_search``, ``greedy_search``
or ``apply_repetition_penalty``), so the same checks can grade a learner's solution.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from support import check_numeric_keys

from concepts.decoding import (
    apply_repetition_penalty,
    apply_repetition_penalty_torch,
    beam_search,
    beam_search_torch,
    block_repeated_ngrams,
    greedy_search,
    length_penalty,
    mbr_decode,
    table_lm,
    tiny_lm,
)
from concepts.exercises.decoding import exhaustive_search, reference_scores

Search = Callable[..., tuple[list[int], float]]
BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "decoding.json"
SEARCHES = {"numpy": beam_search, "torch": beam_search_torch}
# the worked example: P(first) = EOS .1, A .5, B .4; after A: .4, .3, .3; after B: .9, .05, .05
WORKED = {(): [0.1, 0.5, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]}


# ---------------------------------------------------------------- the reference
# reference_scores (both repetition controls by plain loops) and exhaustive_search (every output up to
# max_len tokens) live in concepts.exercises.decoding, where they also grade learners' solutions.


def sequence_score(lm, prompt, seq, *, alpha=0.0, form="simple", penalty=1.0, ngram=0) -> float:
    """Summed log-probability of seq after prompt under the reference controls, divided by lp."""
    logp = sum(reference_scores(lm, [*prompt, *seq[:i]], penalty, ngram)[seq[i]] for i in range(len(seq)))
    return logp / length_penalty(len(seq), alpha, form=form)


# ---------------------------------------------------------------- beam = exhaustive


def eos_shifted(lm, bias: float):
    """The model with bias added to EOS's logit and renormalised, so that stopping at once is
    not always the best answer (which would make exhaustive comparisons trivial)."""

    def next_log_probs(prefix):
        row = lm(prefix)
        row[0] += bias
        return row - np.log(np.exp(row).sum())

    return next_log_probs


# (vocab, context, max_len, alpha, form, repetition_penalty, no_repeat_ngram_size, prompt, EOS bias)
EXHAUSTIVE_CASES = [
    (2, 1, 1, 0.0, "simple", 1.0, 0, (), 0.0),  # length 1, one non-EOS token
    (4, 1, 4, 0.0, "simple", 1.0, 0, (), -3.0),
    (4, 2, 5, 1.0, "simple", 1.0, 0, (), 0.0),
    (5, 2, 4, 0.6, "gnmt", 1.0, 0, (), -1.0),
    (4, 2, 5, -0.5, "simple", 1.0, 0, (), -4.0),
    (4, 1, 5, 0.0, "simple", 1.3, 0, (2,), -3.0),
    (4, 1, 5, 1.0, "simple", 1.0, 2, (1, 3), 0.0),
    (6, 0, 4, 0.0, "simple", 1.0, 1, (), -4.0),  # unigram model; n = 1 bans every seen token
]


def check_beam_equals_exhaustive(
    search: Search, vocab, context, max_len, alpha, form, penalty, ngram, prompt, bias, seed
):
    """With a beam as wide as all sequences nothing is pruned, so beam search is exact."""
    lm = eos_shifted(tiny_lm(vocab, context=context, rng=seed), bias)
    want_tokens, want_score = exhaustive_search(
        lm, prompt, vocab=vocab, max_len=max_len, alpha=alpha, form=form, penalty=penalty, ngram=ngram
    )
    # A beam this wide never collects beam_width finished hypotheses before max_len, so
    # early stopping cannot cut the search short here (see test_early_stopping_* for where it does).
    for early_stopping in (False, True):
        tokens, score = search(
            lm,
            prompt,
            beam_width=vocab**max_len,
            max_len=max_len,
            alpha=alpha,
            form=form,
            early_stopping=early_stopping,
            repetition_penalty=penalty,
            no_repeat_ngram_size=ngram,
        )
        assert math.isclose(score, want_score, rel_tol=1e-12, abs_tol=1e-12)
        # a unigram model ties every order of the same tokens, so compare the tokens by their score
        assert tokens == want_tokens or math.isclose(
            sequence_score(lm, prompt, tokens, alpha=alpha, form=form, penalty=penalty, ngram=ngram), want_score
        )


@pytest.mark.parametrize("impl", SEARCHES)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", EXHAUSTIVE_CASES, ids=lambda c: f"V{c[0]}n{c[1]}T{c[2]}a{c[3]}{c[4]}p{c[5]}b{c[6]}")
def test_full_width_beam_equals_exhaustive(impl: str, seed: int, case) -> None:
    check_beam_equals_exhaustive(SEARCHES[impl], *case, seed=seed)


def check_narrow_beam_never_beats_exhaustive(search: Search) -> None:
    """Beam search is a heuristic: narrower beams score at most the optimum, and on these
    seeds greedy (width 1) misses it at least once while width 2 already helps."""
    misses = 0
    for seed in range(8):
        lm = tiny_lm(5, context=2, rng=seed, sharpness=1.0)
        _, best = exhaustive_search(lm, vocab=5, max_len=4)
        scores = [search(lm, beam_width=k, max_len=4)[1] for k in (1, 2, 4)]
        assert all(s <= best + 1e-12 for s in scores)
        misses += scores[0] < best - 1e-9
    assert misses >= 1


def test_the_width_figure_claims() -> None:
    """The page's figure: on its 12 trigram models greedy misses the optimum on some, and a
    beam of 4 finds it on all, with alpha = 0 and alpha = 1."""
    for alpha in (0.0, 1.0):
        misses = 0
        for seed in range(12):
            lm = tiny_lm(6, context=2, rng=seed, sharpness=1.5)
            _, best = exhaustive_search(lm, vocab=6, max_len=5, alpha=alpha)
            misses += beam_search(lm, beam_width=1, max_len=5, alpha=alpha)[1] < best - 1e-9
            assert math.isclose(beam_search(lm, beam_width=4, max_len=5, alpha=alpha)[1], best, abs_tol=1e-12)
        assert misses >= 2


@pytest.mark.parametrize("impl", SEARCHES)
def test_narrow_beam_never_beats_exhaustive(impl: str) -> None:
    check_narrow_beam_never_beats_exhaustive(SEARCHES[impl])


# ---------------------------------------------------------------- beam 1 = greedy


def check_width_one_is_greedy(search: Search, greedy: Search) -> None:
    """Without length normalisation (or with early stopping) a beam of one is greedy search."""
    for seed in range(6):
        lm = tiny_lm(6, context=2, rng=seed)
        for prompt, controls in (((), {}), ((3, 4), {"repetition_penalty": 1.5, "no_repeat_ngram_size": 2})):
            want = greedy(lm, prompt, max_len=7, **controls)
            assert search(lm, prompt, beam_width=1, max_len=7, **controls) == want
            got = search(lm, prompt, beam_width=1, max_len=7, alpha=1.0, early_stopping=True, **controls)
            assert got[0] == want[0]
            assert math.isclose(got[1], want[1] / len(want[0]), rel_tol=1e-12)
    # An EOS ranked outside the top k is dropped: here EOS first (0.4) would beat greedy's A A
    # (0.6 * 0.55 = 0.33), but a beam of one never keeps it, exactly like greedy.
    lm = table_lm({(): [0.4, 0.6, 0.0], (1,): [0.45, 0.55, 0.0]})
    assert greedy(lm, max_len=2)[0] == [1, 1] and search(lm, beam_width=1, max_len=2)[0] == [1, 1]
    assert search(lm, beam_width=2, max_len=2)[0] == [0]


@pytest.mark.parametrize("impl", SEARCHES)
def test_width_one_is_greedy(impl: str) -> None:
    check_width_one_is_greedy(SEARCHES[impl], greedy_search)


def check_hand_worked_example(search: Search, greedy: Search) -> None:
    """Vocabulary EOS = 0, A = 1, B = 2, max_len = 2, the table WORKED.

    Greedy takes A (0.5 > 0.4), then EOS (0.4): probability 0.5 * 0.4 = 0.20, log -1.6094.
    A beam of 2 keeps A (0.5) and B (0.4); the EOS at step 1 (0.1) ranks third and is
    dropped. Step 2 candidates: B EOS 0.4 * 0.9 = 0.36, A EOS 0.20, A A = A B = 0.15,
    B A = B B = 0.02. B EOS and A EOS rank in the top 2 and finish; the live A A (0.15)
    cannot beat 0.36, so the answer is B EOS with log 0.36 = -1.0217. Exhaustive search
    over the 7 sequences agrees. With alpha = 1 the scores are per token: B EOS -0.5108.
    """
    lm = table_lm(WORKED)
    tokens, score = greedy(lm, max_len=2)
    assert tokens == [1, 0] and math.isclose(score, math.log(0.20), rel_tol=1e-12)
    tokens, score = search(lm, beam_width=2, max_len=2)
    assert tokens == [2, 0] and math.isclose(score, math.log(0.36), rel_tol=1e-12)
    assert round(score, 4) == -1.0217 and round(math.log(0.2), 4) == -1.6094
    assert exhaustive_search(lm, vocab=3, max_len=2)[0] == [2, 0]
    tokens, score = search(lm, beam_width=2, max_len=2, alpha=1.0)
    assert tokens == [2, 0] and math.isclose(score, math.log(0.36) / 2, rel_tol=1e-12)


@pytest.mark.parametrize("impl", SEARCHES)
def test_hand_worked_example(impl: str) -> None:
    check_hand_worked_example(SEARCHES[impl], greedy_search)


# ---------------------------------------------------------------- length normalisation


def check_length_normalisation_changes_winner(search: Search) -> None:
    """Stopping at once has probability 0.5 (log -0.693); A A EOS has 0.5 * 0.9 * 0.9 = 0.405
    (log -0.904, or -0.301 per token). Raw sums pick the short answer; alpha = 1 the long one.
    GNMT's form with alpha = 1: lp(1) = 1, lp(3) = 8/6, and -0.904 * 6/8 = -0.678 > -0.693."""
    lm = table_lm({(): [0.5, 0.5, 0.0], (1,): [0.1, 0.9, 0.0], (1, 1): [0.9, 0.1, 0.0]})
    assert search(lm, beam_width=3, max_len=3) == ([0], math.log(0.5))
    tokens, score = search(lm, beam_width=3, max_len=3, alpha=1.0)
    assert tokens == [1, 1, 0] and math.isclose(score, math.log(0.405) / 3, rel_tol=1e-12)
    tokens, score = search(lm, beam_width=3, max_len=3, alpha=1.0, form="gnmt")
    assert tokens == [1, 1, 0] and math.isclose(score, math.log(0.405) * 6 / 8, rel_tol=1e-12)
    assert exhaustive_search(lm, vocab=3, max_len=3, alpha=1.0)[0] == [1, 1, 0]


@pytest.mark.parametrize("impl", SEARCHES)
def test_length_normalisation_changes_winner(impl: str) -> None:
    check_length_normalisation_changes_winner(SEARCHES[impl])


def test_length_penalty_forms() -> None:
    """lp = L^alpha, or GNMT's ((5 + L) / 6)^alpha, which is 1 at L = 1 and at alpha = 0."""
    assert length_penalty(4, 0.5) == 2.0 and length_penalty(9, 1.0) == 9.0
    assert length_penalty(1, 0.7, form="gnmt") == 1.0 and length_penalty(50, 0.0, form="gnmt") == 1.0
    assert math.isclose(length_penalty(7, 1.0, form="gnmt"), 2.0)
    assert math.isclose(length_penalty(13, 0.5, form="gnmt"), math.sqrt(3))


def check_early_stopping(search: Search) -> None:
    """With alpha > 0, stopping once beam_width hypotheses finish can miss a longer, better one."""
    lm = tiny_lm(5, context=2, rng=0)
    exact = search(lm, beam_width=2, max_len=6, alpha=1.0)
    early = search(lm, beam_width=2, max_len=6, alpha=1.0, early_stopping=True)
    assert early[1] < exact[1] and len(early[0]) < len(exact[0])


@pytest.mark.parametrize("impl", SEARCHES)
def test_early_stopping_can_cost_score(impl: str) -> None:
    check_early_stopping(SEARCHES[impl])


# EOS = 0, A = 1, B = 2. First token: EOS .3, A .5, B .2; after A: EOS .1, A .9; after B: EOS .9, A .1;
# after A A: EOS .9, A .1.
EARLY = {(): [0.3, 0.5, 0.2], (1,): [0.1, 0.9, 0.0], (2,): [0.9, 0.1, 0.0], (1, 1): [0.9, 0.1, 0.0]}


def check_early_stopping_inexact_without_normalisation(search: Search) -> None:
    """k = 2, alpha = 0 (no length normalisation), the table EARLY.

    Step 1 ranks A .5, EOS .3, B .2: EOS is second, inside the top 2, so "EOS" finishes
    with 0.3; the beam is A, B. Step 2 ranks A A .45, B EOS .2 * .9 = .18, A EOS .05,
    B A .02: B EOS is second and finishes, so two hypotheses have finished and
    ``early_stopping=True`` stops, returning "EOS" (log 0.3 = -1.204). But the live A A
    (.45) is better than both, and A A EOS = .5 * .9 * .9 = .405 (log -0.904) wins when the
    search goes on. An EOS needs only a top-k rank to finish, so for k >= 2 a finished
    hypothesis can trail a live prefix even with raw scores.
    """
    lm = table_lm(EARLY)
    early = search(lm, beam_width=2, max_len=4, early_stopping=True)
    exact = search(lm, beam_width=2, max_len=4)
    assert early[0] == [0] and math.isclose(early[1], math.log(0.3), rel_tol=1e-12)
    assert exact[0] == [1, 1, 0] and math.isclose(exact[1], math.log(0.405), rel_tol=1e-12)
    assert exhaustive_search(lm, vocab=3, max_len=4)[0] == [1, 1, 0]
    assert (round(early[1], 3), round(exact[1], 3)) == (-1.204, -0.904)


@pytest.mark.parametrize("impl", SEARCHES)
def test_early_stopping_is_inexact_even_at_alpha_zero(impl: str) -> None:
    check_early_stopping_inexact_without_normalisation(SEARCHES[impl])


@pytest.mark.parametrize("impl", SEARCHES)
def test_early_stopping_is_exact_for_one_beam_without_normalisation(impl: str) -> None:
    """The page's claim: with k = 1 the EOS that finishes ranked first among all candidates,
    so it beats every live prefix, and with alpha <= 0 no live prefix can climb. Early and
    exact stopping agree on many random models; with alpha = 1 they do not always."""
    search, differ = SEARCHES[impl], 0
    for seed, alpha in itertools.product(range(20), (0.0, -0.5, 1.0)):
        lm = eos_shifted(tiny_lm(5, context=2, rng=seed, sharpness=1.5), -1.0)
        early = search(lm, beam_width=1, max_len=6, alpha=alpha, early_stopping=True)
        exact = search(lm, beam_width=1, max_len=6, alpha=alpha)
        if alpha <= 0:
            assert early == exact
        else:
            differ += early != exact
    assert differ > 0


def test_log_space_claims_in_each_dtype() -> None:
    """The bank's decoding.log-space and the page: 100 tokens of probability 0.01 multiply to
    1e-200, an ordinary normal float64 (the smallest normal is about 2.2e-308, subnormals go
    down to about 4.9e-324), but 0 in float32 (normal from 1.2e-38, subnormal to 1.4e-45) and in
    float16 and bfloat16. 200 such tokens (1e-400) underflow float64 too; the log-sum is -921."""

    def product(n: int, dtype) -> float:
        out = np.ones((), dtype=dtype)
        for _ in range(n):
            out = out * dtype(0.01)
        return float(out)

    assert math.isclose(product(100, np.float64), 1e-200, rel_tol=1e-12)
    assert product(100, np.float32) == 0.0 and product(100, np.float16) == 0.0
    assert product(200, np.float64) == 0.0
    assert math.isclose(float(np.finfo(np.float64).tiny), 2.2250738585072014e-308)
    assert math.isclose(float(np.finfo(np.float64).smallest_subnormal), 4.94e-324, rel_tol=1e-3)
    assert math.isclose(float(np.finfo(np.float32).tiny), 1.1754944e-38, rel_tol=1e-6)
    assert math.isclose(float(np.finfo(np.float32).smallest_subnormal), 1.4e-45, rel_tol=0.01)
    p = torch.full((100,), 0.01, dtype=torch.bfloat16)
    assert float(p.prod()) == 0.0 and float(torch.full((100,), 0.01).prod()) == 0.0
    assert round(100 * math.log(0.01), 1) == -460.5 and round(200 * math.log(0.01)) == -921
    first_zero = {}  # the page and decoding.underflow-dtypes: the first factor at which the running product is 0
    for dtype in (torch.float64, torch.float32, torch.bfloat16, torch.float16):
        p, n = torch.ones((), dtype=dtype), 0
        while p != 0:
            p, n = p * torch.tensor(0.01, dtype=dtype), n + 1
        first_zero[dtype] = n
    assert first_zero == {torch.float64: 162, torch.float32: 23, torch.bfloat16: 21, torch.float16: 4}
    assert math.isclose(float(np.log(np.full(100, 0.01, dtype=np.float32)).sum()), 100 * math.log(0.01), rel_tol=1e-6)


# ---------------------------------------------------------------- minimum Bayes risk


def unigram_f1(hyp, ref) -> float:
    """Token-overlap F1 of two sequences (bags of tokens), the utility of the MBR examples."""
    common = sum(min(hyp.count(t), ref.count(t)) for t in set(hyp))
    return 0.0 if common == 0 else 2 * common / (len(hyp) + len(ref))


def test_mbr_with_exact_match_is_map() -> None:
    """With utility 1[h = y] the expected utility of h is p(h): MBR over the full support,
    weighted by the model, returns the most probable sequence, found here by exhaustive search."""
    lm = tiny_lm(4, context=1, rng=3)
    support = [[*seq, 0] for n in range(3) for seq in itertools.product(range(1, 4), repeat=n)]
    probs = np.exp([sum(lm(list(s[:i]))[s[i]] for i in range(len(s))) for s in support])
    best, expected = mbr_decode(support, lambda h, y: float(list(h) == list(y)), weights=probs)
    np.testing.assert_allclose(expected, probs / probs.sum(), rtol=1e-12)
    assert list(support[best]) == [*exhaustive_search(lm, vocab=4, max_len=3)[0]] or probs[best] == probs.max()


def test_mbr_picks_the_consensus_over_the_mode() -> None:
    """Hand-worked: the mode A B C (p = 0.4) shares no token with three variants of D E F
    (p = 0.2 each, agreeing in two of three tokens). Expected unigram F1 of A B C is 0.4; of
    D E F: 0.2 * (1 + 2/3 + 2/3) = 0.467; of D E G and D H F: 0.2 * (2/3 + 1 + 1/3) = 0.4.
    MBR trades the single most likely answer for the one closest to everything the model believes."""
    support = [[1, 2, 3], [4, 5, 6], [4, 5, 7], [4, 8, 6]]
    best, expected = mbr_decode(support, unigram_f1, weights=[0.4, 0.2, 0.2, 0.2])
    assert best == 1
    np.testing.assert_allclose(expected, [0.4, 0.2 * (1 + 4 / 3), 0.4, 0.4])
    samples = [[1, 2, 3]] * 4 + [[4, 5, 6]] * 2 + [[4, 5, 7]] * 2 + [[4, 8, 6]] * 2  # the same, as samples
    assert mbr_decode(samples, unigram_f1)[0] == 4
    assert mbr_decode(support, unigram_f1, references=[[1, 2, 3]])[0] == 0


def test_mbr_bad_input() -> None:
    with pytest.raises(ValueError, match=r"need at least one candidate and one reference; got 0 and 0"):
        mbr_decode([], unigram_f1)
    with pytest.raises(ValueError, match=r"weights must be 2 non-negative numbers, not all 0; got shape \(3,\)"):
        mbr_decode([[1], [2]], unigram_f1, weights=[1, 1, 1])
    with pytest.raises(ValueError, match=r"weights must be 2 non-negative numbers"):
        mbr_decode([[1], [2]], unigram_f1, weights=[0, 0])


def test_model_calls_are_at_most_width_times_length() -> None:
    """Each step runs the model once per live beam and ranks beam_width x vocab candidates."""
    base = tiny_lm(7, context=2, rng=3)
    calls = []

    def lm(prefix):
        calls.append(len(prefix))
        return base(prefix)

    for k in (1, 3, 5):
        calls.clear()
        beam_search(lm, beam_width=k, max_len=9)
        assert 0 < len(calls) <= k * 9
        assert max(calls.count(t) for t in set(calls)) <= k


# ---------------------------------------------------------------- repetition controls


def repeated_ngram(seq: list[int], n: int) -> bool:
    grams = [tuple(seq[i : i + n]) for i in range(len(seq) - n + 1)]
    return len(grams) != len(set(grams))


def check_ngram_blocking(search: Search) -> None:
    """Across seeds and n, prompt + output never repeats an n-gram that ends in the output;
    without blocking the same models do repeat (so the check can fail)."""
    repeats_without = 0
    for seed, n in itertools.product(range(6), (1, 2, 3)):
        lm = tiny_lm(6, context=1, rng=seed, sharpness=3.0)
        prompt = [1, 2]
        tokens, _ = search(lm, prompt, max_len=12, no_repeat_ngram_size=n)
        assert not repeated_ngram(prompt + tokens, n)
        repeats_without += repeated_ngram(prompt + search(lm, prompt, max_len=12)[0], n)
    assert repeats_without > 0


@pytest.mark.parametrize("impl", ["greedy", *SEARCHES])
def test_ngram_blocking(impl: str) -> None:
    if impl == "greedy":
        check_ngram_blocking(greedy_search)
    else:
        check_ngram_blocking(functools.partial(SEARCHES[impl], beam_width=3))


def test_greedy_loops_and_blocking_breaks_the_loop() -> None:
    """The page's example: this bigram model prefers 1 after 1, so greedy repeats it forever."""
    lm = tiny_lm(6, context=1, rng=1)
    assert greedy_search(lm, [1], max_len=12)[0] == [1] * 12
    tokens, _ = greedy_search(lm, [1], max_len=12, no_repeat_ngram_size=2)
    assert tokens[-1] == 0 and not repeated_ngram([1, *tokens], 2)


def test_block_repeated_ngrams_by_hand() -> None:
    """Sequence 1 2 3 1 2: the 3-grams are 123, 231, 312; the last two tokens 1 2 were
    followed by 3, so n = 3 bans 3. For n = 2 the last token 2 was followed by 3: ban 3.
    n = 1 bans every token seen (1, 2, 3). Too short a sequence bans nothing."""
    zeros = np.zeros(5)
    assert np.isinf(block_repeated_ngrams(zeros, [1, 2, 3, 1, 2], 3)).tolist() == [0, 0, 0, 1, 0]
    assert np.isinf(block_repeated_ngrams(zeros, [1, 2, 3, 1, 2], 2)).tolist() == [0, 0, 0, 1, 0]
    assert np.isinf(block_repeated_ngrams(zeros, [1, 2, 3, 1, 2], 1)).tolist() == [0, 1, 1, 1, 0]
    assert (block_repeated_ngrams(zeros, [1, 2], 3) == 0).all()
    assert (block_repeated_ngrams(zeros, [], 1) == 0).all()


def penalty_reference(logits: np.ndarray, tokens: np.ndarray, penalty: float) -> np.ndarray:
    """HF's rule by loops over rows: each distinct seen token once, x/theta if x > 0 else x*theta."""
    out = logits.copy()
    for idx in np.ndindex(logits.shape[:-1]):
        for token in set(tokens[idx].tolist()):
            x = logits[idx][token]
            out[idx][token] = x / penalty if x > 0 else x * penalty
    return out


def as_numpy(fn: Callable) -> Callable:
    return lambda logits, tokens, penalty: fn(torch.from_numpy(logits), torch.from_numpy(tokens), penalty).numpy()


PENALTIES = {"numpy": apply_repetition_penalty, "torch": as_numpy(apply_repetition_penalty_torch)}


def check_repetition_penalty(penalty_fn: Callable) -> None:
    """Hand-worked: logits (3, -2, 0.5, 1), tokens seen 0, 1, 1, penalty 2: token 0 (positive)
    3 / 2 = 1.5; token 1 (negative) -2 * 2 = -4, once although seen twice; tokens 2, 3 unseen.
    Then random shapes against the loop reference, a batch of one, length 1, huge logits."""
    got = penalty_fn(np.array([3.0, -2.0, 0.5, 1.0]), np.array([0, 1, 1]), 2.0)
    np.testing.assert_array_equal(got, [1.5, -4.0, 0.5, 1.0])
    rng = np.random.default_rng(0)
    for lead, vocab, seq in [((), 1, 1), ((1,), 7, 3), ((3,), 11, 20), ((2, 4), 9, 5)]:
        logits = rng.standard_normal((*lead, vocab))
        tokens = rng.integers(0, vocab, size=(*lead, seq))
        for penalty in (1.3, 0.7, 1.0):
            np.testing.assert_allclose(penalty_fn(logits, tokens, penalty), penalty_reference(logits, tokens, penalty))
    big = np.array([[1e300, -1e300, 5.0]])
    got = penalty_fn(big, np.array([[0, 1]]), 1.5)
    assert np.isfinite(got).all() and got[0, 0] < 1e300 and got[0, 1] < -1e300


@pytest.mark.parametrize("impl", PENALTIES)
def test_repetition_penalty(impl: str) -> None:
    check_repetition_penalty(PENALTIES[impl])


def test_repetition_penalty_on_log_probs_always_lowers() -> None:
    """Log-probabilities are <= 0, so a penalty > 1 multiplies them: a seen token always loses,
    and the row no longer sums to 1 in probability (nothing renormalises it)."""
    lp = tiny_lm(5, rng=2)([1, 3])
    out = apply_repetition_penalty(lp, [1, 3], 1.2)
    assert (out[[1, 3]] < lp[[1, 3]]).all() and (out[[0, 2, 4]] == lp[[0, 2, 4]]).all()
    assert np.exp(out).sum() < 1


def test_torch_penalty_keeps_dtype() -> None:
    out = apply_repetition_penalty_torch(torch.tensor([[2.0, -1.0]]), torch.tensor([[0]]), 2.0)
    assert out.dtype == torch.float32 and out.tolist() == [[1.0, -1.0]]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16, torch.float16])
def test_torch_penalty_matches_a_gather_reference_in_each_dtype(dtype: torch.dtype) -> None:
    """Against Hugging Face's formulation (gather the seen scores, rescale, scatter back),
    computed in the same dtype: a division or multiplication by the penalty rounds the same
    way in both, so they agree exactly, and agree with float64 to the dtype's precision."""
    rng = np.random.default_rng(1)
    logits64 = torch.from_numpy(rng.standard_normal((3, 11)) * 4)
    tokens = torch.from_numpy(rng.integers(0, 11, size=(3, 6)))
    logits = logits64.to(dtype)
    score = torch.gather(logits, 1, tokens)
    want = logits.scatter(1, tokens, torch.where(score < 0, score * 1.3, score / 1.3))
    got = apply_repetition_penalty_torch(logits, tokens, 1.3)
    assert got.dtype == dtype
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    tol = {torch.float64: 1e-12, torch.float32: 1e-6, torch.bfloat16: 2e-2, torch.float16: 2e-3}[dtype]
    torch.testing.assert_close(got.double(), apply_repetition_penalty_torch(logits64, tokens, 1.3), rtol=tol, atol=tol)


def test_wrong_array_library_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"logits must be a torch.Tensor; got a NumPy array"):
        apply_repetition_penalty_torch(np.zeros((1, 3)), torch.zeros(1, 1, dtype=torch.long), 1.2)
    with pytest.raises(TypeError, match=r"logits must be a NumPy array or array-like; got a torch.Tensor"):
        apply_repetition_penalty(torch.zeros(3), [1], 1.2)
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator, an int seed or None; got str"):
        tiny_lm(4, rng="zero")


# ---------------------------------------------------------------- tiny models


def test_tiny_lm_is_a_fixed_ngram_model() -> None:
    lm = tiny_lm(4, context=2, rng=5)
    rows = np.stack([lm([a, b]) for a in range(4) for b in range(4)])
    np.testing.assert_allclose(np.exp(rows).sum(-1), 1.0)
    np.testing.assert_array_equal(lm([3, 1, 2]), lm([0, 1, 2]))  # only the last two tokens matter
    np.testing.assert_array_equal(lm([1, 2]), tiny_lm(4, context=2, rng=5)([1, 2]))  # seeded
    assert not np.array_equal(lm([]), lm([1]))


def test_table_lm_backs_off_to_the_longest_known_suffix() -> None:
    lm = table_lm(WORKED)
    np.testing.assert_allclose(np.exp(lm([2, 1])), WORKED[(1,)])
    np.testing.assert_allclose(np.exp(lm([0])), WORKED[()])


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(beam_width=0, max_len=3), r"beam_width must be an integer >= 1; got 0"),
        (dict(beam_width=2, max_len=0), r"max_len must be an integer >= 1; got 0"),
        (dict(beam_width=2.5, max_len=3), r"beam_width must be an integer >= 1; got 2\.5"),
        (dict(beam_width=2, max_len=3, alpha=math.nan), r"alpha must be a finite number; got nan"),
        (dict(beam_width=2, max_len=3, form="wu"), r"form must be one of \('simple', 'gnmt'\); got 'wu'"),
        (dict(beam_width=2, max_len=3, repetition_penalty=0.0), r"repetition_penalty must be a positive finite"),
        (dict(beam_width=2, max_len=3, no_repeat_ngram_size=-1), r"no_repeat_ngram_size must be an integer >= 0"),
        (dict(prompt=[1, 0], beam_width=2, max_len=3), r"prompt must not contain eos = 0; got \[1, 0\]"),
    ],
)
@pytest.mark.parametrize("impl", SEARCHES)
def test_search_bad_input(impl: str, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SEARCHES[impl](tiny_lm(4), **kwargs)


def test_other_bad_input() -> None:
    with pytest.raises(ValueError, match=r"max_len must be an integer >= 1; got -1"):
        greedy_search(tiny_lm(4), max_len=-1)
    with pytest.raises(ValueError, match=r"next_log_probs must return log-probabilities .*got shape \(2, 2\)"):
        greedy_search(lambda prefix: np.zeros((2, 2)), max_len=2)
    with pytest.raises(ValueError, match=r"next_log_probs must return log-probabilities"):
        beam_search(lambda prefix: np.ones(3), beam_width=2, max_len=2)
    with pytest.raises(ValueError, match=r"length must be an integer >= 1; got 0"):
        length_penalty(0, 1.0)
    with pytest.raises(ValueError, match=r"tokens must have shape \(2, 'seq'\) for logits \(2, 5\); got \(3,\)"):
        apply_repetition_penalty(np.zeros((2, 5)), [1, 2, 3], 1.2)
    with pytest.raises(ValueError, match=r"penalty must be a positive finite number; got -1"):
        apply_repetition_penalty_torch(torch.zeros(1, 3), torch.zeros(1, 1, dtype=torch.long), -1)
    with pytest.raises(ValueError, match=r"logits must have shape \(vocab,\); got \(1, 3\)"):
        block_repeated_ngrams(np.zeros((1, 3)), [1], 2)
    with pytest.raises(ValueError, match=r"n must be an integer >= 1; got 0"):
        block_repeated_ngrams(np.zeros(3), [1], 0)
    with pytest.raises(ValueError, match=r"vocab_size must be an integer >= 2; got 1"):
        tiny_lm(1)
    with pytest.raises(ValueError, match=r"prefix tokens must lie in \[0, 4\); got \[7\]"):
        tiny_lm(4)([7])
    with pytest.raises(ValueError, match=r"probs needs a \(\) row"):
        table_lm({(1,): [0.5, 0.5]})
    with pytest.raises(ValueError, match=r"every row of probs must be non-negative and sum to 1"):
        table_lm({(): [0.5, 0.6]})


# ---------------------------------------------------------------- the bank's numeric answers


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed from the package rather than copied."""
    lm = table_lm(WORKED)
    return {
        "decoding.greedy-prob": math.exp(greedy_search(lm, max_len=2)[1]),
        "decoding.beam-prob": math.exp(beam_search(lm, beam_width=2, max_len=2)[1]),
        "decoding.gnmt-lp": length_penalty(7, 1.0, form="gnmt"),
        "decoding.normalised-score": -6.0 / length_penalty(4, 0.5),
        "decoding.penalised-logit": float(apply_repetition_penalty([3.0, -2.0], [0, 1], 1.5)[1]),
        "decoding.candidates": float(np.zeros((4, 50_000)).size),
        "decoding.exhaustive-count": float(sum(9**n for n in range(0, 4))),
        "decoding.mbr-expected": float(
            mbr_decode([[1, 2, 3], [4, 5, 6], [4, 5, 7], [4, 8, 6]], unigram_f1, weights=[0.4, 0.2, 0.2, 0.2])[1][1]
        ),
        "decoding.mbr-cost": float(mbr_cost(100)),
        "decoding.early-stop-counter": math.exp(
            beam_search(table_lm(EARLY), beam_width=2, max_len=4, early_stopping=True)[1]
        ),
    }


def mbr_cost(n: int) -> int:
    """Utility calls made by mbr_decode with n candidates that are their own references."""
    calls = []
    mbr_decode([[i] for i in range(n)], lambda h, r: calls.append(1) or 0.0)
    return len(calls)


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys("decoding", computed_answers(), lambda q, v: 1e-4 * max(1.0, abs(v)))


def test_exhaustive_count_formula() -> None:
    """Outputs of at most T tokens over V tokens with EOS: sum_{n<T} (V-1)^n end in EOS and
    (V-1)^T are cut off; for V = 10, T = 3 that is 1 + 9 + 81 + 729 = 820 sequences."""
    vocab, max_len = 10, 3
    count = sum(1 for n in range(1, max_len + 1) for _ in itertools.product(range(1, vocab), repeat=n - 1))
    count += (vocab - 1) ** max_len
    assert count == 820 == computed_answers()["decoding.exhaustive-count"]


# ---------------------------------------------------------------- the exercises' checks on our code


@pytest.mark.parametrize(
    ("exercise", "impl"),
    [
        ("decoding.greedy-search", greedy_search),
        ("decoding.beam-search", beam_search),
        ("decoding.beam-search", beam_search_torch),
    ],
)
def test_exercise_checks_pass_on_our_implementation(exercise: str, impl: Callable) -> None:
    """The checks that grade a learner's solution are run on ours (issue 9)."""
    from concepts.exercises._harness import run_checks
    from concepts.exercises.decoding import CHECKS

    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed
