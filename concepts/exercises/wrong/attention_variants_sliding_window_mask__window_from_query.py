"""Miscounts the window as the query plus window - 2 others: keeps only i - j < window - 1."""

import numpy as np

EXPECTED_FAILURE = "check_mask_window_size"


def sliding_window_mask(seq_len, window, *, is_causal=True):
    lag = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]
    reach = max(window - 1, 1)  # "the query plus window - 1 others", miscounted
    if is_causal:
        return (lag >= 0) & (lag < reach)
    return np.abs(lag) < reach
