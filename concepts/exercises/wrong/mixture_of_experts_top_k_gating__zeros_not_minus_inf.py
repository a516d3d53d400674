"""The experts outside the top-k are masked with 0 instead of -inf before the softmax, so they keep weight."""

import numpy as np

EXPECTED_FAILURE = "check_hand_worked_example"


def top_k_gating(router_logits, top_k, *, renormalize=True):
    logits = np.asarray(router_logits, dtype=np.float64)
    indices = np.argsort(-logits, axis=-1, kind="stable")[..., :top_k]
    kept = np.zeros_like(logits, dtype=bool)
    np.put_along_axis(kept, indices, True, axis=-1)
    masked = np.where(kept, logits, 0.0)  # should be -inf: exp(0) = 1 still counts in the denominator
    e = np.exp(masked - masked.max(-1, keepdims=True))
    gates = e / e.sum(-1, keepdims=True)
    return np.take_along_axis(gates, indices, axis=-1), indices
