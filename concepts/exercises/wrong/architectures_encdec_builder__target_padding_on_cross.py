"""Masks cross-attention with the *target* padding (on its query axis) instead of the source padding on its keys."""

import numpy as np

EXPECTED_FAILURE = "check_encdec_cross_hides_source_padding"


def encoder_decoder_masks(src_mask, tgt_mask):
    src, tgt = np.asarray(src_mask), np.asarray(tgt_mask)
    s, t = src.shape[1], tgt.shape[1]
    enc = np.ones((s, s), dtype=bool) & src[:, None, None, :]
    dec = np.tril(np.ones((t, t), dtype=bool)) & tgt[:, None, None, :]
    cross = np.ones((t, s), dtype=bool) & tgt[:, None, :, None]  # the mistake: source padding stays visible
    return enc, dec, cross
