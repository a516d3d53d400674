"""Caps the logarithmic buckets at num_buckets instead of num_buckets - 1, so far keys spill one bucket over."""

import math

import numpy as np

EXPECTED_FAILURE = "check_bucket_hand_worked"


def relative_position_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    rel = np.asarray(relative_position, dtype=np.int64)
    bucket = np.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        bucket += (rel > 0) * num_buckets
        n = np.abs(rel)
    else:
        n = -np.minimum(rel, 0)
    max_exact = num_buckets // 2
    scaled = np.log(np.maximum(n, 1) / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    large = np.minimum(max_exact + scaled.astype(np.int64), num_buckets)
    return bucket + np.where(n < max_exact, n, large)
