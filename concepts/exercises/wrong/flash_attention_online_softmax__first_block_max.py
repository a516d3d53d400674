"""Keeps the first block's maximum for every later block, so a larger later score overflows exp."""

import numpy as np

EXPECTED_FAILURE = "check_online_softmax_max_later"


def online_softmax(blocks):
    m = ell = None
    for block in blocks:
        x = np.asarray(block, dtype=np.float64)
        if m is None:
            m, ell = np.full(x.shape[:-1], -np.inf), np.zeros(x.shape[:-1])
        if not ell.any() and np.all(m == -np.inf):  # the mistake: m is set once, from the first block
            m = x.max(-1)
        shift = np.where(m == -np.inf, 0.0, m)
        ell = ell + np.exp(x - shift[..., None]).sum(-1)
    return m, ell
