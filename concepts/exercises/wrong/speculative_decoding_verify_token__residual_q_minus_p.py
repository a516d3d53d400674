"""The residual taken from max(0, q - p): it resamples where the draft over-proposes, not where p is short."""

import numpy as np

EXPECTED_FAILURE = "check_emits_target_distribution"


def verify_token(p, q, token):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    r = np.maximum(q - p, 0.0)
    return min(1.0, p[token] / q[token]), (p.copy() if r.sum() == 0 else r / r.sum())
