"""Returns the discounted sum of rewards as the return, instead of advantages + values."""

import numpy as np

EXPECTED_FAILURE = "check_gae_hand_worked"


def gae(rewards, values, *, gamma=1.0, lam=0.95, dones=None, last_value=0.0):
    r, v = np.asarray(rewards, float), np.asarray(values, float)
    alive = np.broadcast_to(1.0 if dones is None else 1.0 - np.asarray(dones, float), r.shape)
    next_v = np.concatenate([v[..., 1:], np.broadcast_to(last_value, r.shape[:-1])[..., None]], axis=-1)
    delta = r + gamma * next_v * alive - v
    adv, ret = np.zeros_like(r), np.zeros_like(r)
    running, g = np.zeros(r.shape[:-1]), np.zeros(r.shape[:-1])
    for t in range(r.shape[-1] - 1, -1, -1):
        running = delta[..., t] + gamma * lam * alive[..., t] * running
        g = r[..., t] + gamma * alive[..., t] * g
        adv[..., t], ret[..., t] = running, g
    return adv, ret
