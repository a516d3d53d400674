"""Temperature, top-k, top-p and min-p: reshape and truncate a next-token distribution, then draw one token from it.

Follows nucleus (top-p) sampling as Holtzman et al. (2020), "The Curious Case of Neural Text
Degeneration", define it, min-p as Nguyen et al. (2024) define it, and by default the order
in which Hugging Face's ``generate`` applies the filters (temperature, top-k, top-p, min-p);
the order is an explicit argument. Ties at a top-k or top-p boundary are all kept, so the
result never depends on how tokens are numbered. Leaves out typical, epsilon and eta
sampling, mirostat, CTRL's repetition penalty (see the decoding page), speculative sampling,
``min_tokens_to_keep`` above 1, and different knobs for different rows of a batch. The
frequency and presence penalties follow the formula of OpenAI's API documentation; they live
in ``concepts/_sampling_penalties.py`` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_rng, require_tensor, require_torch
from concepts._sampling_penalties import apply_frequency_presence_penalty, apply_frequency_presence_penalty_torch

if TYPE_CHECKING:
    import torch

__all__ = [
    "ORDER",
    "TEMPERATURE_LAST",
    "apply_frequency_presence_penalty",
    "apply_frequency_presence_penalty_torch",
    "filtered_distribution",
    "filtered_distribution_torch",
    "gumbel_max_sample",
    "min_p_mask",
    "sample",
    "top_k_distribution",
    "top_k_mask",
    "top_p_distribution",
    "top_p_mask",
]

ORDER = ("temperature", "top_k", "top_p", "min_p")  # Hugging Face generate's order of logits processors
TEMPERATURE_LAST = ("top_k", "top_p", "min_p", "temperature")  # llama.cpp's default chain applies temperature last
TOL = 1e-12  # a cumulative sum within TOL of top_p counts as reaching it, so 0.5 + 0.25 reaches 0.75


def _check_knobs(temperature: float, top_k: int | None, top_p: float | None, min_p: float | None, order) -> None:
    """Validate the sampling knobs (shared by the NumPy and PyTorch versions)."""
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0 < temperature < math.inf:
        raise ValueError(f"temperature must be a finite number > 0 (use top_k=1 for greedy); got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1):
        raise ValueError(f"top_k must be an integer >= 1 or None; got {top_k!r}")
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, int | float) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1] or None; got {top_p!r}")
    if min_p is not None and (isinstance(min_p, bool) or not isinstance(min_p, int | float) or not 0 <= min_p <= 1):
        raise ValueError(f"min_p must be in [0, 1] or None; got {min_p!r}")
    if isinstance(order, str) or sorted(order) != sorted(ORDER):
        raise ValueError(f"order must list each of {ORDER} once; got {order!r}")


def _check_logits(shape: tuple[int, ...], bad_value: bool, dead_row: bool) -> None:
    """Validate logits of ``shape`` (shared by the NumPy and PyTorch versions)."""
    if len(shape) == 0 or shape[-1] == 0:
        raise ValueError(f"logits must have shape (..., vocab) with vocab >= 1; got {shape}")
    if bad_value:
        raise ValueError("logits must not contain NaN or +inf; -inf (a banned token) is fine")
    if dead_row:
        raise ValueError("logits must have a finite entry in every row; got a row that is all -inf")


def _as_logits(logits: ArrayLike) -> np.ndarray:
    z = as_array(logits, "logits")
    empty = z.ndim == 0 or z.shape[-1] == 0
    bad = bool(np.isnan(z).any() or (z == np.inf).any())
    _check_logits(z.shape, bad, not empty and not bad and bool((z.max(axis=-1) == -np.inf).any()))
    return z


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))  # softmax(z) = softmax(z - max z): no overflow
    return e / e.sum(axis=-1, keepdims=True)


def top_k_mask(probs: ArrayLike, k: int) -> np.ndarray:
    """Keep the ``k`` most probable tokens: ``True`` where ``p_i`` is at least the k-th largest.

    Every token tied with the k-th largest is kept too (as Hugging Face's ``TopKLogitsWarper``
    does), so the set can exceed ``k`` only at a tie. ``k`` above the vocabulary keeps all.

    :param probs: probabilities (or logits: only their order matters), shape ``(..., vocab)``.
    :param k: how many tokens to keep, at least 1.
    :returns: boolean array of shape ``(..., vocab)``.

    >>> from concepts.sampling import top_k_mask
    >>> top_k_mask([0.1, 0.5, 0.15, 0.25], 2).tolist()
    [False, True, False, True]
    >>> top_k_mask([0.5, 0.25, 0.125, 0.125], 3).tolist()  # a tie at the boundary: all kept
    [True, True, True, True]
    """
    p = np.asarray(probs, dtype=np.float64)
    vocab = p.shape[-1]
    kth = np.partition(p, vocab - min(k, vocab), axis=-1)[..., [vocab - min(k, vocab)]]  # k-th largest, (..., 1)
    return p >= kth


def top_p_mask(probs: ArrayLike, top_p: float) -> np.ndarray:
    """The nucleus: the smallest set of most probable tokens whose probabilities add up to ``top_p`` or more.

    Equivalently token ``i`` is kept when the tokens strictly more probable than it hold less
    than ``top_p`` in total, so the most probable token is always kept, and a token tied with
    the last one admitted is admitted too. ``top_p = 1`` keeps every token.

    :param probs: probabilities, shape ``(..., vocab)``, each row summing to 1.
    :param top_p: the mass to cover, in ``(0, 1]``.
    :returns: boolean array of shape ``(..., vocab)``.

    >>> from concepts.sampling import top_p_mask
    >>> top_p_mask([0.25, 0.5, 0.125, 0.125], 0.7).tolist()  # 0.5 < 0.7 <= 0.5 + 0.25
    [True, True, False, False]
    >>> top_p_mask([0.25, 0.5, 0.125, 0.125], 0.8).tolist()  # 0.875 covers it; the 0.125 tie comes along
    [True, True, True, True]
    """
    p = np.asarray(probs, dtype=np.float64)
    if top_p >= 1:
        return np.ones(p.shape, dtype=bool)
    s = -np.sort(-p, axis=-1)  # probabilities in decreasing order, (..., vocab)
    n = (np.cumsum(s, axis=-1) < top_p - TOL).sum(axis=-1, keepdims=True) + 1  # n = min{n : s_1 + ... + s_n >= p}
    tau = np.take_along_axis(s, np.minimum(n, p.shape[-1]) - 1, axis=-1)  # the last admitted probability, (..., 1)
    return p >= tau


def min_p_mask(probs: ArrayLike, min_p: float) -> np.ndarray:
    """Keep the tokens at least ``min_p`` times as probable as the most probable one: ``p_i >= min_p * p_max``.

    :param probs: probabilities, shape ``(..., vocab)``.
    :param min_p: the fraction of ``p_max`` a token needs, in ``[0, 1]``; 0 keeps all.
    :returns: boolean array of shape ``(..., vocab)``.

    >>> from concepts.sampling import min_p_mask
    >>> min_p_mask([0.5, 0.25, 0.125, 0.125], 0.3).tolist()  # threshold 0.3 * 0.5 = 0.15
    [True, True, False, False]
    """
    p = np.asarray(probs, dtype=np.float64)
    return p >= min_p * p.max(axis=-1, keepdims=True)  # p_i >= min_p * max_j p_j


MASKS = {"top_k": top_k_mask, "top_p": top_p_mask, "min_p": min_p_mask}


def filtered_distribution(
    logits: ArrayLike,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    min_p: float | None = None,
    order: Sequence[str] = ORDER,
) -> np.ndarray:
    """The exact distribution a sampler draws from, after temperature and the filters, renormalised.

    The steps run in ``order``. Temperature divides the logits; each filter computes the
    softmax of the current logits, sets the tokens it drops to ``-inf``, and so the next step
    sees a renormalised distribution. A knob left at ``None`` (or ``temperature=1``) is a no-op.

    :param logits: next-token logits, shape ``(..., vocab)``; ``-inf`` marks a banned token.
    :param temperature: ``T > 0``; the result is ``softmax(z / T)`` before filtering.
    :param top_k: keep the ``k`` most probable tokens (and any tied with the k-th).
    :param top_p: keep the nucleus of mass ``top_p`` in ``(0, 1]``.
    :param min_p: keep tokens with ``p_i >= min_p * p_max``, ``min_p`` in ``[0, 1]``.
    :param order: the four step names in the order they apply; Hugging Face's by default,
        ``TEMPERATURE_LAST`` for llama.cpp's default chain.
    :returns: float64 probabilities of shape ``(..., vocab)``, each row summing to 1.
    :raises ValueError: for empty or non-finite logits (a row all ``-inf``, NaN, ``+inf``),
        ``temperature <= 0``, ``top_k < 1``, ``top_p`` outside ``(0, 1]``, ``min_p`` outside
        ``[0, 1]``, or an ``order`` that is not a permutation of ``ORDER``.

    >>> import numpy as np
    >>> from concepts.sampling import filtered_distribution
    >>> z = np.log([0.5, 0.25, 0.125, 0.125])
    >>> np.round(filtered_distribution(z, temperature=0.5), 4).tolist()  # p^2 / sum p^2 = [16, 4, 1, 1] / 22
    [0.7273, 0.1818, 0.0455, 0.0455]
    >>> np.round(filtered_distribution(z, top_k=2), 4).tolist()
    [0.6667, 0.3333, 0.0, 0.0]
    >>> filtered_distribution(z, temperature=0.5, top_p=0.7).tolist()  # 0.7273 >= 0.7 already
    [1.0, 0.0, 0.0, 0.0]
    >>> order = ("top_p", "temperature", "top_k", "min_p")  # the nucleus of z itself is {0, 1}
    >>> np.round(filtered_distribution(z, temperature=0.5, top_p=0.7, order=order), 4).tolist()
    [0.8, 0.2, 0.0, 0.0]
    """
    _check_knobs(temperature, top_k, top_p, min_p, order)
    z = _as_logits(logits)
    knobs = {"top_k": top_k, "top_p": top_p, "min_p": min_p}
    for step in order:
        if step == "temperature":
            z = (z - z.max(axis=-1, keepdims=True)) / temperature  # z / T, shifted so a tiny T cannot overflow
        elif knobs[step] is not None:
            z = np.where(MASKS[step](_softmax(z), knobs[step]), z, -np.inf)  # dropped tokens get e^-inf = 0
    return _softmax(z)


def filtered_distribution_torch(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    min_p: float | None = None,
    order: Sequence[str] = ORDER,
) -> torch.Tensor:
    """PyTorch mirror of :func:`filtered_distribution`: same knobs, same order, same tie rule.

    Keeps the dtype and device of ``logits``; ``torch.multinomial`` can draw from the result.

    >>> import math, torch
    >>> from concepts.sampling import filtered_distribution_torch
    >>> z = torch.tensor([0.5, 0.25, 0.125, 0.125], dtype=torch.float64).log()
    >>> [round(p, 4) for p in filtered_distribution_torch(z, min_p=0.3).tolist()]
    [0.6667, 0.3333, 0.0, 0.0]
    """
    torch = require_torch()
    _check_knobs(temperature, top_k, top_p, min_p, order)
    logits = require_tensor(logits, "logits")
    empty = logits.dim() == 0 or logits.shape[-1] == 0
    bad = bool(logits.isnan().any() or (logits == math.inf).any())
    _check_logits(tuple(logits.shape), bad, not empty and not bad and bool((logits.amax(-1) == -math.inf).any()))
    z = logits
    for step in order:
        if step == "temperature":
            z = (z - z.amax(dim=-1, keepdim=True)) / temperature  # z / T
            continue
        if step == "top_k" and top_k is not None:
            p = torch.softmax(z, dim=-1)
            keep = p >= torch.topk(p, min(top_k, p.shape[-1]), dim=-1).values[..., -1:]
        elif step == "top_p" and top_p is not None and top_p < 1:
            p = torch.softmax(z, dim=-1)
            s = torch.sort(p, dim=-1, descending=True).values  # (..., vocab)
            n = (s.cumsum(dim=-1) < top_p - TOL).sum(dim=-1, keepdim=True) + 1  # smallest n with mass >= top_p
            keep = p >= s.gather(-1, n.clamp(max=p.shape[-1]) - 1)
        elif step == "min_p" and min_p is not None:
            p = torch.softmax(z, dim=-1)
            keep = p >= min_p * p.amax(dim=-1, keepdim=True)  # p_i >= min_p * p_max
        else:
            continue
        z = z.masked_fill(~keep, -math.inf)
    return torch.softmax(z, dim=-1)


def top_k_distribution(logits: ArrayLike, k: int, *, temperature: float = 1.0) -> np.ndarray:
    """``softmax(z / T)`` kept on the ``k`` most probable tokens (and any tied with the k-th), renormalised.

    The temperature-and-top-k case of :func:`filtered_distribution`, the warm-up exercise.

    >>> from concepts.sampling import top_k_distribution
    >>> [round(float(p), 4) for p in top_k_distribution([2.0, 1.0, 0.0], 2, temperature=0.5)]  # e^4 : e^2
    [0.8808, 0.1192, 0.0]
    """
    return filtered_distribution(logits, temperature=temperature, top_k=k)


def top_p_distribution(logits: ArrayLike, top_p: float, *, temperature: float = 1.0) -> np.ndarray:
    """``softmax(z / T)`` kept on the nucleus of mass ``top_p`` (the token that crosses it included), renormalised.

    The temperature-then-top-p case of :func:`filtered_distribution`, the interview exercise.

    >>> import numpy as np
    >>> from concepts.sampling import top_p_distribution
    >>> np.round(top_p_distribution(np.log([0.5, 0.3, 0.15, 0.05]), 0.75), 4).tolist()  # 0.5 < 0.75 <= 0.8
    [0.625, 0.375, 0.0, 0.0]
    """
    return filtered_distribution(logits, temperature=temperature, top_p=top_p)


def _check_draw(size: int | None) -> tuple[int, ...]:
    if size is None:
        return (1,)
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"size must be an integer >= 1 or None; got {size!r}")
    return (int(size),)


def sample(
    logits: ArrayLike,
    *,
    rng: np.random.Generator | int | None = None,
    size: int | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    min_p: float | None = None,
    order: Sequence[str] = ORDER,
) -> np.ndarray:
    """Draw token ids from :func:`filtered_distribution` by inverting its cumulative distribution.

    A uniform ``u`` in ``[0, 1)`` picks the token ``i`` with ``c_{i-1} <= u < c_i``, where ``c``
    is the running sum of the probabilities; a dropped token adds nothing to ``c``, so it is
    never picked.

    :param logits: shape ``(..., vocab)``.
    :param rng: the random source: a ``np.random.Generator``, an int seed, or None (fresh entropy).
    :param size: draws per row; ``None`` for one draw without the extra axis.
    :returns: integer token ids of shape ``(...)``, or ``(..., size)`` when ``size`` is given.
    :raises ValueError: as :func:`filtered_distribution`, or for a bad ``size``.
    :raises TypeError: for an ``rng`` that is not a Generator, an int or None.

    >>> import numpy as np
    >>> from concepts.sampling import sample
    >>> rng = np.random.default_rng(0)
    >>> z = np.log([0.25, 0.5, 0.125, 0.125])
    >>> sample(z, rng=rng, size=6, top_k=1).tolist()  # top_k=1 is greedy decoding
    [1, 1, 1, 1, 1, 1]
    >>> sorted(set(sample(z, rng=rng, size=1000, top_p=0.7).tolist()))  # the nucleus is {0, 1}
    [0, 1]
    """
    rng, extra = require_rng(rng), _check_draw(size)
    p = filtered_distribution(logits, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p, order=order)
    c = np.cumsum(p, axis=-1)
    c = c / c[..., -1:]  # the last entry is exactly 1, so every u < 1 lands on a token
    u = rng.random(p.shape[:-1] + extra)  # (..., size)
    tokens = (c[..., None, :] <= u[..., :, None]).sum(axis=-1)  # how many c_j <= u: the drawn id, (..., size)
    return tokens if size is not None else tokens[..., 0]


def gumbel_max_sample(
    logits: ArrayLike,
    *,
    rng: np.random.Generator | int | None = None,
    size: int | None = None,
    temperature: float = 1.0,
) -> np.ndarray:
    """Draw from ``softmax(z / T)`` as ``argmax(z / T + g)`` with independent standard Gumbel noise ``g``.

    No normalisation, no cumulative sum: only an argmax. ``-inf`` logits are never drawn, so
    ``np.log(filtered_distribution(...))`` samples the filtered distribution.

    :param logits: shape ``(..., vocab)``.
    :param rng: the random source: a ``np.random.Generator``, an int seed, or None.
    :param size: draws per row; ``None`` for one draw without the extra axis.
    :param temperature: ``T > 0``.
    :returns: integer token ids of shape ``(...)`` or ``(..., size)``.
    :raises ValueError: for bad logits, ``temperature`` or ``size``; TypeError for a bad ``rng``.

    >>> import numpy as np
    >>> from concepts.sampling import gumbel_max_sample
    >>> draws = gumbel_max_sample(np.log([0.5, 0.25, 0.25]), rng=0, size=100_000)
    >>> np.round(np.bincount(draws, minlength=3) / 100_000, 2).tolist()  # close to softmax = [0.5, 0.25, 0.25]
    [0.5, 0.25, 0.25]
    """
    _check_knobs(temperature, None, None, None, ORDER)
    rng, extra = require_rng(rng), _check_draw(size)
    z = _as_logits(logits)
    z = (z - z.max(axis=-1, keepdims=True)) / temperature  # z / T
    g = rng.gumbel(size=z.shape[:-1] + extra + z.shape[-1:])  # g = -log(-log U), (..., size, vocab)
    tokens = np.argmax(z[..., None, :] + g, axis=-1)  # P(argmax = i) = softmax(z / T)_i, (..., size)
    return tokens if size is not None else tokens[..., 0]
