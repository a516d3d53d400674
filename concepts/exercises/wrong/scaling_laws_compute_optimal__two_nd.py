"""Uses C = 2ND (the forward pass only) in the closed form: (C/2) where (C/6) belongs."""

from __future__ import annotations

EXPECTED_FAILURE = "check_optimal_spends_budget"


def compute_optimal(compute, *, law=None):
    from concepts.scaling_laws import CHINCHILLA

    law = law or CHINCHILLA
    g = (law.alpha * law.A / (law.beta * law.B)) ** (1.0 / (law.alpha + law.beta))
    n = g * (compute / 2.0) ** (law.beta / (law.alpha + law.beta))
    return n, (compute / 2.0) / n
