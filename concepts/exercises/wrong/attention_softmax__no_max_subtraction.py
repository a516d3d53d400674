"""Exponentiates the raw scores, without subtracting the maximum: exp(1000) overflows to inf."""

import numpy as np

EXPECTED_FAILURE = "check_softmax_large_scores"


def softmax(x, *, axis=-1):
    e = np.exp(np.asarray(x, dtype=np.float64))
    return e / e.sum(axis=axis, keepdims=True)
