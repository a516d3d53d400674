"""Window off by one: keeps keys with i - j <= window, so each query sees window + 1 keys."""

import numpy as np

EXPECTED_FAILURE = "check_mask_by_hand"


def sliding_window_mask(seq_len, window, *, is_causal=True):
    lag = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]
    if is_causal:
        return (lag >= 0) & (lag <= window)
    return np.abs(lag) <= window
