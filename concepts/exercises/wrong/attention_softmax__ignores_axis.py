"""Always normalises over the first axis, whatever ``axis`` says (columns sum to 1, not rows)."""

import numpy as np

EXPECTED_FAILURE = "check_softmax_values"


def softmax(x, *, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
