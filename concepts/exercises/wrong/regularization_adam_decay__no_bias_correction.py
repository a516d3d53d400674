"""Leaves out the bias correction: the first steps are about (1 - β1)/sqrt(1 - β2) times the right size."""

import numpy as np

EXPECTED_FAILURE = "check_first_step"


def adam_step(w, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    w, g = np.asarray(w, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    if decoupled:
        w = w * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * w
    m = state["m"] = betas[0] * state.get("m", 0.0) + (1 - betas[0]) * g
    v = state["v"] = betas[1] * state.get("v", 0.0) + (1 - betas[1]) * g * g
    return w - lr * m / (np.sqrt(v) + eps)
