"""Scaling laws: training compute C = 6ND, Chinchilla's parametric loss and its compute-optimal split.

Follows Kaplan et al. (2020), "Scaling Laws for Neural Language Models" (the FLOP count of
Table 1 and the power laws of section 1.2), and Hoffmann et al. (2022), "Training
Compute-Optimal Large Language Models" (Chinchilla): the parametric loss of section 3.3,
``L(N, D) = E + A / N^alpha + B / D^beta``, with the fitted constants of Approach 3
(appendix D.2), and its minimum under ``C = 6 N D`` in closed form (equation 4).

Conventions: ``N`` is the number of non-embedding parameters (Kaplan's count: the weight
matrices of the blocks; embeddings, biases and norms left out), ``D`` the number of
training tokens, ``C`` training FLOPs with one multiply-add counted as two FLOPs. The
FLOP count per token is ``concepts.transformer.transformer_flops``, reused here;
:func:`measure_training_flops_torch` checks it on a real forward and backward pass.
Left out: fitting the parametric law itself (the paper minimises a Huber loss of log
losses with L-BFGS), learning-rate schedules, data-constrained and inference-aware laws.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import (
    as_array,
    require_finite,
    require_positive,
    require_positive_int,
    require_rng,
    require_torch,
)
from concepts.transformer import transformer_flops

if TYPE_CHECKING:
    import torch

__all__ = [
    "CHINCHILLA",
    "GOPHER_FLOPS",
    "KAPLAN",
    "ParametricLaw",
    "PowerLawFit",
    "chinchilla_loss",
    "compute_optimal",
    "compute_optimal_by_ratio",
    "exact_to_6n_ratio",
    "fit_power_law",
    "kaplan_loss",
    "measure_training_flops_torch",
    "noisy_losses",
    "non_embedding_param_count",
    "optimal_exponents",
    "training_flops",
]


class ParametricLaw(NamedTuple):
    """The constants of ``L(N, D) = E + A / N^alpha + B / D^beta`` (loss in nats per token)."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float


CHINCHILLA = ParametricLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)  # Hoffmann et al., appendix D.2
GOPHER_FLOPS = 5.76e23  # Gopher's training budget: 280B parameters on 300B tokens (Hoffmann et al., Table 3)
KAPLAN = {"alpha_n": 0.076, "n_c": 8.8e13, "alpha_d": 0.095, "d_c": 5.4e13, "n_opt_exponent": 0.73}


def _positive_array(x: ArrayLike, name: str) -> np.ndarray:
    arr = as_array(x, name)
    if not np.all(arr > 0):  # also refuses NaN
        raise ValueError(f"{name} must be positive; got {x!r}")
    return arr


def _out(x: np.ndarray) -> float | np.ndarray:
    return float(x) if x.ndim == 0 else x


def training_flops(n_params: ArrayLike, n_tokens: ArrayLike) -> float | np.ndarray:
    """Training compute ``C = 6 N D``: 2 FLOPs per parameter per token forward, 4 backward.

    Each weight is one multiply-add (2 FLOPs) per token in the forward pass; the backward
    pass needs two products of the same size, one for the gradient of the input and one
    for the gradient of the weight. The attention scores and the output layer are left
    out: see ``concepts.transformer.transformer_flops`` for the full count.

    :param n_params: non-embedding parameters ``N`` (array-like, positive).
    :param n_tokens: training tokens ``D`` (array-like, positive; broadcast with ``N``).
    :returns: FLOPs, a float for scalar inputs.
    :raises ValueError: for a non-positive count.

    >>> from concepts.scaling_laws import training_flops
    >>> f"{training_flops(70e9, 1.4e12):.3g}"  # Chinchilla: 70B parameters, 1.4T tokens
    '5.88e+23'
    """
    n, d = _positive_array(n_params, "n_params"), _positive_array(n_tokens, "n_tokens")
    return _out(6.0 * n * d)  # C = 2ND (forward) + 4ND (backward)


def non_embedding_param_count(num_layers: int, d_model: int, *, d_ff: int | None = None) -> int:
    """Kaplan's ``N``: ``num_layers * (4 d_model^2 + 2 d_model d_ff)``, ``12 num_layers d_model^2`` for ``d_ff = 4 d``.

    The four attention projections and the two FFN matrices of every block; token and
    position embeddings (and the output layer, tied to them in GPT-2) are not counted,
    nor biases and norms, which are sub-leading.

    :raises ValueError: for a size that is not a positive integer.

    >>> from concepts.scaling_laws import non_embedding_param_count
    >>> non_embedding_param_count(96, 12288)  # GPT-3 175B: its non-embedding parameters
    173946175488
    """
    num_layers, d_model = require_positive_int(num_layers, "num_layers"), require_positive_int(d_model, "d_model")
    d_ff = 4 * d_model if d_ff is None else require_positive_int(d_ff, "d_ff")
    return num_layers * (4 * d_model * d_model + 2 * d_model * d_ff)


def exact_to_6n_ratio(
    num_layers: int, d_model: int, seq_len: int, *, vocab_size: int = 0, is_causal: bool = True
) -> float:
    """The full training FLOPs per token over ``6N``: ``1 + seq_len / (12 d_model)`` for a causal stack.

    The numerator is ``concepts.transformer.transformer_flops`` with ``training=True``:
    ``6N`` plus three times the attention term Kaplan et al. add to ``2N`` (Table 1),
    ``2 num_layers seq_len d_model`` per token forward for the causal half of the scores
    (twice that when a dense kernel computes the whole square, ``is_causal=False``), plus
    ``6 d_model vocab_size`` for an output layer when ``vocab_size`` is given. With
    ``d_ff = 4 d_model`` the attention share is ``seq_len / (12 d_model)``.

    :raises ValueError: for a size that is not a positive integer.

    >>> from concepts.scaling_laws import exact_to_6n_ratio
    >>> round(exact_to_6n_ratio(96, 12288, 2048), 5)  # GPT-3 175B: 6ND misses 1.4%
    1.01389
    """
    n = non_embedding_param_count(num_layers, d_model)
    full = transformer_flops(num_layers, d_model, seq_len, vocab_size=vocab_size, is_causal=is_causal, training=True)
    return full / (6 * n)


def measure_training_flops_torch(
    num_layers: int,
    d_model: int,
    seq_len: int,
    *,
    num_heads: int = 4,
    vocab_size: int = 32,
    batch: int = 1,
    generator: torch.Generator | None = None,
) -> dict[str, int]:
    """Count the FLOPs of one forward and one backward pass of a tiny decoder with ``FlopCounterMode``.

    The model is ``concepts.kv_cache.TinyDecoder`` (pre-LN, ``d_ff = 4 d_model``,
    attention written as two matrix products, so every score of the ``seq_len x seq_len``
    square is computed) in float32 with random weights. PyTorch's counter counts matrix
    products only, two FLOPs per multiply-add; the loss is the sum of the logits.

    :param generator: draws the weights, then the token ids (seed 0 when ``None``).
    :returns: ``{"forward": ..., "backward": ...}`` for ``batch * seq_len`` tokens.
    :raises ValueError: for a size that is not a positive integer, or ``num_heads`` not dividing ``d_model``.

    >>> from concepts.scaling_laws import measure_training_flops_torch
    >>> measure_training_flops_torch(2, 32, 16)  # 16 tokens: 2N = 49,152 per token, plus attention and output
    {'forward': 884736, 'backward': 1769472}
    """
    torch = require_torch()
    from torch.utils.flop_counter import FlopCounterMode

    from concepts.kv_cache import TinyConfig, TinyDecoder

    batch, seq_len = require_positive_int(batch, "batch"), require_positive_int(seq_len, "seq_len")
    config = TinyConfig(vocab_size, seq_len, d_model, num_layers, num_heads, num_heads, "float32")
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    model = TinyDecoder(config, generator=gen)
    idx = torch.randint(0, vocab_size, (batch, seq_len), generator=gen)  # (batch, seq_len)
    with FlopCounterMode(display=False) as counter:
        logits = model(idx)  # (batch, seq_len, vocab_size)
    forward = counter.get_total_flops()
    with FlopCounterMode(display=False) as counter:
        logits.sum().backward()
    return {"forward": int(forward), "backward": int(counter.get_total_flops())}


def chinchilla_loss(n_params: ArrayLike, n_tokens: ArrayLike, *, law: ParametricLaw = CHINCHILLA) -> float | np.ndarray:
    """Chinchilla's parametric loss ``L(N, D) = E + A / N^alpha + B / D^beta`` (nats per token).

    ``E`` is the loss of an ideal model (the entropy of text); ``A / N^alpha`` is what a
    finite model costs when trained to convergence, ``B / D^beta`` what finite data costs.

    :param n_params: parameters ``N`` (array-like, positive).
    :param n_tokens: training tokens ``D`` (array-like, positive; broadcast with ``N``).
    :param law: the constants; Hoffmann et al.'s fit by default.
    :returns: the predicted loss, a float for scalar inputs.
    :raises ValueError: for a non-positive count.

    >>> from concepts.scaling_laws import chinchilla_loss
    >>> round(chinchilla_loss(70e9, 1.4e12), 4), round(chinchilla_loss(280e9, 300e9), 4)  # Chinchilla, Gopher
    (1.9366, 1.9933)
    """
    n, d = _positive_array(n_params, "n_params"), _positive_array(n_tokens, "n_tokens")
    return _out(law.E + law.A / n**law.alpha + law.B / d**law.beta)


def optimal_exponents(alpha: float, beta: float) -> tuple[float, float]:
    """Exponents of ``N_opt ∝ C^a`` and ``D_opt ∝ C^b``: ``a = beta / (alpha + beta)``, ``b = alpha / (alpha + beta)``.

    The model grows with the *data* exponent: the term that falls off faster deserves less
    of the budget. ``a + b = 1`` because ``N D = C / 6``.

    >>> from concepts.scaling_laws import optimal_exponents
    >>> [round(x, 4) for x in optimal_exponents(0.34, 0.28)]
    [0.4516, 0.5484]
    """
    alpha, beta = require_positive(alpha, "alpha"), require_positive(beta, "beta")
    return beta / (alpha + beta), alpha / (alpha + beta)


def compute_optimal(compute: ArrayLike, *, law: ParametricLaw = CHINCHILLA) -> tuple[float, float]:
    """The ``N`` and ``D`` that minimise ``L(N, D)`` under ``6 N D = C`` (Hoffmann et al., equation 4).

    ``N_opt = G (C/6)^a`` and ``D_opt = (C/6) / N_opt = G^-1 (C/6)^b``, with
    ``G = (alpha A / (beta B))^(1 / (alpha + beta))`` and ``a, b`` from
    :func:`optimal_exponents`. ``E`` does not move the optimum.

    :param compute: training FLOPs ``C`` (array-like, positive).
    :returns: ``(N_opt, D_opt)``, floats for a scalar budget, arrays otherwise.
    :raises ValueError: for a non-positive budget.

    >>> from concepts.scaling_laws import GOPHER_FLOPS, compute_optimal
    >>> n, d = compute_optimal(GOPHER_FLOPS)  # the rounded published constants
    >>> f"{n:.3g} parameters, {d:.3g} tokens"
    '3.22e+10 parameters, 2.98e+12 tokens'
    """
    c = _positive_array(compute, "compute")
    a, _ = optimal_exponents(law.alpha, law.beta)
    g = (law.alpha * law.A / (law.beta * law.B)) ** (1.0 / (law.alpha + law.beta))
    n_opt = g * (c / 6.0) ** a  # N_opt = G (C/6)^(beta / (alpha + beta))
    return _out(n_opt), _out((c / 6.0) / n_opt)  # D_opt = (C/6) / N_opt


def compute_optimal_by_ratio(compute: ArrayLike, *, tokens_per_param: float = 20.0) -> tuple[float, float]:
    """``N`` and ``D`` for a budget under the rule of thumb ``D = r N`` (``r`` about 20): ``N = sqrt(C / 6r)``.

    From ``C = 6 N D = 6 r N^2``. Approaches 1 and 2 of Hoffmann et al. find ``N`` and
    ``D`` growing as ``C^0.5`` each, which makes the ratio a constant, close to 20.

    :raises ValueError: for a non-positive budget or ratio.

    >>> from concepts.scaling_laws import compute_optimal_by_ratio
    >>> n, d = compute_optimal_by_ratio(5.76e23)
    >>> f"{n:.3g} parameters, {d:.3g} tokens"
    '6.93e+10 parameters, 1.39e+12 tokens'
    """
    c = _positive_array(compute, "compute")
    r = require_positive(tokens_per_param, "tokens_per_param")
    n = np.sqrt(c / (6.0 * r))  # C = 6 N (r N)
    return _out(n), _out(r * n)


def kaplan_loss(n_params: ArrayLike, n_tokens: ArrayLike = np.inf) -> float | np.ndarray:
    """Kaplan et al.'s ``L(N, D) = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D`` (equation 1.5).

    With ``n_tokens`` infinite it is ``L(N) = (N_c / N)^alpha_N`` (alpha_N = 0.076,
    N_c = 8.8e13 non-embedding parameters); with ``n_params`` infinite,
    ``L(D) = (D_c / D)^alpha_D`` (alpha_D = 0.095, D_c = 5.4e13 tokens). Losses in nats
    per token on WebText2; no irreducible term.

    :raises ValueError: for a non-positive count.

    >>> from concepts.scaling_laws import kaplan_loss
    >>> round(kaplan_loss(1e9), 4), round(kaplan_loss(1e9, 20e9), 4)
    (2.3756, 2.4354)
    """
    n, d = _positive_array(n_params, "n_params"), _positive_array(n_tokens, "n_tokens")
    k = KAPLAN
    return _out(((k["n_c"] / n) ** (k["alpha_n"] / k["alpha_d"]) + k["d_c"] / d) ** k["alpha_d"])


class PowerLawFit(NamedTuple):
    """``y = coef * x^(-exponent)`` fitted in log space, with the standard error of the exponent."""

    coef: float
    exponent: float
    exponent_stderr: float


def fit_power_law(x: ArrayLike, y: ArrayLike) -> PowerLawFit:
    """Fit ``y = c x^(-k)`` by least squares on ``log y = log c - k log x`` (``numpy.linalg.lstsq``).

    The standard error is the usual one of a regression slope, from the residual variance
    with ``n - 2`` degrees of freedom.

    :param x: positive abscissae, shape ``(n,)`` with ``n >= 3`` and at least two distinct values.
    :param y: positive values, shape ``(n,)``.
    :raises ValueError: for other shapes, non-positive values or a single distinct ``x``.

    >>> from concepts.scaling_laws import fit_power_law
    >>> fit = fit_power_law([1.0, 10.0, 100.0], [5.0, 0.5, 0.05])
    >>> round(fit.coef, 6), round(fit.exponent, 6)
    (5.0, 1.0)
    """
    x, y = _positive_array(x, "x"), _positive_array(y, "y")
    if x.ndim != 1 or x.shape != y.shape or x.size < 3:
        raise ValueError(f"x and y must have the same shape (n,) with n >= 3; got {x.shape} and {y.shape}")
    if np.ptp(np.log(x)) == 0:
        raise ValueError("x must take at least two distinct values to fit an exponent")
    design = np.stack([np.ones_like(x), np.log(x)], axis=1)  # (n, 2): [1, log x]
    (log_c, slope), *_ = np.linalg.lstsq(design, np.log(y), rcond=None)
    residual = np.log(y) - design @ np.array([log_c, slope])
    sigma2 = residual @ residual / (x.size - 2)
    stderr = math.sqrt(sigma2 / np.sum((np.log(x) - np.log(x).mean()) ** 2))
    return PowerLawFit(float(np.exp(log_c)), float(-slope), stderr)


def noisy_losses(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    *,
    noise: float = 0.01,
    law: ParametricLaw = CHINCHILLA,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Synthetic final losses: :func:`chinchilla_loss` times ``exp(noise * z)``, ``z`` standard normal.

    Stands in for a sweep of training runs: ``noise`` is the relative spread of a run's
    final loss (seed, data order).

    :raises ValueError: for a non-positive count or a negative ``noise``.

    >>> from concepts.scaling_laws import noisy_losses
    >>> noisy_losses([1e8, 1e9], 20e9, noise=0.0).round(4).tolist()
    [3.0005, 2.58]
    """
    if require_finite(noise, "noise") < 0:
        raise ValueError(f"noise must be >= 0; got {noise!r}")
    clean = np.asarray(chinchilla_loss(n_params, n_tokens, law=law))
    return clean * np.exp(noise * require_rng(rng).standard_normal(clean.shape))
