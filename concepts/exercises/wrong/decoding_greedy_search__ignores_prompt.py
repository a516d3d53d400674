"""Conditions the model on the generated tokens only, forgetting the prompt."""

import numpy as np

from concepts.decoding import apply_repetition_penalty, block_repeated_ngrams

EXPECTED_FAILURE = "check_greedy_against_loop"


def greedy_search(next_log_probs, prompt=(), *, max_len, eos=0, no_repeat_ngram_size=0, repetition_penalty=1.0):
    tokens, score = [], 0.0
    for _ in range(max_len):
        row = np.asarray(next_log_probs(tokens), dtype=np.float64)
        if repetition_penalty != 1.0 and tokens:
            row = apply_repetition_penalty(row, tokens, repetition_penalty)
        if no_repeat_ngram_size:
            row = block_repeated_ngrams(row, tokens, no_repeat_ngram_size)
        token = int(np.argmax(row))
        tokens.append(token)
        score += float(row[token])
        if token == eos:
            break
    return tokens, score
