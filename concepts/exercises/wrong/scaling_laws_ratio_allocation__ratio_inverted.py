"""Reads "20 tokens per parameter" as 20 parameters per token: D = N / r instead of D = r N."""

from __future__ import annotations

import math

EXPECTED_FAILURE = "check_ratio_spends_budget"


def compute_optimal_by_ratio(compute, *, tokens_per_param=20.0):
    if compute <= 0 or tokens_per_param <= 0:
        raise ValueError("compute and tokens_per_param must be positive")
    n = math.sqrt(compute * tokens_per_param / 6.0)
    return n, n / tokens_per_param
