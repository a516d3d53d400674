"""Averages the loss over the batch but returns the gradient p - y of the summed loss (no division by batch)."""

import numpy as np

EXPECTED_FAILURE = "check_ce_against_autograd"


def softmax_cross_entropy_with_grad(logits, targets):
    z, t = np.asarray(logits, dtype=np.float64), np.asarray(targets)
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(t))
    grad = np.exp(log_p)
    grad[rows, t] -= 1.0
    return float(-log_p[rows, t].mean()), grad  # the mistake: should be grad / len(t)
