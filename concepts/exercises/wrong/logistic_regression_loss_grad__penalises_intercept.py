"""Penalises the intercept too: adds l2/2 b² to the loss and l2 b to grad_b."""

import numpy as np

EXPECTED_FAILURE = "check_intercept_not_penalised"


def logistic_loss_grad(w, b, X, y, *, l2=0.0):
    X, y, w = (np.asarray(a, dtype=np.float64) for a in (X, y, w))
    z = X @ w + b
    loss = np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)) + 0.5 * l2 * (w @ w + b * b)
    r = np.exp(-np.logaddexp(0, -z)) - y
    return float(loss), X.T @ r / len(y) + l2 * w, float(r.mean() + l2 * b)
