"""Makes the prefix *rows* bidirectional over everything (i < prefix_len): prefix tokens read the continuation."""

import numpy as np

EXPECTED_FAILURE = "check_prefix_no_leak"


def prefix_lm_mask(seq_len, prefix_len):
    i, j = np.arange(seq_len)[:, None], np.arange(seq_len)[None, :]
    return (j <= i) | (i < prefix_len)
