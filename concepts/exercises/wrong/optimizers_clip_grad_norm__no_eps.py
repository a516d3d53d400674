"""Drops PyTorch's 1e-6 and skips the multiplication below the limit: a norm exactly at max_norm stays unchanged."""

import numpy as np

EXPECTED_FAILURE = "check_eps_at_the_limit"


def clip_grad_norm(grads, max_norm, *, norm_type=2.0):
    arrays = [np.asarray(g, dtype=float) for g in grads]
    total = float(np.linalg.norm([np.linalg.norm(a.ravel(), ord=norm_type) for a in arrays], ord=norm_type))
    if total <= max_norm:
        return [a.copy() for a in arrays], total
    return [a * (max_norm / total) for a in arrays], total
