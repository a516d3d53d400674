"""Swaps chosen and rejected in the margin: the loss rewards the policy for preferring y_l."""

import numpy as np

EXPECTED_FAILURE = "check_dpo_hand_worked"


def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, *, beta=0.1,
             loss_type="sigmoid"):  # fmt: skip
    pc, pr, rc, rr = (np.asarray(a, float) for a in (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps,
                                                     ref_rejected_logps))  # fmt: skip
    h = (pr - rr) - (pc - rc)
    if loss_type == "sigmoid":
        return np.logaddexp(0.0, -beta * h)
    if loss_type == "hinge":
        return np.maximum(0.0, 1.0 - beta * h)
    return (h - 1.0 / (2.0 * beta)) ** 2
