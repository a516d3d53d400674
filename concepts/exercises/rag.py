"""Checks for the RAG exercises: chunking with overlap, reciprocal rank fusion, and BM25 scoring.

The trusted references are hand-derived values (window counts and boundaries from the
stride ``size - overlap``; fused scores written as fractions ``1/61 + 1/63``), properties
(consecutive chunks share exactly ``overlap`` tokens; ``b = 0`` removes the length effect),
and scores taken from ``rank_bm25.BM25Okapi.get_scores`` (rank-bm25 0.2.2) written out below.
When ``rank_bm25`` is installed, one check also compares with it on random corpora.
``tests/concepts/test_rag.py`` runs the same checks on ``concepts.rag``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


# ---------------------------------------------------------------- chunking


def _windows(n: int, size: int, overlap: int) -> list[list[int]]:
    """The expected windows over tokens 0..n-1, written from the count formula, not by sliding."""
    stride = size - overlap
    count = 1 + math.ceil(max(n - size, 0) / stride) if n else 0
    return [list(range(i * stride, min(i * stride + size, n))) for i in range(count)]


@check("windows start every size - overlap tokens and the last one reaches the end", section="rag-chunking")
def check_chunk_windows(candidate: Callable) -> None:
    for n, size, overlap in [(1, 3, 1), (4, 4, 2), (5, 4, 2), (10, 4, 2), (10, 4, 0), (11, 5, 3), (50, 8, 7)]:
        tokens = [f"t{i}" for i in range(n)]
        want = [[f"t{i}" for i in w] for w in _windows(n, size, overlap)]
        got = [list(c) for c in candidate(tokens, size, overlap)]
        expect(
            got == want,
            f"chunk_tokens(t0..t{n - 1}, size={size}, overlap={overlap}):\n  expected {want}\n  got      {got}",
        )


@check("consecutive chunks share exactly `overlap` tokens", section="rag-chunking")
def check_chunk_overlap(candidate: Callable) -> None:
    tokens = [f"w{i}" for i in range(23)]
    for size, overlap in [(6, 2), (5, 1), (7, 3)]:
        chunks = [list(c) for c in candidate(tokens, size, overlap)]
        for a, b in itertools.pairwise(chunks):
            shared = len(set(a) & set(b))
            expect(shared == overlap, f"size={size}, overlap={overlap}: chunks {a} and {b} share {shared} tokens")


@check("short and empty inputs: one chunk, no chunks; overlap >= size raises ValueError", section="rag-chunking")
def check_chunk_edges(candidate: Callable) -> None:
    got = [list(c) for c in candidate(["a", "b"], 5, 2)]
    expect(got == [["a", "b"]], f"a text shorter than a chunk is one chunk: expected [['a', 'b']], got {got}")
    got = [list(c) for c in candidate([], 5, 2)]
    expect(got == [], f"no tokens give no chunks: expected [], got {got}")
    for size, overlap in [(4, 4), (3, 5)]:
        try:
            candidate(["a"] * 10, size, overlap)
        except ValueError:
            continue
        expect(False, f"size={size}, overlap={overlap} must raise ValueError (the window would never move)")


# ---------------------------------------------------------------- reciprocal rank fusion


@check("hand-worked fusion: a is 1st and 2nd -> 1/61 + 1/62, ranks counted from 1", section="rag-rrf")
def check_rrf_values(candidate: Callable) -> None:
    rankings = [["a", "b", "c"], ["c", "a"]]
    got = dict(candidate(rankings, 60))
    want = {"a": 1 / 61 + 1 / 62, "b": 1 / 62, "c": 1 / 63 + 1 / 61}
    expect(set(got) == set(want), f"every id that appears gets a score: expected ids {sorted(want)}, got {sorted(got)}")
    compare([got[d] for d in "abc"], [want[d] for d in "abc"], inputs={"rankings": rankings, "k": 60},
            what="the fused scores of a, b, c", rtol=1e-12, atol=0)  # fmt: skip


@check("k is used: with k = 0 the top document of one list scores 1", section="rag-rrf")
def check_rrf_k(candidate: Callable) -> None:
    got = dict(candidate([["x", "y"]], 0))
    compare([got["x"], got["y"]], [1.0, 0.5], inputs={"rankings": [["x", "y"]], "k": 0}, what="scores", rtol=1e-12)
    got = dict(candidate([["x", "y"]], 10))
    compare(
        [got["x"], got["y"]], [1 / 11, 1 / 12], inputs={"rankings": [["x", "y"]], "k": 10}, what="scores", rtol=1e-12
    )


@check("the result is sorted by fused score, best first", section="rag-rrf")
def check_rrf_order(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    rankings = [list(rng.permutation(12)[:8]) for _ in range(3)]
    got = list(candidate(rankings, 60))
    scores = [s for _, s in got]
    expect(scores == sorted(scores, reverse=True), f"scores must fall down the list; got {np.round(scores, 5)}")
    expect(len(got) == len({d for r in rankings for d in r}), "each id appears once in the result")


# ---------------------------------------------------------------- BM25

# Corpora and queries with the scores rank_bm25.BM25Okapi(corpus, k1, b).get_scores(query) gave.
BM25_CASES = [
    # every query term is in one document of three: its IDF ln(2.5 / 1.5) is positive, no floor
    ([["rank", "fusion", "sums", "ranks"], ["bm25", "scores", "terms"],
      ["dense", "vectors", "rank", "chunks", "by", "cosine"]],
     ["terms", "cosine", "fusion"], 1.5, 0.75,
     [0.5291420803950502, 0.5929225990140963, 0.4354579087841232]),
    # 'the' is in 3 of 4 documents: negative IDF floored at 0.25 x mean IDF; 'cat' in 2 of 4: IDF 0
    ([["the", "cat", "sat"], ["the", "dog", "sat", "on", "the", "mat"], ["the", "cat", "ran"], ["a", "bird", "sang"]],
     ["the", "cat", "unicorn"], 1.5, 0.75,
     [0.1396644824814072, 0.15220919647674316, 0.1396644824814072, 0.0]),
    # the same count of 'cat' in a 1-word and a 10-word document: length normalisation
    ([["cat"], ["cat"] + ["filler"] * 9, ["dog", "filler"], ["bird"], ["fish"]], ["cat"], 1.5, 0.75,
     [0.4806746237445899, 0.1641327983518112, 0.0, 0.0, 0.0]),
    ([["cat"], ["cat"] + ["filler"] * 9, ["dog", "filler"], ["bird"], ["fish"]], ["cat", "filler", "cat"], 1.2, 0.5,
     [0.8224876895185208, 0.985567145198917, 0.37011946028333426, 0.0, 0.0]),
]  # fmt: skip


def _bm25_case(candidate: Callable, i: int) -> None:
    corpus, query, k1, b, want = BM25_CASES[i]
    got = candidate(query, corpus, k1=k1, b=b, epsilon=0.25)
    compare(np.asarray(got, dtype=np.float64), want, inputs={"query": query, "corpus": corpus, "k1": k1, "b": b},
            what="the BM25 scores", rtol=1e-10, atol=1e-12)  # fmt: skip


@check("scores equal rank_bm25's BM25Okapi when every IDF is positive", section="rag-bm25")
def check_bm25_values(candidate: Callable) -> None:
    _bm25_case(candidate, 0)


@check("a term in more than half of the documents gets epsilon x the mean IDF", section="rag-bm25")
def check_bm25_idf_floor(candidate: Callable) -> None:
    _bm25_case(candidate, 1)


@check("longer documents are penalised (b = 0.75); b = 0 removes the length effect", section="rag-bm25")
def check_bm25_length_normalisation(candidate: Callable) -> None:
    _bm25_case(candidate, 2)
    _bm25_case(candidate, 3)
    corpus = [["cat"], ["cat"] + ["filler"] * 9, ["dog"]]
    got = np.asarray(candidate(["cat"], corpus, k1=1.5, b=0.0, epsilon=0.25), dtype=np.float64)
    compare(got[1], got[0], inputs={"query": ["cat"], "corpus": corpus, "b": 0.0},
            what="the score of the long document (b = 0 must ignore length)", rtol=1e-12)  # fmt: skip


@check("equals rank_bm25 on random corpora (skipped when rank_bm25 is not installed)", section="rag-bm25")
def check_bm25_random(candidate: Callable) -> None:
    try:
        from rank_bm25 import BM25Okapi
    except ModuleNotFoundError:
        return
    rng = np.random.default_rng(1)
    vocab = [f"w{i}" for i in range(15)]
    for n_docs in (3, 8, 20):
        p = np.linspace(3, 1, 15) / 30  # a few common words, so some IDFs are negative
        corpus = [[str(w) for w in rng.choice(vocab, size=rng.integers(1, 12), p=p)] for _ in range(n_docs)]
        query = [str(w) for w in rng.choice(vocab, size=4)]
        want = BM25Okapi(corpus).get_scores(query)
        compare(np.asarray(candidate(query, corpus, k1=1.5, b=0.75, epsilon=0.25), dtype=np.float64), want,
                inputs={"query": query, "n_docs": n_docs}, what="the BM25 scores", rtol=1e-10, atol=1e-12)  # fmt: skip


CHECKS: dict[str, list] = {
    "rag.chunking": [check_chunk_windows, check_chunk_overlap, check_chunk_edges],
    "rag.rrf": [check_rrf_values, check_rrf_k, check_rrf_order],
    "rag.bm25": [check_bm25_values, check_bm25_idf_floor, check_bm25_length_normalisation, check_bm25_random],
}
