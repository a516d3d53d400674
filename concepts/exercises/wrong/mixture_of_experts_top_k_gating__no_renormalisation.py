"""The kept probabilities are never divided by their sum, so a token's gates add up to less than 1."""

import numpy as np

EXPECTED_FAILURE = "check_hand_worked_example"


def top_k_gating(router_logits, top_k, *, renormalize=True):
    logits = np.asarray(router_logits, dtype=np.float64)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    indices = np.argsort(-probs, axis=-1, kind="stable")[..., :top_k]
    return np.take_along_axis(probs, indices, axis=-1), indices
