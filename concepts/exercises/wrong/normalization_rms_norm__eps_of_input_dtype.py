"""Reads eps=None as the input dtype's own epsilon (float16's 9.8e-4), not float32's as nn.RMSNorm does."""

import numpy as np

EXPECTED_FAILURE = "check_rms_default_eps"


def rms_norm(x, normalized_shape, weight=None, *, eps=None):
    x = np.asarray(x)
    x = x.astype(np.float64) if x.dtype.kind in "iub" else x
    n = 1 if np.ndim(normalized_shape) == 0 else len(normalized_shape)
    axes = tuple(range(-n, 0))
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps  # float16 -> 9.8e-4
    work = x.astype(np.float32) if x.dtype == np.float16 else x
    y = work / np.sqrt((work**2).mean(axis=axes, keepdims=True) + eps)
    return y if weight is None else y * weight
