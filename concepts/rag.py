"""Retrieval-augmented generation: chunk, retrieve (BM25, dense, hybrid), re-rank, evaluate, cite.

Follows Robertson and Zaragoza, *The Probabilistic Relevance Framework: BM25 and Beyond*
(2009) with ``rank_bm25``'s ``BM25Okapi`` conventions (IDF ``ln((N - n + 0.5) / (n + 0.5))``,
negative IDFs floored at ``epsilon`` times the mean IDF); latent semantic analysis (Deerwester
et al., 1990: TF-IDF with scikit-learn's smoothed IDF, then a truncated SVD) for dense vectors
the package computes offline; reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009);
maximal marginal relevance (Carbonell and Goldstein, 1998) for re-ranking; and nDCG with
scikit-learn's ``ndcg_score`` conventions (linear gain, ``log2`` discount, tied scores
averaged). The corpus is this site's own concept pages, split at their H2/H3 headings.
Leaves out neural embedders and cross-encoders (they need downloaded weights), approximate
nearest-neighbour indexes and the generator itself: the output is the prompt. The corpus
loaders live in :mod:`concepts._rag_corpus` and the metrics (recall@k, reciprocal rank, nDCG)
in :mod:`concepts._rag_metrics`; this module re-exports them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_nonnegative_int, require_positive, require_positive_int
from concepts._rag_corpus import load_chunks, load_questions, parse_sections
from concepts._rag_metrics import ndcg_score, recall_at_k, reciprocal_rank

__all__ = [
    "Chunk",
    "DenseIndex",
    "assemble_prompt",
    "bm25_idf",
    "bm25_scores",
    "chunk_tokens",
    "dense_embed",
    "dense_fit",
    "dense_search",
    "evaluate_retrieval",
    "load_chunks",
    "load_questions",
    "mmr_rerank",
    "ndcg_score",
    "parse_sections",
    "recall_at_k",
    "reciprocal_rank",
    "reciprocal_rank_fusion",
    "tokenize",
]

_WORD = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    """Lower-case runs of letters and digits: the one tokenizer every retriever here shares.

    >>> from concepts.rag import tokenize
    >>> tokenize("Why divide by sqrt(d_k)? RoPE's pairing!")
    ['why', 'divide', 'by', 'sqrt', 'd', 'k', 'rope', 's', 'pairing']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    return _WORD.findall(text.lower())


def chunk_tokens(tokens: Sequence[str], size: int, overlap: int) -> list[list[str]]:
    """Windows of ``size`` tokens, each starting ``size - overlap`` after the previous one.

    The last window is the first one that reaches the end, so it may be shorter; a text of
    at most ``size`` tokens is one chunk, and no tokens give no chunks. With ``n`` tokens
    there are ``1 + ceil(max(n - size, 0) / (size - overlap))`` chunks.

    >>> from concepts.rag import chunk_tokens
    >>> chunk_tokens(list("abcdefghij"), size=4, overlap=2)
    [['a', 'b', 'c', 'd'], ['c', 'd', 'e', 'f'], ['e', 'f', 'g', 'h'], ['g', 'h', 'i', 'j']]
    """
    size = require_positive_int(size, "size")
    overlap = require_nonnegative_int(overlap, "overlap")
    if overlap >= size:
        raise ValueError(f"overlap must be smaller than size ({size}); got {overlap}")
    tokens, stride = list(tokens), size - overlap
    chunks = []
    for start in range(0, len(tokens), stride):
        chunks.append(tokens[start : start + size])
        if start + size >= len(tokens):  # this window reached the end
            break
    return chunks


# ---------------------------------------------------------------- BM25


def bm25_idf(corpus: Sequence[Sequence[str]], *, epsilon: float = 0.25) -> dict[str, float]:
    """BM25Okapi's IDF of every term: ``ln((N - n + 0.5) / (n + 0.5))``, negatives floored.

    ``n`` is the number of documents holding the term. A term in more than half of the
    documents has a negative IDF; ``rank_bm25`` replaces it by ``epsilon`` times the mean
    IDF of all terms (the mean taken before the floor), which this function copies.

    >>> from concepts.rag import bm25_idf
    >>> idf = bm25_idf([["a", "b"], ["a", "c"], ["a", "d"], ["e"]])
    >>> {t: round(v, 4) for t, v in idf.items()}  # ln(1.5/3.5) < 0 for 'a': floored at 0.25 * mean
    {'a': 0.1271, 'b': 0.8473, 'c': 0.8473, 'd': 0.8473, 'e': 0.8473}
    """
    n_docs = len(corpus)
    if n_docs == 0:
        raise ValueError("corpus must hold at least one document; got none")
    doc_freq = Counter(term for doc in corpus for term in dict.fromkeys(doc))  # first-appearance order
    if not doc_freq:
        raise ValueError("corpus must hold at least one token; got only empty documents")
    idf = {t: math.log(n_docs - n + 0.5) - math.log(n + 0.5) for t, n in doc_freq.items()}
    floor = epsilon * sum(idf.values()) / len(idf)
    return {t: (floor if v < 0 else v) for t, v in idf.items()}


def bm25_scores(
    query: Sequence[str], corpus: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25
) -> np.ndarray:
    """Okapi BM25 score of every document for a tokenized query, shape ``(n_docs,)``.

    ``score(d) = sum over query terms t of idf(t) * f (k1 + 1) / (f + k1 (1 - b + b |d| / avgdl))``
    with ``f`` the count of ``t`` in ``d``. A repeated query term counts each time and an
    unknown term adds nothing, as in ``rank_bm25.BM25Okapi.get_scores``.

    >>> from concepts.rag import bm25_scores
    >>> docs = [["cat", "sat"], ["dog", "sat", "down"], ["dog", "ran"]]
    >>> [round(float(s), 4) for s in bm25_scores(["cat", "sat"], docs)]
    [0.5732, 0.0226, 0.0]
    """
    require_positive(k1, "k1")
    if not 0.0 <= b <= 1.0:
        raise ValueError(f"b must be in [0, 1]; got {b!r}")
    idf = bm25_idf(corpus, epsilon=epsilon)
    doc_len = np.array([len(doc) for doc in corpus], dtype=np.float64)
    norm = k1 * (1.0 - b + b * doc_len / doc_len.mean())  # length normalisation
    counts = [Counter(doc) for doc in corpus]
    scores = np.zeros(len(corpus))
    for term in query:
        f = np.array([c[term] for c in counts], dtype=np.float64)
        scores += idf.get(term, 0.0) * f * (k1 + 1.0) / (f + norm)
    return scores


# ---------------------------------------------------------------- dense vectors (LSA)


@dataclass(frozen=True)
class DenseIndex:
    """TF-IDF vocabulary and IDF plus the top right singular vectors, fitted by :func:`dense_fit`."""

    vocabulary: dict[str, int]
    """Term to column of the TF-IDF matrix, in sorted term order."""
    idf: np.ndarray
    """Smoothed IDF ``ln((1 + N) / (1 + n)) + 1`` of each term, shape ``(vocab_size,)``."""
    components: np.ndarray
    """Top right singular vectors of the document TF-IDF matrix as rows, shape ``(k, vocab_size)``."""
    doc_vectors: np.ndarray
    """Unit document vectors, shape ``(n_docs, k)``."""


def _tfidf(docs: Sequence[Sequence[str]], vocabulary: dict[str, int], idf: np.ndarray) -> np.ndarray:
    X = np.zeros((len(docs), len(vocabulary)))
    for i, doc in enumerate(docs):
        for term, count in Counter(doc).items():
            if term in vocabulary:
                X[i, vocabulary[term]] = count
    X *= idf
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1.0, norms)  # an empty row stays zero


def _unit_rows(Z: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    return Z / np.where(norms == 0, 1.0, norms)


def dense_fit(corpus: Sequence[Sequence[str]], n_components: int) -> DenseIndex:
    """Fit latent semantic analysis: L2-normalised TF-IDF rows, then ``numpy.linalg.svd``.

    The TF-IDF matrix ``X`` (shape ``(n_docs, vocab_size)``) equals scikit-learn's
    ``TfidfVectorizer`` defaults (raw counts, smoothed IDF, unit rows). With ``X = U S V^T``
    (not centred, as in LSA) a document's vector is its row of ``U_k S_k = X V_k``, then
    scaled to unit length so that a dot product is a cosine.

    >>> from concepts.rag import dense_fit
    >>> index = dense_fit([["cat", "sat"], ["dog", "sat"], ["cat", "ran"]], n_components=2)
    >>> index.doc_vectors.shape, sorted(index.vocabulary)
    ((3, 2), ['cat', 'dog', 'ran', 'sat'])
    """
    n_components = require_positive_int(n_components, "n_components")
    vocabulary = {t: j for j, t in enumerate(sorted({t for doc in corpus for t in doc}))}
    if not vocabulary:
        raise ValueError("corpus must hold at least one token; got none")
    if n_components > min(len(corpus), len(vocabulary)):
        raise ValueError(
            f"n_components must be at most min(n_docs, vocab_size) = {min(len(corpus), len(vocabulary))}; "
            f"got {n_components}"
        )
    doc_freq = np.zeros(len(vocabulary))
    for doc in corpus:
        doc_freq[[vocabulary[t] for t in set(doc)]] += 1
    idf = np.log((1 + len(corpus)) / (1 + doc_freq)) + 1.0  # scikit-learn's smooth_idf
    X = _tfidf(corpus, vocabulary, idf)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    components = Vt[:n_components]
    return DenseIndex(vocabulary, idf, components, _unit_rows(X @ components.T))


def dense_embed(index: DenseIndex, texts: Sequence[Sequence[str]]) -> np.ndarray:
    """Unit vectors of new tokenized texts in the index's space, shape ``(len(texts), k)``.

    Terms the index never saw are dropped; a text with none of its terms gives a zero vector.
    """
    return _unit_rows(_tfidf(texts, index.vocabulary, index.idf) @ index.components.T)


def dense_search(query_vector: ArrayLike, doc_vectors: ArrayLike, top_k: int | None = None) -> np.ndarray:
    """Indices of the documents by cosine similarity to the query, best first (ties: lower index).

    >>> from concepts.rag import dense_search
    >>> dense_search([1.0, 0.0], [[0.0, 1.0], [0.6, 0.8], [1.0, 0.0]]).tolist()
    [2, 1, 0]
    """
    q = as_array(query_vector, "query_vector")
    D = as_array(doc_vectors, "doc_vectors")
    if q.ndim != 1 or D.ndim != 2 or D.shape[1] != q.shape[0]:
        raise ValueError(f"need query_vector (k,) and doc_vectors (n_docs, k); got {q.shape} and {D.shape}")
    norms = np.linalg.norm(D, axis=1) * np.linalg.norm(q)
    cosine = (D @ q) / np.where(norms == 0, 1.0, norms)
    order = np.argsort(-cosine, kind="stable")
    return order if top_k is None else order[: require_positive_int(top_k, "top_k")]


# ---------------------------------------------------------------- fusion and re-ranking


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hashable]], k: int = 60) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists: ``score(d) = sum over lists of 1 / (k + rank)``, ranks counted from 1.

    Returns ``(id, score)`` pairs, best first; equal scores keep the order of first appearance.

    >>> from concepts.rag import reciprocal_rank_fusion
    >>> [(d, round(s, 5)) for d, s in reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]])]
    [('a', 0.03252), ('c', 0.03227), ('b', 0.01613)]
    """
    k = require_nonnegative_int(k, "k")
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])  # sorted() is stable


def mmr_rerank(
    query_vector: ArrayLike, doc_vectors: ArrayLike, candidates: Sequence[int], top_k: int, *, lambda_: float = 0.7
) -> list[int]:
    """Maximal marginal relevance: pick, one at a time, the candidate that is relevant and new.

    Each step takes ``argmax lambda_ cos(q, d) - (1 - lambda_) max over picked s of cos(d, s)``.
    ``lambda_ = 1`` is plain cosine order; smaller values trade relevance for diversity.

    >>> from concepts.rag import mmr_rerank
    >>> docs = [[1.0, 0.0], [0.995, 0.0998], [0.0, 1.0]]  # 0 and 1 are near-duplicates
    >>> q = [0.8, 0.6]
    >>> mmr_rerank(q, docs, [0, 1, 2], top_k=2, lambda_=1.0), mmr_rerank(q, docs, [0, 1, 2], top_k=2, lambda_=0.5)
    ([1, 0], [1, 2])
    """
    if not 0.0 <= lambda_ <= 1.0:
        raise ValueError(f"lambda_ must be in [0, 1]; got {lambda_!r}")
    D = _unit_rows(as_array(doc_vectors, "doc_vectors"))
    relevance = D @ _unit_rows(as_array(query_vector, "query_vector")[None, :])[0]
    left, picked = list(candidates), []
    while left and len(picked) < require_positive_int(top_k, "top_k"):
        redundancy = [max((float(D[d] @ D[s]) for s in picked), default=0.0) for d in left]
        gains = [lambda_ * relevance[d] - (1.0 - lambda_) * r for d, r in zip(left, redundancy, strict=True)]
        picked.append(left.pop(int(np.argmax(gains))))
    return picked


# ---------------------------------------------------------------- prompt assembly


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a page: its id ``slug#anchor`` (plus ``/i`` when split), and text."""

    id: str
    slug: str
    anchor: str
    title: str
    text: str

    @property
    def section(self) -> str:
        """``slug#anchor``: the section this chunk came from, what a question's answer names."""
        return f"{self.slug}#{self.anchor}"


def assemble_prompt(question: str, chunks: Sequence[Chunk], *, max_tokens: int) -> tuple[str, list[str]]:
    """A grounded prompt: numbered sources ``[1] ... [n]``, then the question, within a token budget.

    Tokens are counted as whitespace-separated words of the whole prompt. Chunks come in
    retrieval order; one that would break the budget is skipped and later, shorter ones
    still get a chance. Returns the prompt and the ids of the chunks it cites, in order.

    >>> from concepts.rag import Chunk, assemble_prompt
    >>> chunks = [Chunk("a#x", "a", "x", "X", "BM25 scores terms."), Chunk("b#y", "b", "y", "Y", "RRF fuses ranks.")]
    >>> prompt, cited = assemble_prompt("What fuses ranks?", chunks, max_tokens=40)
    >>> cited
    ['a#x', 'b#y']
    >>> print(prompt.splitlines()[2])
    [1] (a#x) BM25 scores terms.
    """
    max_tokens = require_positive_int(max_tokens, "max_tokens")
    head = "Answer the question from the numbered sources only, citing them as [1], [2]."
    tail = f"Question: {question}\nAnswer:"
    used = len(head.split()) + len(tail.split())
    if used > max_tokens:
        raise ValueError(f"max_tokens must leave room for the instructions and question ({used}); got {max_tokens}")
    lines, cited = [], []
    for chunk in chunks:
        line = f"[{len(cited) + 1}] ({chunk.id}) {chunk.text}"
        if used + len(line.split()) <= max_tokens:
            lines.append(line)
            cited.append(chunk.id)
            used += len(line.split())
    return "\n".join([head, "", *lines, "", tail]), cited


def evaluate_retrieval(
    chunks: Sequence[Chunk], questions: Sequence[dict[str, str]], *, k: int = 5, n_components: int = 100
) -> dict[str, dict[str, float]]:
    """Recall@k and MRR of BM25, dense, hybrid (RRF) and hybrid + MMR, counted over distinct sections.

    Each retriever ranks every chunk; the ranking is read as sections (a section counts at
    its best chunk) and scored against the one section each question names.
    """
    docs = [tokenize(c.text) for c in chunks]
    index = dense_fit(docs, n_components)
    queries = [tokenize(q["question"]) for q in questions]
    q_vectors = dense_embed(index, queries)
    results: dict[str, list[tuple[float, float]]] = {"BM25": [], "dense": [], "hybrid": [], "hybrid + MMR": []}
    for question, query, q_vec in zip(questions, queries, q_vectors, strict=True):
        bm25 = list(np.argsort(-bm25_scores(query, docs), kind="stable"))
        dense = list(dense_search(q_vec, index.doc_vectors))
        hybrid = [d for d, _ in reciprocal_rank_fusion([bm25, dense])]
        reranked = mmr_rerank(q_vec, index.doc_vectors, hybrid[:20], top_k=20) + hybrid[20:]
        want = {f"{question['slug']}#{question['anchor']}"}
        for name, ranking in zip(results, [bm25, dense, hybrid, reranked], strict=True):
            sections = list(dict.fromkeys(chunks[i].section for i in ranking))
            results[name].append((recall_at_k(sections, want, k), reciprocal_rank(sections, want)))
    return {name: {f"recall@{k}": float(np.mean([r for r, _ in v])), "MRR": float(np.mean([m for _, m in v]))}
            for name, v in results.items()}  # fmt: skip
