"""Keeps generating after EOS until max_len, instead of stopping right after the first EOS."""

import numpy as np

from concepts.decoding import apply_repetition_penalty, block_repeated_ngrams

EXPECTED_FAILURE = "check_greedy_stops"


def greedy_search(next_log_probs, prompt=(), *, max_len, eos=0, no_repeat_ngram_size=0, repetition_penalty=1.0):
    prompt, tokens, score = [int(t) for t in prompt], [], 0.0
    for _ in range(max_len):
        seen = prompt + tokens
        row = np.asarray(next_log_probs(seen), dtype=np.float64)
        if repetition_penalty != 1.0 and seen:
            row = apply_repetition_penalty(row, seen, repetition_penalty)
        if no_repeat_ngram_size:
            row = block_repeated_ngrams(row, seen, no_repeat_ngram_size)
        token = int(np.argmax(row))
        tokens.append(token)
        score += float(row[token])
    return tokens, score
