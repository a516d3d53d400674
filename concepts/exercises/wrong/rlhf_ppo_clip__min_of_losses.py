"""Takes the min of the two losses (the optimistic objective) instead of their max: the clip never binds."""

import numpy as np

EXPECTED_FAILURE = "check_ppo_hand_worked"


def ppo_clipped_loss(logprobs, old_logprobs, advantages, *, clip_eps=0.2, mask=None):
    lp, old, a = (np.asarray(x, float) for x in (logprobs, old_logprobs, advantages))
    ratio = np.exp(lp - old)
    losses = np.minimum(-a * ratio, -a * np.clip(ratio, 1 - clip_eps, 1 + clip_eps))
    m = np.ones(lp.shape, bool) if mask is None else np.asarray(mask, bool)
    return float(losses[m].mean())
