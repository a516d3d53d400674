"""Implements AdamW as Adam with L2 in the gradient: the decay is divided by sqrt(v̂) and is no longer decoupled."""

import numpy as np

EXPECTED_FAILURE = "check_matches_torch_adamw"


def adam_step(w, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    w = np.asarray(w, dtype=np.float64)
    g = np.asarray(grad, dtype=np.float64) + weight_decay * w  # same path whatever `decoupled` says
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = betas[0] * state.get("m", 0.0) + (1 - betas[0]) * g
    v = state["v"] = betas[1] * state.get("v", 0.0) + (1 - betas[1]) * g * g
    return w - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
