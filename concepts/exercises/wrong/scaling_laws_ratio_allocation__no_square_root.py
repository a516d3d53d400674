"""Solves 6 r N = C instead of 6 r N^2 = C: forgets that D grows with N, so N = C / (6 r)."""

from __future__ import annotations

EXPECTED_FAILURE = "check_ratio_hand_worked"


def compute_optimal_by_ratio(compute, *, tokens_per_param=20.0):
    if compute <= 0 or tokens_per_param <= 0:
        raise ValueError("compute and tokens_per_param must be positive")
    n = compute / (6.0 * tokens_per_param)
    return n, tokens_per_param * n
