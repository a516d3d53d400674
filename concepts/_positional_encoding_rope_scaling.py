"""RoPE's frequencies and the rules that rescale them to stretch the context (a private helper).

Follows RoFormer (Su et al., 2021) for the frequencies and Hugging Face ``transformers``'
``rope_type`` rules for the context extension: linear position interpolation (Chen et al.,
2023), the NTK-aware base, dynamic NTK, YaRN (Peng et al., 2023) and Llama 3.1's
frequency-band rule. The public names are re-exported by :mod:`concepts.positional_encoding`,
which is where the page and the API documentation find them; this file exists only to keep
each module short.
"""

from __future__ import annotations

import math

import numpy as np

from concepts._checks import require_positive, require_positive_int

__all__ = [
    "ROPE_SCALINGS",
    "ntk_aware_base",
    "rope_frequencies",
    "rope_scaled_frequencies",
    "yarn_attention_factor",
]


def _check_even(name: str, d: int) -> None:
    if int(d) != d or d < 2 or d % 2:
        raise ValueError(f"{name} must be a positive even integer; got {d!r}")


def rope_frequencies(head_dim: int, *, base: float = 10000.0) -> np.ndarray:
    """RoPE's angular frequencies ``theta_i = base^(-2i/d)`` for ``i < d/2``, shape ``(head_dim/2,)``.

    >>> rope_frequencies(4).tolist()
    [1.0, 0.01]
    """
    _check_even("head_dim", head_dim)
    return base ** (-np.arange(0, head_dim, 2) / head_dim)  # theta_i = base^(-2i/d)


ROPE_SCALINGS = ("linear", "ntk", "dynamic-ntk", "yarn", "llama3")


def ntk_aware_base(base: float, factor: float, head_dim: int) -> float:
    """The NTK-aware base ``base * factor^(d / (d - 2))`` for a context ``factor`` times longer.

    It is the base at which the slowest pair (``i = d/2 - 1``) turns exactly ``factor``
    times slower, as under position interpolation, while the fastest (``i = 0``, angle
    ``m``) is untouched; the pairs between are slowed by ``factor^(2i/(d-2))``.

    >>> round(ntk_aware_base(10000.0, 4.0, 128), 1)
    40889.9
    """
    _check_even("head_dim", head_dim)
    if head_dim < 4:
        raise ValueError(f"head_dim must be at least 4 for an NTK-aware base; got {head_dim!r}")
    return require_positive(base, "base") * require_positive(factor, "factor") ** (head_dim / (head_dim - 2))


def yarn_attention_factor(factor: float) -> float:
    """YaRN's factor ``0.1 ln(factor) + 1`` on cos and sin, so on q and k: scores get its square.

    >>> round(yarn_attention_factor(8.0), 4)
    1.2079
    """
    factor = require_positive(factor, "factor")
    return 1.0 if factor <= 1 else 0.1 * math.log(factor) + 1.0


def rope_scaled_frequencies(
    head_dim: int,
    *,
    method: str,
    factor: float,
    base: float = 10000.0,
    original_max_len: int | None = None,
    seq_len: int | None = None,
    beta_fast: float = 32.0,
    beta_slow: float = 1.0,
    low_freq_factor: float = 1.0,
    high_freq_factor: float = 4.0,
) -> np.ndarray:
    """RoPE frequencies rescaled to stretch the context by ``factor``, shape ``(head_dim/2,)``.

    ``"linear"`` (position interpolation): every ``theta_i / factor``. ``"ntk"``: the
    frequencies of :func:`ntk_aware_base`. ``"dynamic-ntk"``: the NTK base recomputed for the
    current ``seq_len``, ``base * (factor * L / L0 - factor + 1)^(d/(d-2))`` with
    ``L = max(seq_len, L0)``, so nothing changes inside the trained length ``L0``.
    ``"yarn"``: per pair, interpolate (``/factor``) the pairs that turn fewer than
    ``beta_slow`` times over ``L0``, keep the ones that turn more than ``beta_fast`` times,
    ramp linearly between (q and k are also scaled by :func:`yarn_attention_factor`).
    ``"llama3"``: divide by ``factor`` the pairs whose wavelength exceeds
    ``L0 / low_freq_factor``, keep those shorter than ``L0 / high_freq_factor``, blend
    smoothly between (Llama 3.1: base 500,000, factor 8, L0 = 8192).

    >>> rope_scaled_frequencies(4, method="linear", factor=2.0).tolist()
    [0.5, 0.005]
    >>> f = rope_scaled_frequencies(128, method="ntk", factor=4.0)
    >>> float(f[0]), round(float(f[-1] / rope_frequencies(128)[-1]), 6)
    (1.0, 0.25)
    """
    theta = rope_frequencies(head_dim, base=base)
    factor = require_positive(factor, "factor")
    if method not in ROPE_SCALINGS:
        raise ValueError(f"method must be one of {ROPE_SCALINGS}; got {method!r}")
    if method == "linear":
        return theta / factor
    if method == "ntk":
        return rope_frequencies(head_dim, base=ntk_aware_base(base, factor, head_dim))
    if original_max_len is None:
        raise ValueError(f"method {method!r} needs original_max_len, the trained context length; got None")
    length = require_positive_int(original_max_len, "original_max_len")
    if method == "dynamic-ntk":
        current = max(require_positive_int(length if seq_len is None else seq_len, "seq_len"), length)
        scaled = base * (factor * current / length - (factor - 1)) ** (head_dim / (head_dim - 2))
        return rope_frequencies(head_dim, base=scaled)
    if method == "yarn":
        # the pair index at which theta_i turns `turns` times over the trained length
        def pair_turning(turns: float) -> float:
            return head_dim * math.log(length / (turns * 2 * math.pi)) / (2 * math.log(base))

        low = max(math.floor(pair_turning(beta_fast)), 0)
        high = min(math.ceil(pair_turning(beta_slow)), head_dim - 1)
        high = high + 0.001 if high == low else high  # avoid a zero-width ramp
        ramp = np.clip((np.arange(head_dim // 2) - low) / (high - low), 0.0, 1.0)  # 0 keep, 1 interpolate
        return theta / factor * ramp + theta * (1 - ramp)
    wavelength = 2 * math.pi / theta  # llama3
    smooth = (length / wavelength - low_freq_factor) / (high_freq_factor - low_freq_factor)  # 0 long, 1 short
    blended = (1 - smooth) * theta / factor + smooth * theta
    return np.where(
        wavelength < length / high_freq_factor,
        theta,
        np.where(wavelength > length / low_freq_factor, theta / factor, blended),
    )
