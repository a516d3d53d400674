"""Drops the normaliser z: returns phi(q_i)^T S, a sum that grows with the length instead of an average."""

import numpy as np

EXPECTED_FAILURE = "check_recurrent_by_hand"


def linear_attention_recurrent(q, k, v):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    fq = np.where(q > 0, q + 1, np.exp(np.minimum(q, 0)))
    fk = np.where(k > 0, k + 1, np.exp(np.minimum(k, 0)))
    S, z = np.zeros((q.shape[1], v.shape[1])), np.zeros(q.shape[1])
    out = np.empty((q.shape[0], v.shape[1]))
    for i in range(q.shape[0]):
        S += np.outer(fk[i], v[i])
        z += fk[i]
        out[i] = fq[i] @ S  # no division by phi(q_i) . z
    return out, S, z
