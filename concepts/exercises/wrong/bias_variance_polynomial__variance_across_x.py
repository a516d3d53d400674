"""Takes each model's variance across the test points instead of each point's variance across training sets."""

import numpy as np

EXPECTED_FAILURE = "check_against_polyfit"


def polynomial_decomposition(x_train, y_train, x_test, f_test, y_test, degree):
    x_test, f_test, y_test = (np.asarray(a, dtype=np.float64) for a in (x_test, f_test, y_test))
    P = np.stack([np.polyval(np.polyfit(x, y, degree), x_test) for x, y in zip(x_train, y_train, strict=True)])
    mean = P.mean(axis=0)
    return (
        ((mean - f_test) ** 2).mean(),
        P.var(axis=1).mean(),
        ((y_test - f_test) ** 2).mean(),
        ((y_test - P) ** 2).mean(),
    )
