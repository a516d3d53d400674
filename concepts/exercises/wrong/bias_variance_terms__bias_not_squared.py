"""Returns the signed bias (mean prediction - f) without squaring it."""

import numpy as np

EXPECTED_FAILURE = "check_against_numpy"


def bias_variance_terms(predictions, f_x):
    P, f_x = np.asarray(predictions, dtype=np.float64), np.asarray(f_x, dtype=np.float64)
    return P.mean(axis=0) - f_x, P.var(axis=0)
