"""Uses sigma(s_o) for the positive's score gradient instead of sigma(s_o) - 1 (pushes the context away)."""

import numpy as np

EXPECTED_FAILURE = "check_sgns_hand_worked"


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def sgns_loss_and_grads(v_c, u_o, u_neg):
    v_c, u_o, u_neg = (np.asarray(a, dtype=np.float64) for a in (v_c, u_o, u_neg))
    s_o = (u_o * v_c).sum(-1)
    s_neg = np.einsum("...kd,...d->...k", u_neg, v_c)
    loss = -_log_sigmoid(s_o) - _log_sigmoid(-s_neg).sum(-1)
    g_o = np.exp(_log_sigmoid(s_o))  # the mistake: should be sigma(s_o) - 1
    g_neg = np.exp(_log_sigmoid(s_neg))
    grad_v = g_o[..., None] * u_o + np.einsum("...k,...kd->...d", g_neg, u_neg)
    return loss, grad_v, g_o[..., None] * v_c, g_neg[..., None] * v_c[..., None, :]
