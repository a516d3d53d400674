"""Computes log(sigmoid(x)) directly, which is -inf (and gives NaN gradients) once scores reach a few hundred."""

import numpy as np

EXPECTED_FAILURE = "check_sgns_large_scores"


def sgns_loss_and_grads(v_c, u_o, u_neg):
    v_c, u_o, u_neg = (np.asarray(a, dtype=np.float64) for a in (v_c, u_o, u_neg))
    s_o = (u_o * v_c).sum(-1)
    s_neg = np.einsum("...kd,...d->...k", u_neg, v_c)
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    loss = -np.log(sig(s_o)) - np.log(sig(-s_neg)).sum(-1)
    g_o = sig(s_o) - 1.0
    g_neg = sig(s_neg)
    grad_v = g_o[..., None] * u_o + np.einsum("...k,...kd->...d", g_neg, u_neg)
    return loss, grad_v, g_o[..., None] * v_c, g_neg[..., None] * v_c[..., None, :]
