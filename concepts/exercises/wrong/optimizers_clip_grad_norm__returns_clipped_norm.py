"""Returns the norm after clipping instead of the norm before it, which hides how large the gradient was."""

import numpy as np

EXPECTED_FAILURE = "check_returned_norm"


def clip_grad_norm(grads, max_norm, *, norm_type=2.0):
    arrays = [np.asarray(g, dtype=float) for g in grads]
    total = float(np.linalg.norm([np.linalg.norm(a.ravel(), ord=norm_type) for a in arrays], ord=norm_type))
    coef = min(1.0, max_norm / (total + 1e-6))
    return [a * coef for a in arrays], total * coef
