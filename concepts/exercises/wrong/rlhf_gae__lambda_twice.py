"""Applies lambda twice in the recursion: A_t = delta_t + gamma * lam^2 * A_{t+1}."""

import numpy as np

EXPECTED_FAILURE = "check_gae_hand_worked"


def gae(rewards, values, *, gamma=1.0, lam=0.95, dones=None, last_value=0.0):
    r, v = np.asarray(rewards, float), np.asarray(values, float)
    alive = 1.0 if dones is None else 1.0 - np.asarray(dones, float)
    alive = np.broadcast_to(alive, r.shape)
    next_v = np.concatenate([v[..., 1:], np.broadcast_to(last_value, r.shape[:-1])[..., None]], axis=-1)
    delta = r + gamma * next_v * alive - v
    adv = np.zeros_like(r)
    running = np.zeros(r.shape[:-1])
    for t in range(r.shape[-1] - 1, -1, -1):
        running = delta[..., t] + gamma * lam * lam * alive[..., t] * running
        adv[..., t] = running
    return adv, adv + v
