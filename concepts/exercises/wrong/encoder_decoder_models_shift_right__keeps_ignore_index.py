"""Shifts right but never replaces -100, so the decoder would look up the embedding of id -100."""

import numpy as np

EXPECTED_FAILURE = "check_hand_worked_example"


def shift_right(labels, *, decoder_start_token_id, pad_token_id):
    ids = np.asarray(labels, dtype=np.int64)
    out = np.empty_like(ids)
    out[..., 0] = decoder_start_token_id
    out[..., 1:] = ids[..., :-1]
    return out
