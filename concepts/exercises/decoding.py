"""Checks for the decoding exercises: greedy decoding, and beam search with length normalisation.

The trusted references are written here by plain loops, independently of
``concepts.decoding``'s search code: the repetition controls token by token, greedy
decoding as an argmax loop, and exhaustive enumeration of every output up to ``max_len``
tokens (each ending in EOS, or cut off), plus values worked by hand. The models are the
package's tiny table and n-gram models. ``tests/concepts/test_decoding.py`` runs the same
checks on ``concepts.decoding``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts.decoding import table_lm, tiny_lm
from concepts.exercises._harness import CheckFailed, check, expect

__all__ = ["CHECKS", "exhaustive_search", "reference_scores"]

# EOS = 0, A = 1, B = 2. First token: EOS .1, A .5, B .4; after A: .4, .3, .3; after B: .9, .05, .05
WORKED = {(): [0.1, 0.5, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]}
# stopping at once (0.5) beats A A EOS (0.405) on raw log-probability, not per token
SHORT_LONG = {(): [0.5, 0.5, 0.0], (1,): [0.1, 0.9, 0.0], (1, 1): [0.9, 0.1, 0.0]}
# two hypotheses finish (0.3 and 0.18) while the live A A (0.45) goes on to 0.405
EARLY = {(): [0.3, 0.5, 0.2], (1,): [0.1, 0.9, 0.0], (2,): [0.9, 0.1, 0.0], (1, 1): [0.9, 0.1, 0.0]}


def reference_scores(lm, prefix: list[int], penalty: float = 1.0, ngram: int = 0) -> list[float]:
    """The model's next-token log-probabilities after both repetition controls, by plain loops."""
    row = [float(x) for x in lm(prefix)]
    for token in set(prefix):
        row[token] = row[token] / penalty if row[token] > 0 else row[token] * penalty
    if ngram:
        seen = {tuple(prefix[i : i + ngram]) for i in range(len(prefix) - ngram + 1)}
        tail = tuple(prefix[len(prefix) - ngram + 1 :]) if ngram > 1 else ()
        row = [-math.inf if (*tail, y) in seen else x for y, x in enumerate(row)]
    return row


def _lp(length: int, alpha: float, form: str) -> float:
    return length**alpha if form == "simple" else ((5 + length) / 6) ** alpha


def exhaustive_search(lm, prompt=(), *, vocab, max_len, alpha=0.0, form="simple", penalty=1.0, ngram=0):
    """The best output by summed log-probability / lp over every sequence up to max_len tokens."""
    best = (-math.inf, [])

    def visit(seq: list[int], logp: float) -> None:
        nonlocal best
        row = reference_scores(lm, [*prompt, *seq], penalty, ngram)
        n = len(seq) + 1
        for token in range(vocab):
            if token == 0 or n == max_len:  # a finished (EOS) or cut-off sequence
                score = (logp + row[token]) / _lp(n, alpha, form)
                if score > best[0]:
                    best = (score, [*seq, token])
            if token != 0 and n < max_len:
                visit([*seq, token], logp + row[token])

    visit([], 0.0)
    return best[1], best[0]


def _greedy_reference(lm, prompt, max_len, penalty=1.0, ngram=0):
    tokens, score = [], 0.0
    for _ in range(max_len):
        row = reference_scores(lm, [*prompt, *tokens], penalty, ngram)
        token = max(range(len(row)), key=lambda y: row[y])
        tokens.append(token)
        score += row[token]
        if token == 0:
            break
    return tokens, score


def _eos_shifted(lm, bias: float):
    """The model with bias added to EOS's logit, renormalised: a stop right away is then rarely best."""

    def next_log_probs(prefix):
        row = np.array(lm(prefix), dtype=np.float64)
        row[0] += bias
        return row - np.log(np.exp(row).sum())

    return next_log_probs


def _same(got, want: tuple[list[int], float], what: str) -> None:
    expect(
        isinstance(got, tuple | list) and len(got) == 2,
        f"{what}: return (tokens, score), a list of ints and a float; got {got!r}",
    )
    tokens, score = got
    expect(
        [int(t) for t in tokens] == want[0],
        f"{what}: expected tokens {want[0]} (score {want[1]:.6f}), got {list(tokens)} (score {float(score):.6f})",
    )
    expect(
        math.isclose(float(score), want[1], rel_tol=1e-9, abs_tol=1e-9),
        f"{what}: expected score {want[1]:.6f}, got {float(score):.6f}",
    )


# ---------------------------------------------------------------- decoding.greedy


@check("the worked example: greedy takes A (0.5), then EOS (0.4), score log 0.2", section="decoding-greedy")
def check_greedy_hand_worked(candidate: Callable) -> None:
    """Vocabulary EOS = 0, A = 1, B = 2, max_len = 2: greedy returns [1, 0] with log(0.5 * 0.4),
    the EOS token's log-probability included; with max_len = 1 it returns [1] and log 0.5."""
    lm = table_lm(WORKED)
    _same(candidate(lm, max_len=2), ([1, 0], math.log(0.2)), "WORKED table, max_len=2")
    _same(candidate(lm, max_len=1), ([1], math.log(0.5)), "WORKED table, max_len=1")


@check(
    "equals an argmax loop on random bigram and trigram models, with and without a prompt", section="decoding-greedy"
)
def check_greedy_against_loop(candidate: Callable) -> None:
    for seed in range(4):
        for context, prompt in ((1, ()), (2, ()), (2, (3, 4)), (1, (2,))):
            lm = _eos_shifted(tiny_lm(6, context=context, rng=seed), -2.0)
            want = _greedy_reference(lm, list(prompt), 6)
            _same(
                candidate(lm, prompt, max_len=6),
                want,
                f"tiny_lm(6, context={context}, rng={seed}), prompt {list(prompt)}",
            )


@check("stops right after the first EOS, and after max_len tokens when none comes", section="decoding-greedy")
def check_greedy_stops(candidate: Callable) -> None:
    ends = table_lm({(): [0.2, 0.8, 0.0], (1,): [0.6, 0.4, 0.0]})  # A, then EOS wins
    _same(candidate(ends, max_len=5), ([1, 0], math.log(0.8 * 0.6)), "EOS at step 2 of at most 5")
    never = table_lm({(): [0.1, 0.9, 0.0]})  # A forever
    _same(candidate(never, max_len=4), ([1, 1, 1, 1], 4 * math.log(0.9)), "no EOS within max_len=4")


@check("applies the repetition penalty and n-gram blocking as the reference loops do", section="decoding-repetition")
def check_greedy_repetition_controls(candidate: Callable) -> None:
    for seed in range(3):
        lm = tiny_lm(6, context=1, rng=seed, sharpness=3.0)
        for penalty, ngram in ((1.5, 0), (1.0, 2), (1.3, 3)):
            want = _greedy_reference(lm, [1, 2], 10, penalty, ngram)
            got = candidate(lm, [1, 2], max_len=10, repetition_penalty=penalty, no_repeat_ngram_size=ngram)
            _same(got, want, f"tiny_lm(6, rng={seed}, sharpness=3), prompt [1, 2], penalty {penalty}, n-gram {ngram}")


# ---------------------------------------------------------------- decoding.beam-search


@check("the worked example: a beam of 2 finds B EOS (0.36) where greedy finds 0.2", section="decoding-beam")
def check_beam_hand_worked(candidate: Callable) -> None:
    """Step 1 keeps A (0.5) and B (0.4); step 2 ranks B EOS 0.36, A EOS 0.2, A A = A B = 0.15:
    B EOS wins with log 0.36. With alpha = 1 its score is log(0.36) / 2 (two tokens, EOS counted)."""
    lm = table_lm(WORKED)
    _same(candidate(lm, beam_width=2, max_len=2), ([2, 0], math.log(0.36)), "WORKED table, k=2")
    _same(candidate(lm, beam_width=2, max_len=2, alpha=1.0), ([2, 0], math.log(0.36) / 2), "WORKED table, k=2, alpha=1")


@check("a beam as wide as all sequences equals exhaustive search (both length penalties)", section="decoding-exactness")
def check_beam_full_width_is_exhaustive(candidate: Callable) -> None:
    # (vocab, context, max_len, alpha, form, penalty, ngram, prompt, EOS bias)
    cases = [
        (3, 1, 2, 0.0, "simple", 1.0, 0, (), 0.0),
        (4, 1, 4, 0.0, "simple", 1.0, 0, (), -3.0),
        (4, 2, 4, 1.0, "simple", 1.0, 0, (), 0.0),
        (4, 2, 4, 0.6, "gnmt", 1.0, 0, (), -1.0),
        (4, 1, 4, 0.0, "simple", 1.3, 0, (2,), -3.0),
        (4, 1, 4, 1.0, "simple", 1.0, 2, (1, 3), 0.0),
    ]
    for seed in range(2):
        for vocab, context, max_len, alpha, form, penalty, ngram, prompt, bias in cases:
            lm = _eos_shifted(tiny_lm(vocab, context=context, rng=seed), bias)
            kw = dict(alpha=alpha, form=form, repetition_penalty=penalty, no_repeat_ngram_size=ngram)
            want = exhaustive_search(
                lm, prompt, vocab=vocab, max_len=max_len, alpha=alpha, form=form, penalty=penalty, ngram=ngram
            )
            got = candidate(lm, prompt, beam_width=vocab**max_len, max_len=max_len, **kw)
            _same(
                got,
                want,
                f"tiny_lm({vocab}, context={context}, rng={seed}) shifted by {bias}, prompt {list(prompt)}, {kw}",
            )


@check("a beam of one without length normalisation is greedy decoding", section="decoding-exactness")
def check_beam_width_one_is_greedy(candidate: Callable) -> None:
    for seed in range(4):
        lm = _eos_shifted(tiny_lm(5, context=2, rng=seed), -1.0)
        _same(
            candidate(lm, beam_width=1, max_len=6),
            _greedy_reference(lm, [], 6),
            f"tiny_lm(5, context=2, rng={seed}), k=1",
        )


@check(
    "length normalisation changes the winner: alpha = 1 prefers A A EOS to an empty output", section="decoding-length"
)
def check_beam_length_normalisation(candidate: Callable) -> None:
    """Stopping at once has log 0.5 = -0.693; A A EOS has log 0.405 = -0.904, or -0.301 per token.
    Raw scores pick [0]; alpha = 1 picks [1, 1, 0]; GNMT's form divides by (5 + 3) / 6."""
    lm = table_lm(SHORT_LONG)
    _same(candidate(lm, beam_width=3, max_len=3), ([0], math.log(0.5)), "SHORT_LONG table, alpha=0")
    _same(candidate(lm, beam_width=3, max_len=3, alpha=1.0), ([1, 1, 0], math.log(0.405) / 3), "alpha=1")
    _same(
        candidate(lm, beam_width=3, max_len=3, alpha=1.0, form="gnmt"),
        ([1, 1, 0], math.log(0.405) * 6 / 8),
        "alpha=1, gnmt",
    )


@check(
    "early_stopping=True stops after k finished hypotheses; the default keeps the search exact",
    section="decoding-stopping",
)
def check_beam_early_stopping(candidate: Callable) -> None:
    """k = 2, alpha = 0: EOS (0.3) finishes at step 1 and B EOS (0.18) at step 2, so early stopping
    returns [0] with log 0.3; exact stopping goes on to A A EOS, 0.5 * 0.9 * 0.9 = 0.405."""
    lm = table_lm(EARLY)
    try:
        _same(
            candidate(lm, beam_width=2, max_len=4, early_stopping=True),
            ([0], math.log(0.3)),
            "EARLY table, early_stopping=True",
        )
    except CheckFailed as exc:
        raise CheckFailed(f"{exc} (stop as soon as beam_width hypotheses have finished)") from None
    _same(candidate(lm, beam_width=2, max_len=4), ([1, 1, 0], math.log(0.405)), "EARLY table, early_stopping=False")


CHECKS: dict[str, list] = {
    "decoding.greedy-search": [
        check_greedy_hand_worked,
        check_greedy_against_loop,
        check_greedy_stops,
        check_greedy_repetition_controls,
    ],
    "decoding.beam-search": [
        check_beam_hand_worked,
        check_beam_full_width_is_exhaustive,
        check_beam_width_one_is_greedy,
        check_beam_length_normalisation,
        check_beam_early_stopping,
    ],
}
