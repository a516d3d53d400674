"""Clips each tensor to max_norm on its own, which changes the direction of the full gradient."""

import numpy as np

EXPECTED_FAILURE = "check_global_norm"


def clip_grad_norm(grads, max_norm, *, norm_type=2.0):
    arrays = [np.asarray(g, dtype=float) for g in grads]
    norms = [np.linalg.norm(a.ravel(), ord=norm_type) for a in arrays]
    total = float(np.linalg.norm(norms, ord=norm_type))
    return [a * min(1.0, max_norm / (n + 1e-6)) for a, n in zip(arrays, norms, strict=True)], total
