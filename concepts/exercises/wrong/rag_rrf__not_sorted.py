"""Returns the fused scores in order of first appearance instead of sorting them, best first."""

EXPECTED_FAILURE = "check_rrf_order"


def reciprocal_rank_fusion(rankings, k=60):
    scores = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    return list(scores.items())
