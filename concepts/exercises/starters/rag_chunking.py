"""Exercise rag.chunking: split a token list into overlapping windows, as a RAG indexer does.

Run ``python -m quiz check rag.chunking rag_chunking.py`` to grade it.
"""

from __future__ import annotations

from collections.abc import Sequence


def chunk_tokens(tokens: Sequence[str], size: int, overlap: int) -> list[list[str]]:
    """Windows of ``size`` tokens, each starting ``size - overlap`` tokens after the previous one.

    Specification:

    - ``size >= 1`` and ``0 <= overlap < size``; raise ``ValueError`` when ``overlap >= size``
      (the window would never move forward).
    - The stride is ``size - overlap``: windows start at 0, stride, 2 * stride, ... Stop after
      the first window that reaches the end of ``tokens``; that last window may be shorter.
    - Tokens that fit in one window give one chunk; no tokens give no chunks (``[]``).
    - Return a list of lists of tokens, in order.

    >>> chunk_tokens(list("abcdefg"), size=4, overlap=1)  # stride 3: windows at 0 and 3
    [['a', 'b', 'c', 'd'], ['d', 'e', 'f', 'g']]
    """
    raise NotImplementedError("write this function")
