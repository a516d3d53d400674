"""Leaf weights -G / H, without lambda in the denominator (the gain is right)."""

import numpy as np

EXPECTED_FAILURE = "check_leaf_weights_use_lambda"


def xgb_split_gain(g, h, go_left, *, reg_lambda=1.0, gamma=0.0):
    g, h, left = np.asarray(g, float), np.asarray(h, float), np.asarray(go_left, bool)
    GL, HL, GR, HR = g[left].sum(), h[left].sum(), g[~left].sum(), h[~left].sum()
    lam = reg_lambda
    gain = 0.5 * (GL**2 / (HL + lam) + GR**2 / (HR + lam) - (GL + GR) ** 2 / (HL + HR + lam)) - gamma
    return float(-GL / HL), float(-GR / HR), float(gain)
