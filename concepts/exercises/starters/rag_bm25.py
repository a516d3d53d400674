"""Exercise rag.bm25: Okapi BM25 scores of every document for a query, as rank_bm25 computes them.

Run ``python -m quiz check rag.bm25 rag_bm25.py`` to grade it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def bm25_scores(
    query: Sequence[str], corpus: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25
) -> np.ndarray:
    """The BM25 score of each document of ``corpus`` (lists of tokens) for the tokens of ``query``.

    Specification (``rank_bm25.BM25Okapi``'s conventions; do not import it):

    - ``N`` documents; ``n(t)`` = number of documents containing term ``t``;
      ``idf(t) = ln((N - n + 0.5) / (n + 0.5))`` (no ``+ 1`` inside the log).
    - A term in more than half the documents has ``idf < 0``: replace each negative IDF by
      ``epsilon * mean_idf``, where ``mean_idf`` is the mean over all corpus terms of the
      IDFs before any replacement.
    - With ``f`` the count of ``t`` in document ``d``, ``|d|`` its length and ``avgdl`` the
      mean length: ``score(d) = sum over query tokens t of
      idf(t) * f * (k1 + 1) / (f + k1 * (1 - b + b * |d| / avgdl))``. A query token that
      repeats counts each time; a token no document has adds 0.
    - Return a float64 array of shape ``(N,)``.

    >>> docs = [["cat", "sat"], ["dog", "sat", "down"], ["dog", "ran"]]
    >>> [round(float(s), 4) for s in bm25_scores(["cat", "sat"], docs)]
    [0.5732, 0.0226, 0.0]
    """
    raise NotImplementedError("write this function")
