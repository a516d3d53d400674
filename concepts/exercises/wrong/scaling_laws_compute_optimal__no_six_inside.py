"""Forgets the 6 inside the closed form: N = G C^a instead of G (C/6)^a (D still spends the budget)."""

from __future__ import annotations

EXPECTED_FAILURE = "check_optimal_matches_minimiser"


def compute_optimal(compute, *, law=None):
    from concepts.scaling_laws import CHINCHILLA

    law = law or CHINCHILLA
    g = (law.alpha * law.A / (law.beta * law.B)) ** (1.0 / (law.alpha + law.beta))
    n = g * compute ** (law.beta / (law.alpha + law.beta))
    return n, (compute / 6.0) / n
