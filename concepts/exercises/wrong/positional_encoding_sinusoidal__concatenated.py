"""Puts all the sines first and all the cosines after, instead of interleaving them."""

import numpy as np

EXPECTED_FAILURE = "check_hand_example"


def sinusoidal_encoding(seq_len, d_model, *, base=10000.0):
    pos = np.arange(seq_len)[:, None]
    angle = pos * base ** (-np.arange(0, d_model, 2) / d_model)
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=-1)
