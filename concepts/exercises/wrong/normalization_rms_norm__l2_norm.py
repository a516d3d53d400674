"""Divides by the Euclidean norm of the token instead of its root mean square (off by a factor sqrt(N))."""

import numpy as np

EXPECTED_FAILURE = "check_rms_hand_worked"


def rms_norm(x, normalized_shape, weight=None, *, eps=None):
    x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32))
    n = 1 if np.ndim(normalized_shape) == 0 else len(normalized_shape)
    axes = tuple(range(-n, 0))
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps
    y = x / np.sqrt((x**2).sum(axis=axes, keepdims=True) + eps)
    return y if weight is None else y * weight
