"""Clamps the norms like PyTorch (eps = 1e-8), so a zero vector silently gets cosine 0 instead of an error."""

import numpy as np

EXPECTED_FAILURE = "check_cosine_zero_vector"


def cosine_similarity(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale_a = np.maximum(np.abs(a).max(axis=-1, keepdims=True), 1e-300)
    scale_b = np.maximum(np.abs(b).max(axis=-1, keepdims=True), 1e-300)
    a, b = a / scale_a, b / scale_b
    norms = np.maximum(np.linalg.norm(a, axis=-1), 1e-8) * np.maximum(np.linalg.norm(b, axis=-1), 1e-8)
    return (a * b).sum(-1) / norms
