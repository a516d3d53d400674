"""Takes the log of a (stable) softmax: a probability that rounds to 0 becomes -inf instead of its log."""

import numpy as np

EXPECTED_FAILURE = "check_log_softmax_tiny_probabilities"


def log_softmax(x, *, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return np.log(e / e.sum(axis=axis, keepdims=True))
