"""Squashes the input projection alone and adds the recurrent term afterwards: h_t = f(x_t W_ih) + h_{t-1} W_hh."""

import numpy as np

EXPECTED_FAILURE = "check_rnn_hand_worked"


def rnn(x, h0, W_ih, W_hh, b_ih=None, b_hh=None, *, nonlinearity="tanh"):
    x, W_ih, W_hh = (np.asarray(a, dtype=np.float64) for a in (x, W_ih, W_hh))
    act = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0), "identity": lambda a: a}[nonlinearity]
    b_i = 0.0 if b_ih is None else np.asarray(b_ih)
    b_h = 0.0 if b_hh is None else np.asarray(b_hh)
    h = np.zeros((x.shape[0], W_hh.shape[0])) if h0 is None else np.asarray(h0, dtype=np.float64)
    out = []
    for t in range(x.shape[1]):
        h = act(x[:, t] @ W_ih + b_i) + h @ W_hh + b_h
        out.append(h)
    return np.stack(out, axis=1), h
