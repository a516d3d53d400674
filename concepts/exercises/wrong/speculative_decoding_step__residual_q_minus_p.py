"""At a rejection, samples from max(0, q - p) normalised instead of max(0, p - q)."""

import numpy as np

EXPECTED_FAILURE = "check_output_distribution"


def speculative_step(p, q, draft, *, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    out = []
    for i, x in enumerate(np.asarray(draft).tolist()):
        if rng.random() >= min(1.0, p[i, x] / q[i, x]):
            r = np.maximum(q[i] - p[i], 0.0)
            r = p[i] if r.sum() == 0 else r / r.sum()
            return np.array([*out, rng.choice(len(r), p=r)])
        out.append(x)
    return np.array([*out, rng.choice(p.shape[1], p=p[-1])])
