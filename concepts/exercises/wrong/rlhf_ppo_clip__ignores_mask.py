"""Averages over every token, padding included, ignoring the mask."""

import numpy as np

EXPECTED_FAILURE = "check_ppo_against_torch"


def ppo_clipped_loss(logprobs, old_logprobs, advantages, *, clip_eps=0.2, mask=None):
    lp, old, a = (np.asarray(x, float) for x in (logprobs, old_logprobs, advantages))
    ratio = np.exp(lp - old)
    return float(np.maximum(-a * ratio, -a * np.clip(ratio, 1 - clip_eps, 1 + clip_eps)).mean())
