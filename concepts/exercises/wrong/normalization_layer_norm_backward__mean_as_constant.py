"""Treats the mean as a constant: drops the -sum(g) term, so dx no longer sums to zero over a token."""

import numpy as np

EXPECTED_FAILURE = "check_backward_rows_sum_to_zero"


def layer_norm_backward(grad_out, x, normalized_shape, weight=None, *, eps=1e-5):
    x, grad_out = np.asarray(x, dtype=np.float64), np.asarray(grad_out, dtype=np.float64)
    ns = (normalized_shape,) if np.ndim(normalized_shape) == 0 else tuple(normalized_shape)
    axes, n = tuple(range(-len(ns), 0)), int(np.prod(ns))
    lead = tuple(range(x.ndim - len(ns)))
    mu = x.mean(axis=axes, keepdims=True)
    r = 1.0 / np.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True) + eps)
    x_hat = (x - mu) * r
    g = grad_out if weight is None else grad_out * weight
    dx = r / n * (n * g - x_hat * (g * x_hat).sum(axis=axes, keepdims=True))  # no - sum(g)
    return dx, (grad_out * x_hat).sum(axis=lead), grad_out.sum(axis=lead)
