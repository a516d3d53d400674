"""Keeps the sorted tokens whose running sum stays at most top_p, dropping the token that crosses it
(and so keeping nothing but the top token's fallback when the top token alone exceeds top_p)."""

import numpy as np

EXPECTED_FAILURE = "check_top_p_hand_worked"


def top_p_distribution(logits, top_p, *, temperature=1.0):
    z = np.asarray(logits, dtype=np.float64) / temperature
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    order = np.argsort(-p, axis=-1)
    s = np.take_along_axis(p, order, axis=-1)
    keep_sorted = np.cumsum(s, axis=-1) <= top_p + 1e-12
    keep_sorted[..., 0] = True  # never empty
    keep = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    q = np.where(keep, p, 0.0)
    return q / q.sum(axis=-1, keepdims=True)
