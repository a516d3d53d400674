"""Returns the causal structure alone when is_causal is set, forgetting the key padding."""

import numpy as np

EXPECTED_FAILURE = "check_batch_padding_invisible"


def batch_attention_mask(mask, *, is_causal=False, prefix_len=None, mask_queries=False):
    mask = np.asarray(mask)
    batch, seq = mask.shape
    i, j = np.arange(seq)[:, None], np.arange(seq)[None, :]
    if is_causal:
        return np.broadcast_to(j <= i, (batch, 1, seq, seq)).copy()
    structure = np.ones((seq, seq), dtype=bool) if prefix_len is None else (j <= i) | (j < prefix_len)
    out = structure & mask[:, None, None, :]
    return out & mask[:, None, :, None] if mask_queries else out
