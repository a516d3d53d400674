"""The incremental BPE trainer behind :func:`concepts.tokenization.train_bpe`.

Kept apart so that ``tokenization`` stays readable: the counts live on unique chunks, a
merge rewrites only the chunks indexed under its pair and changes only the counts around
each occurrence, and a max-heap with lazy deletion gets one push per changed pair per merge.
"""

from __future__ import annotations

import gc
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise

__all__ = ["TIE_BREAKS", "learn_merges"]


TIE_BREAKS = ("smallest-pair", "first-occurrence")


def _count_pairs(words: list[list[int]], freqs: list[int]) -> tuple[dict, dict[tuple[int, int], set[int]]]:
    """Count adjacent pairs over all words, weighted by frequency; index pair -> words."""
    counts: dict[tuple[int, int], int] = {}
    where: dict[tuple[int, int], set[int]] = {}
    for w, (word, freq) in enumerate(zip(words, freqs, strict=True)):
        for pair in pairwise(word):
            counts[pair] = counts.get(pair, 0) + freq
            chunks = where.get(pair)
            if chunks is None:
                where[pair] = {w}
            else:
                chunks.add(w)
    return counts, where


def _merge_counting(
    word: list[int], pair: tuple[int, int], new_id: int, freq: int, delta: dict, where: dict, w: int
) -> list[int]:
    """``merge_pair`` that also records what the merge does to the counts of neighbouring pairs.

    At each occurrence ``x a b y`` becomes ``x n y``: ``(x, a)`` and ``(b, y)`` lose ``freq``,
    ``(x, n)`` and ``(n, y)`` gain it, and chunk ``w`` is indexed under the new pairs. ``x`` is
    read from the output, so back-to-back occurrences (``a b a b``) give ``(n, n)``. The
    merged pair itself is dropped by the caller. Chunks are not removed from ``where`` here:
    an entry may go stale, and the merge of a stale chunk finds nothing and changes nothing.
    """
    a, b = pair
    out: list[int] = []
    start, i, n = 0, 0, len(word)
    while True:
        try:
            i = word.index(a, i)  # jump to the next a (a C-level scan)
        except ValueError:
            break
        if i + 1 == n:
            break
        if word[i + 1] != b:
            i += 1
            continue
        out += word[start:i]  # the untouched tokens before this occurrence
        if out:
            x = out[-1]
            delta[x, a] -= freq  # (x, a) -> (x, new)
            delta[x, new_id] += freq
            chunks = where.get((x, new_id))
            if chunks is None:
                where[(x, new_id)] = {w}  # chunk w now holds this pair
            else:
                chunks.add(w)
        if i + 2 < n:
            y = word[i + 2]
            delta[b, y] -= freq  # (b, y) -> (new, y)
            delta[new_id, y] += freq
            chunks = where.get((new_id, y))
            if chunks is None:
                where[(new_id, y)] = {w}  # chunk w now holds this pair
            else:
                chunks.add(w)
        out.append(new_id)
        i = start = i + 2
    if not start:
        return word  # a stale entry: the pair is no longer in this chunk
    out += word[start:]
    return out


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the merge loop makes many short-lived tuples and no
    cycles, so collections only cost time (about 8% of training). Reference counting still frees
    everything; the collector's previous state is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def learn_merges(chunks: Counter, num_merges: int, tie_break: str) -> tuple[list, dict[int, bytes]]:
    """The training loop of ``train_bpe`` on counted chunks (keys in order of first appearance).

    Returns the merges ``[((a, b), new_id), ...]`` in rank order and the vocabulary, id to bytes.
    """
    with _gc_paused():
        words = [list(chunk.encode("utf-8")) for chunk in chunks]  # unique chunks as byte ids
        freqs = list(chunks.values())
        counts, where = _count_pairs(words, freqs)  # the only full count
        heap = [(-n, pair) for pair, n in counts.items()]  # max count, then smallest pair
        heapq.heapify(heap)
        vocab = {i: bytes([i]) for i in range(256)}
        ids = {b: i for i, b in vocab.items()}
        merges: list[tuple[tuple[int, int], int]] = []
        while len(merges) < num_merges and heap:
            neg, pair = heapq.heappop(heap)
            if counts.get(pair) != -neg:
                continue  # stale entry: the count changed after it was pushed
            if tie_break == "first-occurrence":
                pair = _pop_first_occurrence(heap, neg, pair, counts, words, where)
            new_bytes = vocab[pair[0]] + vocab[pair[1]]
            new_id = ids.setdefault(new_bytes, len(vocab))
            vocab[new_id] = new_bytes
            merges.append((pair, new_id))
            delta: defaultdict = defaultdict(int)  # count changes of this merge, over all chunks
            for w in where.pop(pair):  # the chunks that held the pair (a few may have lost it since)
                words[w] = _merge_counting(words[w], pair, new_id, freqs[w], delta, where, w)
            del counts[pair]  # a left-to-right merge leaves no occurrence of the pair behind
            delta.pop(pair, None)
            for p, d in delta.items():
                if d:
                    n = counts.get(p, 0) + d
                    if n > 0:
                        counts[p] = n
                        heapq.heappush(heap, (-n, p))  # one push per changed pair per merge
                    else:
                        del counts[p]
                        where.pop(p, None)
    return merges, vocab


def _first_occurrence(pair: tuple[int, int], words: list[list[int]], where: dict) -> tuple[int, int]:
    """Where ``pair`` first occurs in the text: (first chunk that holds it, index in that chunk)."""
    chunks = where[pair]
    while True:
        w = min(chunks)  # chunks are numbered in order of first appearance
        word = words[w]
        found = [i for i in range(len(word) - 1) if word[i] == pair[0] and word[i + 1] == pair[1]]
        if found:
            return w, found[0]
        chunks.discard(w)  # a stale entry: the chunk lost the pair in an earlier merge


def _pop_first_occurrence(heap: list, neg: int, top: tuple[int, int], counts: dict, words: list, where: dict):
    """Among the pairs tied at count ``-neg`` (``top`` already popped), take the one that
    occurs first in the text and put the others back on the heap."""
    tied = {top}
    while heap and heap[0][0] == neg:
        _, p = heapq.heappop(heap)
        if counts.get(p) == -neg:
            tied.add(p)
    best = min(tied, key=lambda p: _first_occurrence(p, words, where))
    for p in tied - {best}:
        heapq.heappush(heap, (neg, p))
    return best
