"""Averages the squared errors instead of squaring the averaged error: its 'bias' already holds the variance."""

import numpy as np

EXPECTED_FAILURE = "check_adds_up_exactly"


def bias_variance_terms(predictions, f_x):
    P, f_x = np.asarray(predictions, dtype=np.float64), np.asarray(f_x, dtype=np.float64)
    return ((P - f_x) ** 2).mean(axis=0), P.var(axis=0)
