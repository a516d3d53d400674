"""Minimum Bayes risk (MBR) selection: the candidate with the highest expected utility (a private helper).

Follows Kumar and Byrne (2004) and Eikema and Aziz (2020). The public name is re-exported by
:mod:`concepts.decoding`, which is where the page and the API documentation find it; this
file exists only to keep each module short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array

__all__ = ["mbr_decode"]


def mbr_decode(
    candidates: Sequence[Sequence[int]],
    utility: Callable[[Sequence[int], Sequence[int]], float],
    *,
    references: Sequence[Sequence[int]] | None = None,
    weights: ArrayLike | None = None,
) -> tuple[int, np.ndarray]:
    """Minimum Bayes risk: the candidate with the highest expected utility against the references.

    ``expected[i] = sum_j w_j utility(candidates[i], references[j])``, weights normalised to
    sum to 1. By default the candidates, sampled from the model, are their own references
    with equal weights (a Monte Carlo estimate); the model's probabilities as ``weights``
    over a listed support make it exact. With an exact-match utility MBR is MAP decoding.

    :param utility: ``utility(hypothesis, reference)``, higher is better (BLEU, chrF, F1, ...).
    :param weights: non-negative, shape ``(len(references),)``; uniform when None.
    :returns: the chosen index (the first at a tie) and the expected utilities ``(len(candidates),)``.
    :raises ValueError: for no candidates or references, or bad weights.

    >>> from concepts.decoding import mbr_decode
    >>> match = lambda h, r: float(h == r)
    >>> samples = [[1, 0], [2, 0], [2, 0]]  # [2, 0] was drawn twice: MBR with exact match takes the mode
    >>> best, expected = mbr_decode(samples, match)
    >>> best, [round(float(e), 4) for e in expected]
    (1, [0.3333, 0.6667, 0.6667])
    """
    refs = candidates if references is None else references
    if len(candidates) == 0 or len(refs) == 0:
        raise ValueError(f"need at least one candidate and one reference; got {len(candidates)} and {len(refs)}")
    w = np.ones(len(refs)) if weights is None else as_array(weights, "weights")
    if w.shape != (len(refs),) or (w < 0).any() or not w.sum() > 0:
        raise ValueError(f"weights must be {len(refs)} non-negative numbers, not all 0; got shape {w.shape}")
    u = np.array([[float(utility(h, r)) for r in refs] for h in candidates])  # (candidates, references)
    expected = u @ (w / w.sum())  # E_{y ~ p}[u(h, y)] for every candidate h
    return int(np.argmax(expected)), expected
