"""The band is not causal: keeps |i - j| < window even when is_causal=True, so queries see later keys."""

import numpy as np

EXPECTED_FAILURE = "check_mask_is_causal"


def sliding_window_mask(seq_len, window, *, is_causal=True):
    lag = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]
    return np.abs(lag) < window
