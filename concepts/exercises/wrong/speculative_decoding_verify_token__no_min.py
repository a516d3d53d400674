"""The acceptance probability p/q without min(1, .): it exceeds 1 wherever the target wants more than the draft gave."""

import numpy as np

EXPECTED_FAILURE = "check_acceptance_capped"


def verify_token(p, q, token):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    r = np.maximum(p - q, 0.0)
    return p[token] / q[token], (p.copy() if r.sum() == 0 else r / r.sum())
