"""Takes log(sum(exp(x))) without subtracting the maximum first: exp(1000) overflows to inf."""

import numpy as np

EXPECTED_FAILURE = "check_log_softmax_large_logits"


def log_softmax(x, *, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))
