"""Ranks finished hypotheses by their raw summed log-probability, ignoring alpha (no length normalisation)."""

import math

import numpy as np

from concepts.decoding import apply_repetition_penalty, block_repeated_ngrams

EXPECTED_FAILURE = "check_beam_length_normalisation"


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
    for _ in range(max_len):
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
                finished.append((s, [*b, eos]))  # the mistake: no division by length_penalty
            elif y != eos:
                beams.append([*b, y])
                scores.append(s)
        if not beams or (finished and max(f[0] for f in finished) >= max(scores)):
            break
    else:
        finished += list(zip(scores, beams, strict=False))
    score, tokens = max(finished, key=lambda f: f[0])
    return tokens, score
