"""f_i is taken as the mean router probability instead of the fraction of tokens routed to expert i."""

import numpy as np

EXPECTED_FAILURE = "check_loss_hand_worked_example"


def load_balancing_loss(router_logits, *, top_k=1, mask=None):
    logits = np.asarray(router_logits, dtype=np.float64)
    logits = logits if logits.ndim == 3 else logits[None]
    n = logits.shape[-1]
    keep = np.ones(logits.shape[1]) if mask is None else np.asarray(mask, dtype=np.float64).reshape(-1)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    p = (probs * keep[:, None]).sum(axis=(0, 1)) / (keep.sum() * logits.shape[0])
    f = top_k * p  # a soft "fraction": differentiable, but it is not what the router dispatched
    return float(n * np.sum(f * p))
