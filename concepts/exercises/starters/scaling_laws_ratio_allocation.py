"""Exercise scaling_laws.ratio-allocation: split a training budget with a tokens-per-parameter rule.

Check your solution with ``python -m quiz check scaling_laws.ratio-allocation <this file>``.
"""

from __future__ import annotations

from numpy.typing import ArrayLike


def compute_optimal_by_ratio(compute: ArrayLike, *, tokens_per_param: float = 20.0) -> tuple[float, float]:
    """The model size ``N`` and token count ``D`` that spend ``compute`` FLOPs with ``D = r N``.

    Specification:

    - Training a model of ``N`` parameters on ``D`` tokens costs ``C = 6 N D`` FLOPs: 2 per
      parameter per token in the forward pass, 4 in the backward pass.
    - Chinchilla's rule of thumb trains on about ``r = 20`` tokens per parameter; the
      ratio is the keyword ``tokens_per_param``.
    - Return ``(n_params, n_tokens)`` as floats for a scalar budget, so that
      ``6 * n_params * n_tokens == compute`` and ``n_tokens == tokens_per_param * n_params``.
    - Raise ``ValueError`` when ``compute`` or ``tokens_per_param`` is not positive.

    >>> n, d = compute_optimal_by_ratio(1.2e22)
    >>> round(n / 1e9, 3), round(d / 1e9, 3)  # billions of parameters, billions of tokens
    (10.0, 200.0)
    """
    raise NotImplementedError("write this function")
