"""Keeps the upper triangle (np.triu), the future, instead of the past."""

import numpy as np

EXPECTED_FAILURE = "check_causal_square"


def causal_mask(seq_q, seq_k=None, *, align="top-left"):
    seq_k = seq_q if seq_k is None else seq_k
    offset = 0 if align == "top-left" else seq_k - seq_q
    return np.triu(np.ones((seq_q, seq_k), dtype=bool), k=offset)
