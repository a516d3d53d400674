"""Averages the loss over the rows but sums the gradient: grad_w is n times too large."""

import numpy as np

EXPECTED_FAILURE = "check_gradient_matches_autograd"


def logistic_loss_grad(w, b, X, y, *, l2=0.0):
    X, y, w = (np.asarray(a, dtype=np.float64) for a in (X, y, w))
    z = X @ w + b
    loss = np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)) + 0.5 * l2 * (w @ w)
    r = np.exp(-np.logaddexp(0, -z)) - y
    return float(loss), X.T @ r + l2 * w, float(r.sum())
