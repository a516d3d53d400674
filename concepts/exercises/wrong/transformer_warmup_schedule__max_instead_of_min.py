"""Takes the maximum of the two branches instead of the minimum: no warm-up, and a rate that grows for ever."""

import numpy as np

EXPECTED_FAILURE = "check_schedule_values"


def warmup_lr(step, *, d_model=512, warmup=4000):
    step = np.asarray(step, dtype=np.float64)
    return d_model**-0.5 * np.maximum(step**-0.5, step * warmup**-1.5)
