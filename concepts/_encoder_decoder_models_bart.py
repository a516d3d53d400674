"""BART's noising objectives: text infilling and sentence permutation (a private helper).

Follows Lewis et al. (2020), "BART": Poisson(3) span lengths, each span replaced by one
``<mask>``, 30% of tokens, and sentence permutation. The public names are re-exported by
:mod:`concepts.encoder_decoder_models`, which is where the page and the API documentation
find them; this file exists only to keep each module short.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from concepts._checks import require_nonnegative_int, require_positive, require_rng

__all__ = ["bart_sentence_permutation", "bart_span_lengths", "bart_text_infilling"]


def bart_span_lengths(
    num_to_mask: int, *, poisson_lambda: float = 3.0, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Span lengths for BART's infilling, in the order drawn: Poisson draws until they cover ``num_to_mask``.

    Every draw is Poisson(``poisson_lambda``) except the last, which is cut so the lengths
    sum to ``num_to_mask`` exactly; zeros are kept (they become inserted masks).

    >>> from concepts.encoder_decoder_models import bart_span_lengths
    >>> lengths = bart_span_lengths(6, rng=0)
    >>> lengths.tolist(), int(lengths.sum())
    ([2, 0, 4], 6)
    """
    budget = require_nonnegative_int(num_to_mask, "num_to_mask")
    lam = require_positive(poisson_lambda, "poisson_lambda")
    gen = require_rng(rng)
    lengths: list[int] = []
    while sum(lengths) < budget:
        lengths.append(min(int(gen.poisson(lam)), budget - sum(lengths)))
    return np.array(lengths, dtype=np.int64)


def bart_text_infilling(
    tokens: Sequence[Any],
    *,
    mask_ratio: float = 0.3,
    poisson_lambda: float = 3.0,
    mask_token: Any = "<mask>",
    rng: np.random.Generator | int | None = None,
) -> tuple[list[Any], list[tuple[int, int]]]:
    """BART's text infilling: spans with Poisson(``poisson_lambda``) lengths, each replaced by one mask.

    Lengths are drawn until they cover ``ceil(length * mask_ratio)`` tokens, the last one cut
    to fit (as fairseq does); a zero-length span inserts a mask. Each span goes into one of
    the gaps between the kept tokens, chosen uniformly, so spans never overlap (fairseq
    starts them at random tokens and lets them overlap; the masked fraction is then a little
    lower than the ratio).

    :returns: ``(noised, spans)``: the noised tokens, and ``(start, length)`` of every span in
        the original, in order.

    >>> from concepts.encoder_decoder_models import bart_text_infilling
    >>> noised, spans = bart_text_infilling(list("abcdefghijklmnopqrst"), rng=0)
    >>> "".join("_" if t == "<mask>" else t for t in noised), spans  # 6 of 20 masked
    ('abcde_hij_klmn_st', [(5, 2), (10, 0), (14, 4)])
    """
    tokens = list(tokens)
    ratio = float(mask_ratio)
    if not 0 <= ratio <= 1:
        raise ValueError(f"mask_ratio must lie in [0, 1]; got {mask_ratio!r}")
    gen = require_rng(rng)
    budget = math.ceil(len(tokens) * ratio)
    lengths = bart_span_lengths(budget, poisson_lambda=poisson_lambda, rng=gen).tolist()
    kept = len(tokens) - budget
    gaps = np.sort(gen.integers(0, kept + 1, size=len(lengths)), kind="stable")  # gap g sits before kept token g
    noised: list[Any] = []
    spans: list[tuple[int, int]] = []
    pos = emitted = 0  # pos walks the original; emitted counts kept tokens written so far
    for gap, n in zip(gaps.tolist(), lengths, strict=True):
        while emitted < gap:
            noised.append(tokens[pos])
            pos, emitted = pos + 1, emitted + 1
        spans.append((pos, n))
        noised.append(mask_token)
        pos += n
    noised.extend(tokens[pos:])  # the kept tokens after the last span
    return noised, spans


def bart_sentence_permutation(
    tokens: Sequence[Any], *, sentence_end: Any = ".", rng: np.random.Generator | int | None = None
) -> list[Any]:
    """BART's sentence permutation: split after every ``sentence_end`` token and shuffle the sentences.

    Trailing tokens with no end token form a last sentence.

    >>> from concepts.encoder_decoder_models import bart_sentence_permutation
    >>> " ".join(bart_sentence_permutation("A b . C . D e f .".split(), rng=0))
    'D e f . A b . C .'
    """
    sentences: list[list[Any]] = [[]]
    for token in tokens:
        sentences[-1].append(token)
        if token == sentence_end:
            sentences.append([])
    sentences = [s for s in sentences if s]
    order = require_rng(rng).permutation(len(sentences))
    return [token for i in order for token in sentences[i]]
