"""Saturates term frequency with k1 but never divides by the document length (b ignored, as if b = 0)."""

import math
from collections import Counter

import numpy as np

EXPECTED_FAILURE = "check_bm25_length_normalisation"


def bm25_scores(query, corpus, *, k1=1.5, b=0.75, epsilon=0.25):
    n_docs = len(corpus)
    df = Counter(t for doc in corpus for t in dict.fromkeys(doc))
    raw = {t: math.log((n_docs - n + 0.5) / (n + 0.5)) for t, n in df.items()}
    floor = epsilon * sum(raw.values()) / len(raw)
    idf = {t: floor if v < 0 else v for t, v in raw.items()}
    scores = np.zeros(n_docs)
    for t in query:
        f = np.array([Counter(d)[t] for d in corpus], dtype=np.float64)
        scores += idf.get(t, 0.0) * f * (k1 + 1) / (f + k1)
    return scores
