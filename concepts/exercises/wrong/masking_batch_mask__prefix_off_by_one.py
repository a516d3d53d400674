"""Opens one key too many in the prefix (j <= prefix_len): the first continuation token leaks into the prefix."""

import numpy as np

EXPECTED_FAILURE = "check_batch_prefix_lm"


def batch_attention_mask(mask, *, is_causal=False, prefix_len=None, mask_queries=False):
    mask = np.asarray(mask)
    seq = mask.shape[1]
    i, j = np.arange(seq)[:, None], np.arange(seq)[None, :]
    if prefix_len is not None:
        structure = (j <= i) | (j <= prefix_len)
    else:
        structure = (j <= i) if is_causal else np.ones((seq, seq), dtype=bool)
    out = structure & mask[:, None, None, :]
    return out & mask[:, None, :, None] if mask_queries else out
