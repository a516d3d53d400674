"""Subtracts the mean before dividing by the root mean square: that is LayerNorm without its shift, not RMSNorm."""

import numpy as np

EXPECTED_FAILURE = "check_rms_hand_worked"


def rms_norm(x, normalized_shape, weight=None, *, eps=None):
    x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32))
    n = 1 if np.ndim(normalized_shape) == 0 else len(normalized_shape)
    axes = tuple(range(-n, 0))
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps
    c = x - x.mean(axis=axes, keepdims=True)
    y = c / np.sqrt((c**2).mean(axis=axes, keepdims=True) + eps)
    return y if weight is None else y * weight
