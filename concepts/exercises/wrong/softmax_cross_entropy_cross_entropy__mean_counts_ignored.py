"""Divides by the whole batch, ignored targets included, instead of by the number of kept targets."""

import numpy as np

EXPECTED_FAILURE = "check_ignore_index"


def cross_entropy_with_grad(logits, target, *, ignore_index=-100, label_smoothing=0.0):
    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(target)
    C = z.shape[1]
    keep = t != ignore_index
    onehot = (np.where(keep, t, 0)[:, None] == np.arange(C)).astype(np.float64)
    q = (1 - label_smoothing) * onehot + label_smoothing / C  # (batch, C)
    m = z.max(axis=1, keepdims=True)
    log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    count = len(t)
    loss = float(-(q * log_p).sum(axis=1)[keep].sum() / count)
    grad = (p - q) * keep[:, None] / count
    return loss, grad
