"""Counts ranks from 0 (enumerate's default), so the top document scores 1/60 instead of 1/61."""

EXPECTED_FAILURE = "check_rrf_values"


def reciprocal_rank_fusion(rankings, k=60):
    scores = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])
