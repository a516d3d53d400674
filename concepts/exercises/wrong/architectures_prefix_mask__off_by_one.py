"""Opens key j <= prefix_len instead of j < prefix_len: the first continuation token leaks into the prefix."""

import numpy as np

EXPECTED_FAILURE = "check_prefix_hand_written"


def prefix_lm_mask(seq_len, prefix_len):
    i, j = np.arange(seq_len)[:, None], np.arange(seq_len)[None, :]
    return (j <= i) | (j <= prefix_len)
