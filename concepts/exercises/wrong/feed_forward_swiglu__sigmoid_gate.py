"""Gates with sigmoid(x W) whatever activation says: Dauphin's GLU, not SwiGLU's x W * sigmoid(x W)."""

import numpy as np

EXPECTED_FAILURE = "check_swiglu_hand_worked"


def gated_feed_forward(x, w, v, w2, *, activation="silu"):
    x, w, v, w2 = (np.asarray(a, dtype=np.float64) for a in (x, w, v, w2))
    return ((1.0 / (1.0 + np.exp(-(x @ w)))) * (x @ v)) @ w2
