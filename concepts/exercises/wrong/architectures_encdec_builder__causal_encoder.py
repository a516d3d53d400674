"""Gives the encoder a causal mask too: source tokens no longer see the words after them."""

import numpy as np

EXPECTED_FAILURE = "check_encdec_hand_worked"


def encoder_decoder_masks(src_mask, tgt_mask):
    src, tgt = np.asarray(src_mask), np.asarray(tgt_mask)
    s, t = src.shape[1], tgt.shape[1]
    enc = np.tril(np.ones((s, s), dtype=bool)) & src[:, None, None, :]
    dec = np.tril(np.ones((t, t), dtype=bool)) & tgt[:, None, None, :]
    cross = np.ones((t, s), dtype=bool) & src[:, None, None, :]
    return enc, dec, cross
