"""Forgets the negatives' contribution to dL/dv_c: only (sigma(s_o) - 1) u_o reaches the center vector."""

import numpy as np

EXPECTED_FAILURE = "check_sgns_against_autograd"


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def sgns_loss_and_grads(v_c, u_o, u_neg):
    v_c, u_o, u_neg = (np.asarray(a, dtype=np.float64) for a in (v_c, u_o, u_neg))
    s_o = (u_o * v_c).sum(-1)
    s_neg = np.einsum("...kd,...d->...k", u_neg, v_c)
    loss = -_log_sigmoid(s_o) - _log_sigmoid(-s_neg).sum(-1)
    g_o = -np.exp(_log_sigmoid(-s_o))
    g_neg = np.exp(_log_sigmoid(s_neg))
    grad_v = g_o[..., None] * u_o  # the mistake: + sum_k sigma(s_k) u_k is missing
    return loss, grad_v, g_o[..., None] * v_c, g_neg[..., None] * v_c[..., None, :]
