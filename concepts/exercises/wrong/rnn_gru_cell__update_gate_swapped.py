"""Interpolates the wrong way round, h' = z * n + (1 - z) * h, a convention some papers use but PyTorch does not."""

import numpy as np

EXPECTED_FAILURE = "check_gru_update_keeps_state"


def gru_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    x, h, W_ih, W_hh = (np.asarray(a, dtype=np.float64) for a in (x, h, W_ih, W_hh))
    gi = x @ W_ih + (0.0 if b_ih is None else np.asarray(b_ih))
    gh = h @ W_hh + (0.0 if b_hh is None else np.asarray(b_hh))
    (xr, xz, xn), (hr, hz, hn) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
    r, z = 1 / (1 + np.exp(-(xr + hr))), 1 / (1 + np.exp(-(xz + hz)))
    n = np.tanh(xn + r * hn)
    return z * n + (1 - z) * h
