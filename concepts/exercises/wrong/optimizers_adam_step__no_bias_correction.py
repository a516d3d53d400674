"""Forgets the bias correction: divides the raw moments, so the first step is about 3.16 lr, not lr."""

import numpy as np

EXPECTED_FAILURE = "check_first_step"


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    p, g = np.asarray(param, dtype=float), np.asarray(grad, dtype=float) + weight_decay * np.asarray(param, dtype=float)
    b1, b2 = betas
    m = b1 * state.get("m", np.zeros_like(p)) + (1 - b1) * g
    v = b2 * state.get("v", np.zeros_like(p)) + (1 - b2) * g * g
    return p - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v}
