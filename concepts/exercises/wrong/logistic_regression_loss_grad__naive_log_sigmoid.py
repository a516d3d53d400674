"""Takes np.log(sigmoid(z)) of a naive sigmoid: at z = -1000, exp overflows, p = 0 and log 0 = -inf."""

import numpy as np

EXPECTED_FAILURE = "check_large_scores"


def logistic_loss_grad(w, b, X, y, *, l2=0.0):
    X, y, w = (np.asarray(a, dtype=np.float64) for a in (X, y, w))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        p = 1 / (1 + np.exp(-(X @ w + b)))
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.5 * l2 * (w @ w)
    return float(loss), X.T @ (p - y) / len(y) + l2 * w, float(np.mean(p - y))
