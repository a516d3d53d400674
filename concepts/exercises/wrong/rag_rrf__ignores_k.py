"""Sums plain reciprocal ranks 1 / rank, dropping k, so one list's top hit dominates the fusion."""

EXPECTED_FAILURE = "check_rrf_values"


def reciprocal_rank_fusion(rankings, k=60):
    scores = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / rank
    return sorted(scores.items(), key=lambda item: -item[1])
