"""Replaces -100 by the pad only in the first row of the batch, so later rows still feed -100 to the decoder."""

import numpy as np

EXPECTED_FAILURE = "check_no_ignore_index"


def shift_right(labels, *, decoder_start_token_id, pad_token_id):
    ids = np.atleast_2d(np.asarray(labels, dtype=np.int64))
    out = np.empty_like(ids)
    out[:, 0] = decoder_start_token_id
    out[:, 1:] = ids[:, :-1]
    out[0] = np.where(out[0] == -100, pad_token_id, out[0])
    return out.reshape(np.shape(labels))
