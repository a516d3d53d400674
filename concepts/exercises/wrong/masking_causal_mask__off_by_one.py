"""Hides the diagonal (np.tril with k=-1): a token may not attend to itself, and query 0 sees nothing."""

import numpy as np

EXPECTED_FAILURE = "check_causal_square"


def causal_mask(seq_q, seq_k=None, *, align="top-left"):
    seq_k = seq_q if seq_k is None else seq_k
    offset = 0 if align == "top-left" else seq_k - seq_q
    return np.tril(np.ones((seq_q, seq_k), dtype=bool), k=offset - 1)
