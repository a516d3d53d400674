"""Uses only the clipped ratio: a ratio pushed the wrong way is clipped too, hiding its penalty."""

import numpy as np

EXPECTED_FAILURE = "check_ppo_hand_worked"


def ppo_clipped_loss(logprobs, old_logprobs, advantages, *, clip_eps=0.2, mask=None):
    lp, old, a = (np.asarray(x, float) for x in (logprobs, old_logprobs, advantages))
    ratio = np.clip(np.exp(lp - old), 1 - clip_eps, 1 + clip_eps)
    losses = -a * ratio
    m = np.ones(lp.shape, bool) if mask is None else np.asarray(mask, bool)
    return float(losses[m].mean())
