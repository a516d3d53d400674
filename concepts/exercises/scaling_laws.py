"""Checks for the scaling-law exercises: a budget split by a tokens-per-parameter ratio, and Chinchilla's optimum.

The ratio split is checked against values derived by hand and against the two identities
that define it (``6 N D = C`` and ``D = r N``). The compute-optimal split is checked
against a generic minimiser: the zero of the slope of the parametric loss along the
iso-FLOP line ``D = C / (6N)`` (convex in ``log N``), found by bisection. Our closed form
is never the reference. ``tests/concepts/test_scaling_laws.py`` runs the same checks on
``concepts.scaling_laws``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts.exercises._harness import check, compare, expect
from concepts.scaling_laws import CHINCHILLA, ParametricLaw

__all__ = ["CHECKS", "iso_flop_minimum"]

# Laws to minimise: the published fit, the same with the exponents to four digits, a refit
# with beta > alpha (Besiroglu et al., 2024) and a made-up law far from the others.
LAWS = [
    CHINCHILLA,
    ParametricLaw(1.69, 406.4, 410.7, 0.3392, 0.2849),
    ParametricLaw(1.8172, 482.01, 2085.43, 0.3478, 0.3658),
    ParametricLaw(2.0, 50.0, 3000.0, 0.2, 0.45),
]
BUDGETS = [1e18, 1e21, 5.76e23, 1e26]


def iso_flop_minimum(compute: float, law: ParametricLaw) -> tuple[float, float]:
    """``(N, D)`` minimising ``L(N, C / 6N)`` by bisection on its slope in ``log N`` (not the closed form).

    Along the iso-FLOP line the loss is ``A e^(-alpha x) + B e^(-beta (c - x))`` with
    ``x = log N`` and ``c = log(C / 6)``: convex in ``x``, so its minimum is where the
    slope changes sign, which bisection finds to the last bit.
    """
    log_c6 = math.log(compute / 6.0)

    def slope(log_n: float) -> float:  # d L / d log N; E drops out
        return -law.alpha * law.A * math.exp(-law.alpha * log_n) + law.beta * law.B * math.exp(
            -law.beta * (log_c6 - log_n)
        )

    lo, hi = -50.0, log_c6 + 50.0  # slope < 0 at lo and > 0 at hi for every law checked here
    for _ in range(200):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if slope(mid) < 0 else (lo, mid)
    log_n = (lo + hi) / 2.0
    return math.exp(log_n), math.exp(log_c6 - log_n)


def _pair(got: object, what: str) -> tuple[float, float]:
    expect(
        isinstance(got, tuple | list) and len(got) == 2,
        f"return a tuple (n_params, n_tokens); got {type(got).__name__} {got!r} for {what}",
    )
    return float(got[0]), float(got[1])


# ---------------------------------------------------------------- scaling_laws.ratio-allocation


@check(
    "a budget worked by hand: C = 1.2e22 with 20 tokens per parameter gives N = 1e10, D = 2e11",
    section="scaling-laws-twenty",
)
def check_ratio_hand_worked(candidate: Callable) -> None:
    """6 N (20 N) = 120 N^2 = 1.2e22, so N^2 = 1e20; with 5 tokens per parameter 30 N^2 = 1.2e22, N = 2e10."""
    for compute, ratio, want in ((1.2e22, 20.0, (1e10, 2e11)), (1.2e22, 5.0, (2e10, 1e11))):
        got = _pair(candidate(compute, tokens_per_param=ratio), f"compute={compute:g}")
        compare(got, want, inputs={"compute": compute, "tokens_per_param": ratio}, rtol=1e-9, atol=0)
    got = _pair(candidate(1.2e22), "compute=1.2e22 with the default ratio")
    compare(
        got, (1e10, 2e11), inputs={"compute": 1.2e22}, what="the default (20 tokens per parameter)", rtol=1e-9, atol=0
    )


@check("the split spends exactly the budget, 6 N D = C, with D = r N", section="scaling-laws-six-nd")
def check_ratio_spends_budget(candidate: Callable) -> None:
    for compute in (1e18, 1e21, 5.76e23, 1e26):
        for ratio in (1.0, 20.0, 100.0):
            n, d = _pair(candidate(compute, tokens_per_param=ratio), f"compute={compute:g}")
            inputs = {"compute": compute, "tokens_per_param": ratio}
            compare(6.0 * n * d, compute, inputs=inputs, what="6 * n_params * n_tokens", rtol=1e-9, atol=0)
            compare(d / n, ratio, inputs=inputs, what="n_tokens / n_params", rtol=1e-9, atol=0)


@check("a budget or ratio that is not positive raises ValueError", section="scaling-laws-twenty")
def check_ratio_rejects_bad_input(candidate: Callable) -> None:
    for compute, ratio in ((0.0, 20.0), (-1e20, 20.0), (1e20, 0.0), (1e20, -5.0)):
        try:
            candidate(compute, tokens_per_param=ratio)
        except ValueError:
            continue
        raise AssertionError(
            f"compute={compute:g}, tokens_per_param={ratio:g} must raise ValueError; nothing was raised"
        )


# ---------------------------------------------------------------- scaling_laws.compute-optimal


@check(
    "a symmetric law worked by hand: alpha = beta and A = B give N = D = sqrt(C / 6)",
    section="scaling-laws-compute-optimal",
)
def check_optimal_hand_worked(candidate: Callable) -> None:
    """With alpha = beta = 0.5 and A = B, G = 1 and a = b = 1/2: N = D = (C/6)^(1/2) = 1e10 for C = 6e20."""
    law = ParametricLaw(1.69, 100.0, 100.0, 0.5, 0.5)
    got = _pair(candidate(6e20, law=law), "compute=6e20")
    compare(got, (1e10, 1e10), inputs={"compute": 6e20, "law": np.array(law)}, rtol=1e-9, atol=0)


@check("the optimum spends exactly the budget: 6 N D = C", section="scaling-laws-six-nd")
def check_optimal_spends_budget(candidate: Callable) -> None:
    for law in LAWS:
        for compute in BUDGETS:
            n, d = _pair(candidate(compute, law=law), f"compute={compute:g}")
            inputs = {"compute": compute, "law": np.array(law)}
            compare(6.0 * n * d, compute, inputs=inputs, what="6 * n_params * n_tokens", rtol=1e-9, atol=0)


@check("N and D equal a numerical minimum of the loss along the iso-FLOP line", section="scaling-laws-compute-optimal")
def check_optimal_matches_minimiser(candidate: Callable) -> None:
    got = _pair(candidate(5.76e23), "Gopher's budget with the default law")
    compare(
        got,
        iso_flop_minimum(5.76e23, CHINCHILLA),
        inputs={"compute": 5.76e23},
        what="the default (Chinchilla's fit)",
        rtol=1e-7,
        atol=0,
    )
    for law in LAWS:
        for compute in BUDGETS:
            got = _pair(candidate(compute, law=law), f"compute={compute:g}")
            want = iso_flop_minimum(compute, law)
            compare(got, want, inputs={"compute": compute, "law": np.array(law)}, rtol=1e-7, atol=0)


CHECKS: dict[str, list] = {
    "scaling_laws.ratio-allocation": [
        check_ratio_hand_worked,
        check_ratio_spends_budget,
        check_ratio_rejects_bad_input,
    ],
    "scaling_laws.compute-optimal": [
        check_optimal_hand_worked,
        check_optimal_spends_budget,
        check_optimal_matches_minimiser,
    ],
}
