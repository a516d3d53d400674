"""Always appends a bonus token from p[g], even after a rejection: the step emits one token too many."""

import numpy as np

EXPECTED_FAILURE = "check_deterministic_steps"


def speculative_step(p, q, draft, *, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    out = []
    for i, x in enumerate(np.asarray(draft).tolist()):
        if rng.random() >= min(1.0, p[i, x] / q[i, x]):
            r = np.maximum(p[i] - q[i], 0.0)
            out.append(rng.choice(len(r), p=r / r.sum()))
            break
        out.append(x)
    return np.array([*out, rng.choice(p.shape[1], p=p[-1])])
