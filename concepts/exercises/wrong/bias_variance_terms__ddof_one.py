"""Uses the unbiased variance (ddof 1) beside the plug-in bias, so the two overshoot the mean squared error."""

import numpy as np

EXPECTED_FAILURE = "check_adds_up_exactly"


def bias_variance_terms(predictions, f_x):
    P, f_x = np.asarray(predictions, dtype=np.float64), np.asarray(f_x, dtype=np.float64)
    return (P.mean(axis=0) - f_x) ** 2, P.var(axis=0, ddof=1)
