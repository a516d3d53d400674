"""Prices a training token at 2N FLOPs (the forward pass only), so the model spends three times the budget."""

from __future__ import annotations

import math

EXPECTED_FAILURE = "check_ratio_spends_budget"


def compute_optimal_by_ratio(compute, *, tokens_per_param=20.0):
    if compute <= 0 or tokens_per_param <= 0:
        raise ValueError("compute and tokens_per_param must be positive")
    n = math.sqrt(compute / (2.0 * tokens_per_param))
    return n, tokens_per_param * n
