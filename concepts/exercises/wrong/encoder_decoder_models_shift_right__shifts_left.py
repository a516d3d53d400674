"""Shifts left (the next label, with the start token at the end): the decoder is shown the answer it must predict."""

import numpy as np

EXPECTED_FAILURE = "check_hand_worked_example"


def shift_right(labels, *, decoder_start_token_id, pad_token_id):
    ids = np.asarray(labels, dtype=np.int64)
    out = np.empty_like(ids)
    out[..., :-1] = ids[..., 1:]
    out[..., -1] = decoder_start_token_id
    return np.where(out == -100, pad_token_id, out)
