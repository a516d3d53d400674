"""Keeps the negative IDF of terms in more than half the documents instead of flooring it at epsilon x mean IDF."""

import math
from collections import Counter

import numpy as np

EXPECTED_FAILURE = "check_bm25_idf_floor"


def bm25_scores(query, corpus, *, k1=1.5, b=0.75, epsilon=0.25):
    n_docs = len(corpus)
    df = Counter(t for doc in corpus for t in set(doc))
    idf = {t: math.log((n_docs - n + 0.5) / (n + 0.5)) for t, n in df.items()}
    lengths = np.array([len(d) for d in corpus], dtype=np.float64)
    norm = k1 * (1 - b + b * lengths / lengths.mean())
    scores = np.zeros(n_docs)
    for t in query:
        f = np.array([Counter(d)[t] for d in corpus], dtype=np.float64)
        scores += idf.get(t, 0.0) * f * (k1 + 1) / (f + norm)
    return scores
