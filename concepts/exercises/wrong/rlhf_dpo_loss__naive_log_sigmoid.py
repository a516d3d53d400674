"""Computes -log(sigmoid(x)) as written: 1 / (1 + exp(1e4)) underflows to 0 and the loss becomes inf."""

import numpy as np

EXPECTED_FAILURE = "check_dpo_large_margins"


def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, *, beta=0.1,
             loss_type="sigmoid"):  # fmt: skip
    pc, pr, rc, rr = (np.asarray(a, float) for a in (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps,
                                                     ref_rejected_logps))  # fmt: skip
    h = (pc - rc) - (pr - rr)
    if loss_type == "sigmoid":
        return -np.log(1.0 / (1.0 + np.exp(-beta * h)))
    if loss_type == "hinge":
        return np.maximum(0.0, 1.0 - beta * h)
    return (h - 1.0 / (2.0 * beta)) ** 2
