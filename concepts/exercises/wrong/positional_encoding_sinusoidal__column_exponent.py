"""Uses the column index j in the exponent (base^(2j/d)) instead of the pair index i = j // 2."""

import numpy as np

EXPECTED_FAILURE = "check_hand_example"


def sinusoidal_encoding(seq_len, d_model, *, base=10000.0):
    pos = np.arange(seq_len)[:, None]
    angle = pos / base ** (2 * np.arange(d_model) / d_model)  # one frequency per column: the classic slip
    pe = np.empty((seq_len, d_model))
    pe[:, 0::2] = np.sin(angle[:, 0::2])
    pe[:, 1::2] = np.cos(angle[:, 1::2])
    return pe
