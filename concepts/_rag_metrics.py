"""Retrieval metrics for :mod:`concepts.rag`: recall@k, reciprocal rank and nDCG (a private helper).

nDCG follows scikit-learn's ``ndcg_score`` conventions (linear gain, ``log2`` discount, tied
scores averaged). The public names are re-exported by :mod:`concepts.rag`, which is where the
page and the API documentation find them; this file exists only to keep each module short.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int

__all__ = ["ndcg_score", "recall_at_k", "reciprocal_rank"]


def recall_at_k(ranked: Sequence[Hashable], relevant: set, k: int) -> float:
    """Share of the relevant ids found in the first ``k`` of ``ranked``.

    >>> from concepts.rag import recall_at_k
    >>> recall_at_k(["a", "b", "c"], {"c", "z"}, k=3)
    0.5
    """
    if not relevant:
        raise ValueError("relevant must name at least one id; got an empty set")
    return len(set(ranked[: require_positive_int(k, "k")]) & set(relevant)) / len(relevant)


def reciprocal_rank(ranked: Sequence[Hashable], relevant: set) -> float:
    """``1 / rank`` of the first relevant id (ranks from 1), 0 if none is retrieved; MRR is its mean.

    >>> from concepts.rag import reciprocal_rank
    >>> reciprocal_rank(["a", "b", "c"], {"c"})
    0.3333333333333333
    """
    return next((1.0 / rank for rank, doc in enumerate(ranked, start=1) if doc in relevant), 0.0)


def _dcg(gains: np.ndarray, scores: np.ndarray, k: int | None) -> np.ndarray:
    """DCG per row, ties in ``scores`` sharing their average gain (scikit-learn's convention)."""
    n = gains.shape[1]
    discount = 1.0 / np.log2(np.arange(n) + 2.0)
    if k is not None:
        discount[k:] = 0.0
    cumulative = np.cumsum(discount)
    out = np.empty(len(gains))
    for i, (g, s) in enumerate(zip(gains, scores, strict=True)):
        levels, inverse, counts = np.unique(-s, return_inverse=True, return_counts=True)
        mean_gain = np.bincount(inverse, weights=g, minlength=len(levels)) / counts
        ends = cumulative[np.cumsum(counts) - 1]
        out[i] = mean_gain @ np.diff(ends, prepend=0.0)  # each tie group's share of the discounts
    return out


def ndcg_score(y_true: ArrayLike, y_score: ArrayLike, *, k: int | None = None) -> float:
    """Mean nDCG over queries, as ``sklearn.metrics.ndcg_score``: gain = relevance, discount 1/log2(rank + 1).

    ``y_true`` holds graded relevances >= 0 and ``y_score`` the retriever's scores, both
    shape ``(n_queries, n_docs)`` with ``n_docs >= 2``. A query with no relevant document
    scores 0.

    >>> from concepts.rag import ndcg_score
    >>> round(ndcg_score([[3, 2, 0, 1]], [[0.9, 0.1, 0.8, 0.3]]), 4)  # gains in ranked order 3, 0, 1, 2
    0.9159
    """
    y_true = as_array(y_true, "y_true")
    y_score = as_array(y_score, "y_score")
    if y_true.ndim != 2 or y_true.shape != y_score.shape or y_true.shape[1] < 2:
        raise ValueError(
            f"y_true and y_score must share shape (n_queries, n_docs >= 2); got {y_true.shape}, {y_score.shape}"
        )
    if (y_true < 0).any():
        raise ValueError("y_true must hold relevances >= 0; got a negative value")
    if k is not None:
        k = require_positive_int(k, "k")
    ideal = _dcg(y_true, y_true, k)
    gained = _dcg(y_true, y_score, k)
    return float(np.mean(np.where(ideal > 0, gained / np.where(ideal > 0, ideal, 1.0), 0.0)))
