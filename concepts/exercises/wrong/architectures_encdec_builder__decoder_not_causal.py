"""Forgets causality in the decoder's self-attention: each target position reads the token it must predict."""

import numpy as np

EXPECTED_FAILURE = "check_encdec_decoder_causal"


def encoder_decoder_masks(src_mask, tgt_mask):
    src, tgt = np.asarray(src_mask), np.asarray(tgt_mask)
    s, t = src.shape[1], tgt.shape[1]
    enc = np.ones((s, s), dtype=bool) & src[:, None, None, :]
    dec = np.ones((t, t), dtype=bool) & tgt[:, None, None, :]
    cross = np.ones((t, s), dtype=bool) & src[:, None, None, :]
    return enc, dec, cross
