"""Returns softmax(z) / batch as the gradient, forgetting to subtract the one-hot target."""

import numpy as np

EXPECTED_FAILURE = "check_ce_hand_worked"


def softmax_cross_entropy_with_grad(logits, targets):
    z, t = np.asarray(logits, dtype=np.float64), np.asarray(targets)
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(t))
    return float(-log_p[rows, t].mean()), np.exp(log_p) / len(t)  # the mistake: p, not p - onehot(t)
