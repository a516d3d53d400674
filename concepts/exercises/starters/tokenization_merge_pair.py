"""Exercise tokenization.merge-pair: one BPE merge step on a list of token ids.

Check your solution with ``python -m quiz check tokenization.merge-pair <this file>``.
"""

from __future__ import annotations


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of the adjacent ``pair`` in ``ids`` by ``new_id``.

    Specification:

    - Scan from left to right. Where ``ids[i], ids[i + 1] == pair``, write ``new_id`` and
      continue at ``i + 2``; otherwise copy ``ids[i]`` and continue at ``i + 1``.
    - Occurrences do not overlap: ``[7, 7, 7]`` with the pair ``(7, 7)`` becomes
      ``[new_id, 7]``, the way BPE training and encoding both rewrite text.
    - Return a new list; do not modify ``ids``. An empty list gives an empty list.

    >>> merge_pair([1, 1, 1, 2, 1, 1], (1, 1), 9)
    [9, 1, 2, 9]
    """
    raise NotImplementedError("write this function")
