"""Exercise decoding.greedy-search: greedy decoding of a next-token model, with the two repetition controls.

Run ``python -m quiz check decoding.greedy-search decoding_greedy_search.py`` to grade it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from concepts.decoding import apply_repetition_penalty, block_repeated_ngrams  # noqa: F401  (helpers you may use)


def greedy_search(
    next_log_probs: Callable[[Sequence[int]], np.ndarray],
    prompt: Sequence[int] = (),
    *,
    max_len: int,
    eos: int = 0,
    no_repeat_ngram_size: int = 0,
    repetition_penalty: float = 1.0,
) -> tuple[list[int], float]:
    """Append the most probable next token until EOS or ``max_len`` generated tokens.

    Specification:

    - ``next_log_probs(prefix)`` is the model: given the tokens so far (prompt and generated
      ones, a list of ints), it returns the next token's log-probabilities, shape ``(vocab,)``.
    - At each step take ``argmax`` of the (controlled) scores; stop right after emitting
      ``eos``, or after ``max_len`` generated tokens.
    - Return ``(tokens, score)``: the generated tokens (the prompt excluded, EOS included if
      reached) and the sum of the chosen tokens' scores (a float, EOS's included).
    - Repetition controls, applied to the model's scores before the argmax, in this order,
      with the prompt counting as part of the sequence: ``repetition_penalty != 1`` rescales
      every token already seen, once per distinct token (``apply_repetition_penalty(row,
      seen, penalty)``: divide if positive, multiply if not); ``no_repeat_ngram_size = n > 0``
      sets to ``-inf`` every token that would repeat an n-gram already in the sequence
      (``block_repeated_ngrams(row, seen, n)``). The score sums the controlled values.

    >>> from concepts.decoding import table_lm
    >>> lm = table_lm({(): [0.1, 0.5, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]})
    >>> tokens, score = greedy_search(lm, max_len=2)
    >>> tokens, round(score, 4)  # A (0.5), then EOS (0.4): log 0.2
    ([1, 0], -1.6094)
    """
    raise NotImplementedError("write this function")
