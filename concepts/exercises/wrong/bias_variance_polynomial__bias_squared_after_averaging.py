"""Averages the signed bias over the test points before squaring it, so errors of opposite sign cancel."""

import numpy as np

EXPECTED_FAILURE = "check_adds_up"


def polynomial_decomposition(x_train, y_train, x_test, f_test, y_test, degree):
    x_test, f_test, y_test = (np.asarray(a, dtype=np.float64) for a in (x_test, f_test, y_test))
    P = np.stack([np.polyval(np.polyfit(x, y, degree), x_test) for x, y in zip(x_train, y_train, strict=True)])
    mean = P.mean(axis=0)
    bias_sq = (mean - f_test).mean() ** 2
    return bias_sq, P.var(axis=0).mean(), ((y_test - f_test) ** 2).mean(), ((y_test - P) ** 2).mean()
