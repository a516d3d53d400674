"""Applies the reset gate to h before the product, (r * h) W_hn + b_hn (Keras's reset_after=False), not after it."""

import numpy as np

EXPECTED_FAILURE = "check_gru_hand_worked"


def gru_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    x, h, W_ih, W_hh = (np.asarray(a, dtype=np.float64) for a in (x, h, W_ih, W_hh))
    d_h = h.shape[1]
    b_i = np.zeros(3 * d_h) if b_ih is None else np.asarray(b_ih, dtype=np.float64)
    b_h = np.zeros(3 * d_h) if b_hh is None else np.asarray(b_hh, dtype=np.float64)
    gi = x @ W_ih + b_i
    gh = h @ W_hh[:, : 2 * d_h] + b_h[: 2 * d_h]
    r = 1 / (1 + np.exp(-(gi[:, :d_h] + gh[:, :d_h])))
    z = 1 / (1 + np.exp(-(gi[:, d_h : 2 * d_h] + gh[:, d_h:])))
    n = np.tanh(gi[:, 2 * d_h :] + (r * h) @ W_hh[:, 2 * d_h :] + b_h[2 * d_h :])
    return (1 - z) * n + z * h
