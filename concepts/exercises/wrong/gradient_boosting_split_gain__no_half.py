"""The gain without the factor 1/2 (XGBoost's internal loss_chg, not the paper's gain)."""

import numpy as np

EXPECTED_FAILURE = "check_hand_worked_split"


def xgb_split_gain(g, h, go_left, *, reg_lambda=1.0, gamma=0.0):
    g, h, left = np.asarray(g, float), np.asarray(h, float), np.asarray(go_left, bool)
    GL, HL, GR, HR = g[left].sum(), h[left].sum(), g[~left].sum(), h[~left].sum()
    lam = reg_lambda
    gain = GL**2 / (HL + lam) + GR**2 / (HR + lam) - (GL + GR) ** 2 / (HL + HR + lam) - gamma
    return float(-GL / (HL + lam)), float(-GR / (HR + lam)), float(gain)
