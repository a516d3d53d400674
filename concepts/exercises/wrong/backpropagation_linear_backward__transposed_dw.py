"""Computes dW = dY^T X, the gradient in nn.Linear's (d_out, d_in) layout, for a W stored as (d_in, d_out)."""

import numpy as np

EXPECTED_FAILURE = "check_linear_against_autograd"


def linear_backward(grad_out, x, W):
    grad_out, x, W = (np.asarray(a, dtype=np.float64) for a in (grad_out, x, W))
    g2, x2 = grad_out.reshape(-1, W.shape[1]), x.reshape(-1, W.shape[0])
    return grad_out @ W.T, g2.T @ x2, g2.sum(axis=0)  # the mistake: should be x2.T @ g2
