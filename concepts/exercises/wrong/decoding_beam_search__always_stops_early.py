"""Stops as soon as beam_width hypotheses have finished even when early_stopping=False, which is not exact."""

import math

import numpy as np

from concepts.decoding import apply_repetition_penalty, block_repeated_ngrams, length_penalty

EXPECTED_FAILURE = "check_beam_early_stopping"


def beam_search(
    next_log_probs,
    prompt=(),
    *,
    beam_width,
    max_len,
    eos=0,
    alpha=0.0,
    form="simple",
    early_stopping=False,
    no_repeat_ngram_size=0,
    repetition_penalty=1.0,
):
    prompt = [int(t) for t in prompt]
    beams, scores, finished = [[]], [0.0], []
    for t in range(1, max_len + 1):
        candidates = []
        for b, s in zip(beams, scores, strict=False):
            seen = prompt + b
            row = np.asarray(next_log_probs(seen), dtype=np.float64)
            if repetition_penalty != 1.0 and seen:
                row = apply_repetition_penalty(row, seen, repetition_penalty)
            if no_repeat_ngram_size:
                row = block_repeated_ngrams(row, seen, no_repeat_ngram_size)
            candidates += [(s + float(row[y]), b, y) for y in range(len(row))]
        candidates.sort(key=lambda c: -c[0])
        beams, scores = [], []
        for rank, (s, b, y) in enumerate(candidates[: 2 * beam_width]):
            if s == -math.inf or len(beams) == beam_width:
                break
            if y == eos and rank < beam_width:
                finished.append((s / length_penalty(t, alpha, form=form), [*b, eos]))
            elif y != eos:
                beams.append([*b, y])
                scores.append(s)
        if not beams or len(finished) >= beam_width:  # the mistake: the count, whatever early_stopping says
            break
    else:
        finished += [(s / length_penalty(max_len, alpha, form=form), b) for s, b in zip(scores, beams, strict=False)]
    score, tokens = max(finished, key=lambda f: f[0])
    return tokens, score
