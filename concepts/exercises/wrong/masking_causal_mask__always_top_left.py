"""Ignores ``align``: with a KV cache the one new query would see only the first cached key."""

import numpy as np

EXPECTED_FAILURE = "check_causal_bottom_right"


def causal_mask(seq_q, seq_k=None, *, align="top-left"):
    seq_k = seq_q if seq_k is None else seq_k
    return np.tril(np.ones((seq_q, seq_k), dtype=bool))
