"""Ignores dones: the advantage bootstraps from, and sums over, the next episode's steps."""

import numpy as np

EXPECTED_FAILURE = "check_gae_dones"


def gae(rewards, values, *, gamma=1.0, lam=0.95, dones=None, last_value=0.0):
    r, v = np.asarray(rewards, float), np.asarray(values, float)
    next_v = np.concatenate([v[..., 1:], np.broadcast_to(last_value, r.shape[:-1])[..., None]], axis=-1)
    delta = r + gamma * next_v - v
    adv = np.zeros_like(r)
    running = np.zeros(r.shape[:-1])
    for t in range(r.shape[-1] - 1, -1, -1):
        running = delta[..., t] + gamma * lam * running
        adv[..., t] = running
    return adv, adv + v
