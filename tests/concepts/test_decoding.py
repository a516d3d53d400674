"""Greedy and beam search checked against exhaustive search on tiny models, in float64.

The reference enumerates every output up to ``max_len`` tokens (each ending in EOS, or
cut off at ``max_len``), scores it with the same repetition controls written
independently here, and keeps the best. Each ``check_*`` takes the implementation under
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
    table_lm,
    tiny_lm,
)

Search = Callable[..., tuple[list[int], float]]
BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "decoding.json"
SEARCHES = {"numpy": beam_search, "torch": beam_search_torch}
# the worked example: P(first) = EOS .1, A .5, B .4; after A: .4, .3, .3; after B: .9, .05, .05
WORKED = {(): [0.1, 0.5, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]}


# ---------------------------------------------------------------- the reference


def reference_scores(lm, prefix: list[int], penalty: float, ngram: int) -> list[float]:
    """The model's next-token log-probabilities after both repetition controls, by plain loops."""
    row = [float(x) for x in lm(prefix)]
    for token in set(prefix):
        row[token] = row[token] / penalty if row[token] > 0 else row[token] * penalty
    if ngram:
        seen = {tuple(prefix[i : i + ngram]) for i in range(len(prefix) - ngram + 1)}
        tail = tuple(prefix[len(prefix) - ngram + 1 :]) if ngram > 1 else ()
        row = [-math.inf if (*tail, y) in seen else x for y, x in enumerate(row)]
    return row


def sequence_score(lm, prompt, seq, *, alpha=0.0, form="simple", penalty=1.0, ngram=0) -> float:
    """Summed log-probability of seq after prompt under the reference controls, divided by lp."""
    logp = sum(reference_scores(lm, [*prompt, *seq[:i]], penalty, ngram)[seq[i]] for i in range(len(seq)))
    return logp / length_penalty(len(seq), alpha, form=form)


def exhaustive_search(lm, prompt=(), *, vocab: int, max_len: int, alpha=0.0, form="simple", penalty=1.0, ngram=0):
    """Every sequence of non-EOS tokens followed by EOS, of 1 .. max_len tokens, plus every
    sequence of max_len non-EOS tokens (cut off); the best by summed log-probability / lp.
    Depth-first over prefixes, so each prefix is scored once."""
    best = (-math.inf, [])

    def visit(seq: list[int], logp: float) -> None:
        nonlocal best
        row = reference_scores(lm, [*prompt, *seq], penalty, ngram)
        n = len(seq) + 1
        for token in range(vocab):
            if token == 0 or n == max_len:  # a finished (EOS) or cut-off sequence
                score = (logp + row[token]) / length_penalty(n, alpha, form=form)
                if score > best[0]:
                    best = (score, [*seq, token])
            if token != 0 and n < max_len:
                visit([*seq, token], logp + row[token])

    visit([], 0.0)
    return best[1], best[0]


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
    lm = eos_shifted(tiny_lm(vocab, context=context, seed=seed), bias)
    want_tokens, want_score = exhaustive_search(
        lm, prompt, vocab=vocab, max_len=max_len, alpha=alpha, form=form, penalty=penalty, ngram=ngram
    )
    for early_stopping in (False, True):
        tokens, score = search(
            lm,
            prompt,
            beam_width=vocab**max_len,
            max_len=max_len,
            alpha=alpha,
            form=form,
            early_stopping=early_stopping and alpha == 0,  # early stopping is exact only without normalisation
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
        lm = tiny_lm(5, context=2, seed=seed, sharpness=1.0)
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
            lm = tiny_lm(6, context=2, seed=seed, sharpness=1.5)
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
        lm = tiny_lm(6, context=2, seed=seed)
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
    lm = tiny_lm(5, context=2, seed=0)
    exact = search(lm, beam_width=2, max_len=6, alpha=1.0)
    early = search(lm, beam_width=2, max_len=6, alpha=1.0, early_stopping=True)
    assert early[1] < exact[1] and len(early[0]) < len(exact[0])


@pytest.mark.parametrize("impl", SEARCHES)
def test_early_stopping_can_cost_score(impl: str) -> None:
    check_early_stopping(SEARCHES[impl])


def test_model_calls_are_at_most_width_times_length() -> None:
    """Each step runs the model once per live beam and ranks beam_width x vocab candidates."""
    base = tiny_lm(7, context=2, seed=3)
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
        lm = tiny_lm(6, context=1, seed=seed, sharpness=3.0)
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
    lm = tiny_lm(6, context=1, seed=1)
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
    lp = tiny_lm(5, seed=2)([1, 3])
    out = apply_repetition_penalty(lp, [1, 3], 1.2)
    assert (out[[1, 3]] < lp[[1, 3]]).all() and (out[[0, 2, 4]] == lp[[0, 2, 4]]).all()
    assert np.exp(out).sum() < 1


def test_torch_penalty_keeps_dtype() -> None:
    out = apply_repetition_penalty_torch(torch.tensor([[2.0, -1.0]]), torch.tensor([[0]]), 2.0)
    assert out.dtype == torch.float32 and out.tolist() == [[1.0, -1.0]]


# ---------------------------------------------------------------- tiny models


def test_tiny_lm_is_a_fixed_ngram_model() -> None:
    lm = tiny_lm(4, context=2, seed=5)
    rows = np.stack([lm([a, b]) for a in range(4) for b in range(4)])
    np.testing.assert_allclose(np.exp(rows).sum(-1), 1.0)
    np.testing.assert_array_equal(lm([3, 1, 2]), lm([0, 1, 2]))  # only the last two tokens matter
    np.testing.assert_array_equal(lm([1, 2]), tiny_lm(4, context=2, seed=5)([1, 2]))  # seeded
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
    }


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys("decoding", computed_answers(), lambda q, v: 1e-4 * max(1.0, abs(v)))


def test_exhaustive_count_formula() -> None:
    """Outputs of at most T tokens over V tokens with EOS: sum_{n<T} (V-1)^n end in EOS and
    (V-1)^T are cut off; for V = 10, T = 3 that is 1 + 9 + 81 + 729 = 820 sequences."""
    vocab, max_len = 10, 3
    count = sum(1 for n in range(1, max_len + 1) for _ in itertools.product(range(1, vocab), repeat=n - 1))
    count += (vocab - 1) ** max_len
    assert count == 820 == computed_answers()["decoding.exhaustive-count"]
