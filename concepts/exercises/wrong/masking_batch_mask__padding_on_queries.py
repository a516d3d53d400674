"""Broadcasts the padding over the query axis, (B, 1, T, 1), so padded *keys* stay visible to real tokens."""

import numpy as np

EXPECTED_FAILURE = "check_batch_padding_against_sdpa"


def batch_attention_mask(mask, *, is_causal=False, prefix_len=None, mask_queries=False):
    mask = np.asarray(mask)
    seq = mask.shape[1]
    i, j = np.arange(seq)[:, None], np.arange(seq)[None, :]
    structure = np.ones((seq, seq), dtype=bool)
    if is_causal or prefix_len is not None:
        structure = (j <= i) | (j < (prefix_len or 0))
    return structure & mask[:, None, :, None]
