"""Decays the already-updated parameter, (param - step) * (1 - lr * wd), instead of decaying before the step."""

import numpy as np

EXPECTED_FAILURE = "check_adamw_against_torch"


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    p, g = np.asarray(param, dtype=float), np.asarray(grad, dtype=float)
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", np.zeros_like(p)) + (1 - b1) * g
    v = b2 * state.get("v", np.zeros_like(p)) + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p * (1 - lr * weight_decay), {"t": t, "m": m, "v": v}
