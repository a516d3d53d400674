"""Puts eps inside the square root, sqrt(v_hat + eps): steps shrink a hundredfold when gradients are near 1e-6."""

import numpy as np

EXPECTED_FAILURE = "check_small_gradients"


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    p, g = np.asarray(param, dtype=float), np.asarray(grad, dtype=float) + weight_decay * np.asarray(param, dtype=float)
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", np.zeros_like(p)) + (1 - b1) * g
    v = b2 * state.get("v", np.zeros_like(p)) + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return p - lr * m_hat / np.sqrt(v_hat + eps), {"t": t, "m": m, "v": v}
