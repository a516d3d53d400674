"""Samples max(0, p - q) by inverse CDF without normalising it: the missing mass falls on the last token."""

import numpy as np

EXPECTED_FAILURE = "check_output_distribution"


def speculative_step(p, q, draft, *, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    out = []
    for i, x in enumerate(np.asarray(draft).tolist()):
        if rng.random() >= min(1.0, p[i, x] / q[i, x]):
            cdf = np.cumsum(np.maximum(p[i] - q[i], 0.0))  # ends below 1
            y = min(int(np.searchsorted(cdf, rng.random(), side="right")), p.shape[1] - 1)
            return np.array([*out, y])
        out.append(x)
    return np.array([*out, rng.choice(p.shape[1], p=p[-1])])
