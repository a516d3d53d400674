"""Sums dW and db over the first axis only, so a (batch, seq_len, d_in) input gets per-position gradients."""

import numpy as np

EXPECTED_FAILURE = "check_linear_leading_axes"


def linear_backward(grad_out, x, W):
    grad_out, x, W = (np.asarray(a, dtype=np.float64) for a in (grad_out, x, W))
    dW = np.einsum("b...i,b...o->...io", x, grad_out)  # the mistake: keeps the sequence axis
    return grad_out @ W.T, dW, grad_out.sum(axis=0)
