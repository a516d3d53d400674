"""Exercise rag.rrf: fuse several ranked lists by reciprocal rank fusion.

Run ``python -m quiz check rag.rrf rag_rrf.py`` to grade it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hashable]], k: int = 60) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists of ids (best first) into one ranking with fused scores.

    Specification:

    - Each list gives ranks counted from 1: its first id has rank 1.
    - An id's fused score is the sum, over the lists it appears in, of ``1 / (k + rank)``;
      an id missing from a list gets nothing from that list.
    - Return ``(id, score)`` pairs sorted by score, best first (equal scores may come in any
      order). ``k = 60`` is the value of Cormack, Clarke and Büttcher (2009).

    >>> [(d, round(s, 5)) for d, s in reciprocal_rank_fusion([["a", "b"], ["b"]])]  # b: 1/62 + 1/61
    [('b', 0.03252), ('a', 0.01639)]
    """
    raise NotImplementedError("write this function")
