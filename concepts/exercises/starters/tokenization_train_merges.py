"""Exercise tokenization.train-merges: learn byte-level BPE merges from pre-split chunks.

Check your solution with ``python -m quiz check tokenization.train-merges <this file>``.
"""

from __future__ import annotations


def train_merges(chunks: list[str], num_merges: int) -> list[tuple[bytes, bytes]]:
    """Learn up to ``num_merges`` BPE merges from ``chunks``, returned as pairs of byte strings.

    Specification:

    - Each chunk (a word with its leading space, say, already split for you) starts as its
      UTF-8 bytes, one token per byte: ``"é"`` is the two tokens ``b"\\xc3"``, ``b"\\xa9"``.
      Identify a token by its bytes, so a merged token is the concatenation of its parts.
    - A merge counts every adjacent pair of tokens inside every chunk (a chunk that occurs
      three times counts three times; pairs never cross from one chunk to the next;
      overlapping pairs count, so ``aaa`` has ``(a, a)`` twice), takes the most frequent
      pair, and rewrites every chunk left to right without overlap (``aaa`` becomes
      ``aa a``).
    - Ties for the top count go to the pair that occurs **first** in the current text
      (earliest chunk, then earliest position in it), as ``max(stats, key=stats.get)`` does
      on a dict filled in text order.
    - Stop early, returning fewer merges, when no chunk has two tokens left.

    >>> train_merges(["aaabdaaabac"], 3)
    [(b'a', b'a'), (b'aa', b'a'), (b'aaa', b'b')]
    """
    raise NotImplementedError("write this function")
