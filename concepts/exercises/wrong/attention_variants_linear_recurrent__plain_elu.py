"""Uses elu(x) without the + 1: the features can be negative, so the normaliser can be near 0 or negative."""

import numpy as np

EXPECTED_FAILURE = "check_recurrent_matches_parallel"


def linear_attention_recurrent(q, k, v):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    fq = np.where(q > 0, q, np.expm1(np.minimum(q, 0)))  # elu(q), missing + 1
    fk = np.where(k > 0, k, np.expm1(np.minimum(k, 0)))
    S, z = np.zeros((q.shape[1], v.shape[1])), np.zeros(q.shape[1])
    out = np.empty((q.shape[0], v.shape[1]))
    for i in range(q.shape[0]):
        S += np.outer(fk[i], v[i])
        z += fk[i]
        out[i] = fq[i] @ S / (fq[i] @ z)
    return out, S, z
