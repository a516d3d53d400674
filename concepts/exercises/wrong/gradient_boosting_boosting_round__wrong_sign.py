"""Fits the tree to pred - y (the gradient) instead of y - pred (the negative gradient), then adds it."""

import numpy as np

EXPECTED_FAILURE = "check_round_reduces_loss"


def _tree(X, r, depth):
    if depth == 0 or len(r) < 2:
        return np.full(len(r), r.mean())
    best = None
    for j in range(X.shape[1]):
        v = np.unique(X[:, j])
        for t in (v[:-1] + v[1:]) / 2:
            left = X[:, j] <= t
            sse = ((r[left] - r[left].mean()) ** 2).sum() + ((r[~left] - r[~left].mean()) ** 2).sum()
            if best is None or sse < best[0]:
                best = (sse, left)
    if best is None:
        return np.full(len(r), r.mean())
    out, left = np.empty(len(r)), best[1]
    out[left], out[~left] = _tree(X[left], r[left], depth - 1), _tree(X[~left], r[~left], depth - 1)
    return out


def boosting_round(X, y, pred, *, learning_rate=0.1, max_depth=1):
    X, y, pred = (np.asarray(a, float) for a in (X, y, pred))
    return pred + learning_rate * _tree(X, pred - y, max_depth)
