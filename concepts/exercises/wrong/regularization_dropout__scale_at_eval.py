"""Classic (non-inverted) dropout: no scaling in training, multiplies by (1 - p) at evaluation instead."""

import numpy as np

EXPECTED_FAILURE = "check_eval_is_identity"


def dropout(x, p=0.5, *, training=True, mask=None, rng=None):
    x = np.asarray(x, dtype=np.float64)
    if not training:
        return x * (1 - p)
    keep = np.random.default_rng(rng).random(x.shape) >= p if mask is None else np.asarray(mask)
    return x * keep
