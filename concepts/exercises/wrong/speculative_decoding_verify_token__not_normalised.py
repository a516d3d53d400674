"""The residual max(0, p - q) returned without dividing by its sum, so it is not a distribution."""

import numpy as np

EXPECTED_FAILURE = "check_hand_worked"


def verify_token(p, q, token):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return min(1.0, p[token] / q[token]), np.maximum(p - q, 0.0)
