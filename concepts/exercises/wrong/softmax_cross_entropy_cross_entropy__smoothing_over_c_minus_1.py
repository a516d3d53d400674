"""Spreads the smoothing over the C - 1 wrong classes (the target keeps 1 - eps), not eps / C on all C."""

import numpy as np

EXPECTED_FAILURE = "check_label_smoothing"


def cross_entropy_with_grad(logits, target, *, ignore_index=-100, label_smoothing=0.0):
    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(target)
    C = z.shape[1]
    keep = t != ignore_index
    onehot = (np.where(keep, t, 0)[:, None] == np.arange(C)).astype(np.float64)
    q = (1 - label_smoothing) * onehot + label_smoothing / max(C - 1, 1) * (1 - onehot)
    m = z.max(axis=1, keepdims=True)
    log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    count = keep.sum()
    loss = float(-(q * log_p).sum(axis=1)[keep].sum() / count)
    grad = (p - q) * keep[:, None] / count
    return loss, grad
