"""Averages the bias gradient over the batch instead of summing it (the loss already did any averaging)."""

import numpy as np

EXPECTED_FAILURE = "check_linear_against_autograd"


def linear_backward(grad_out, x, W):
    grad_out, x, W = (np.asarray(a, dtype=np.float64) for a in (grad_out, x, W))
    g2, x2 = grad_out.reshape(-1, W.shape[1]), x.reshape(-1, W.shape[0])
    return grad_out @ W.T, x2.T @ g2, g2.mean(axis=0)  # the mistake: should be g2.sum(axis=0)
