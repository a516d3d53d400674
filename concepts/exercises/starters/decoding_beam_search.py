"""Exercise decoding.beam-search: beam search with length normalisation and both stopping rules.

Run ``python -m quiz check decoding.beam-search decoding_beam_search.py`` to grade it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from concepts.decoding import apply_repetition_penalty, block_repeated_ngrams, length_penalty  # noqa: F401


def beam_search(
    next_log_probs: Callable[[Sequence[int]], np.ndarray],
    prompt: Sequence[int] = (),
    *,
    beam_width: int,
    max_len: int,
    eos: int = 0,
    alpha: float = 0.0,
    form: str = "simple",
    early_stopping: bool = False,
    no_repeat_ngram_size: int = 0,
    repetition_penalty: float = 1.0,
) -> tuple[list[int], float]:
    """Keep the ``beam_width`` best prefixes at every step; return the best finished hypothesis.

    Specification:

    - ``next_log_probs(prefix)`` returns the next token's log-probabilities ``(vocab,)`` for
      a prefix (prompt plus generated tokens). The repetition controls work as in the greedy
      exercise (penalty, then n-gram blocking, prompt included).
    - Each step scores every (live prefix, token) pair by the prefix's summed log-probability
      plus the token's score, ranks all of them, and walks down the best ``2 * beam_width``:
      a candidate ending in ``eos`` that ranks among the top ``beam_width`` *finishes* (it is
      set aside with score ``sum log p / length_penalty(length, alpha, form=form)``, where
      ``length`` counts the generated tokens including EOS); other non-EOS candidates join
      the next beam until it holds ``beam_width``; candidates scored ``-inf`` are dropped.
      Live prefixes are ranked by their raw sums (never normalised).
    - Prefixes still live after ``max_len`` steps finish without EOS, normalised at ``max_len``.
    - Stopping: with ``early_stopping=True`` stop as soon as ``beam_width`` hypotheses have
      finished. Otherwise stop only when no live prefix can beat the best finished score:
      its log-probability ``s`` can only fall, so it can reach at best
      ``max(s / lp(t + 1), s / lp(max_len))`` (``lp`` is monotonic in the length).
    - Return ``(tokens, score)`` of the best finished hypothesis (the first found at a tie).

    >>> from concepts.decoding import table_lm
    >>> lm = table_lm({(): [0.1, 0.5, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]})
    >>> tokens, score = beam_search(lm, beam_width=2, max_len=2)
    >>> tokens, round(score, 4)  # B (0.4), then EOS (0.9): log 0.36 beats greedy's log 0.2
    ([2, 0], -1.0217)
    """
    raise NotImplementedError("write this function")
