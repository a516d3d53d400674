"""Swaps the exponents: N grows as C^(alpha / (alpha + beta)), the data's exponent, not C^(beta / (alpha + beta))."""

from __future__ import annotations

EXPECTED_FAILURE = "check_optimal_matches_minimiser"


def compute_optimal(compute, *, law=None):
    from concepts.scaling_laws import CHINCHILLA

    law = law or CHINCHILLA
    g = (law.alpha * law.A / (law.beta * law.B)) ** (1.0 / (law.alpha + law.beta))
    n = g * (compute / 6.0) ** (law.alpha / (law.alpha + law.beta))
    return n, (compute / 6.0) / n
