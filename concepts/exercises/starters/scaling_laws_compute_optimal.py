"""Exercise scaling_laws.compute-optimal: Chinchilla's compute-optimal model size and data.

Check your solution with ``python -m quiz check scaling_laws.compute-optimal <this file>``.
"""

from __future__ import annotations

from typing import NamedTuple

from numpy.typing import ArrayLike


class ParametricLaw(NamedTuple):
    """The constants of ``L(N, D) = E + A / N^alpha + B / D^beta``."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float


CHINCHILLA = ParametricLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)  # Hoffmann et al. (2022)


def compute_optimal(compute: ArrayLike, *, law: ParametricLaw = CHINCHILLA) -> tuple[float, float]:
    """The ``N`` and ``D`` that minimise ``L(N, D)`` among the runs that cost ``compute`` FLOPs.

    Specification:

    - The loss is ``L(N, D) = E + A / N^alpha + B / D^beta`` with the constants of ``law``
      (read them as ``law.A``, ``law.alpha``, ...): ``N`` parameters, ``D`` training tokens.
    - A run costs ``C = 6 N D`` FLOPs. Minimise the loss subject to ``6 N D = compute``:
      substitute ``D = C / (6N)``, set the derivative in ``N`` to zero and solve. The answer
      is a power of ``C / 6`` times a constant that depends on ``A, B, alpha, beta``.
    - Return ``(n_params, n_tokens)`` as floats for a scalar budget.

    >>> law = ParametricLaw(E=1.69, A=100.0, B=100.0, alpha=0.5, beta=0.5)
    >>> n, d = compute_optimal(6e20, law=law)  # a symmetric law: N = D = sqrt(C / 6)
    >>> round(n / 1e10, 6), round(d / 1e10, 6)
    (1.0, 1.0)
    """
    raise NotImplementedError("write this function")
