"""Validation shared by every concept module: one place for the messages users read.

Each helper raises with a message that names what was expected and what came, in one line,
so a wrong call reads like the docstring it broke. Nothing here imports PyTorch at import
time: :func:`require_torch` loads it when a function needs it, and says which extra to
install when it is missing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from types import ModuleType

    import torch

__all__ = [
    "TORCH_EXTRA",
    "as_array",
    "require_array",
    "require_finite",
    "require_ndim",
    "require_nonnegative_int",
    "require_positive",
    "require_positive_int",
    "require_probability",
    "require_rng",
    "require_tensor",
    "require_torch",
]

TORCH_EXTRA = "pip install 'interview-concepts[torch]'"


def require_torch() -> ModuleType:
    """Import and return :mod:`torch`, or raise an ImportError that says how to get it.

    The NumPy half of the package and the quiz install without PyTorch; the functions that
    need it call this first.

    >>> from concepts._checks import require_torch
    >>> require_torch().__name__
    'torch'
    """
    try:
        import torch
    except ModuleNotFoundError:  # pragma: no cover - exercised in a subprocess without torch
        raise ImportError(f"this function needs PyTorch, which is not installed: {TORCH_EXTRA}") from None
    return torch


def _is_tensor(x: Any) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "dtype") and hasattr(x, "dim")


def as_array(x: ArrayLike, name: str, *, dtype: Any = np.float64) -> np.ndarray:
    """``x`` as a NumPy array of ``dtype``; a PyTorch tensor is refused with a TypeError.

    NumPy functions accept array-likes (lists, tuples, arrays). A tensor is almost always a
    caller who meant the ``_torch`` mirror, so it is refused rather than silently copied.

    >>> from concepts._checks import as_array
    >>> as_array([[1, 2]], "x").dtype
    dtype('float64')
    """
    if _is_tensor(x):
        raise TypeError(f"{name} must be a NumPy array or array-like; got a torch.Tensor (use the _torch version)")
    try:
        return np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers; got {type(x).__name__} ({exc})") from None


def require_array(x: Any, name: str) -> np.ndarray:
    """``x`` itself if it is a NumPy array; a TypeError otherwise (for in-place or dtype-keeping code)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array; got {type(x).__name__}")
    return x


def require_tensor(x: Any, name: str) -> torch.Tensor:
    """``x`` itself if it is a :class:`torch.Tensor`; a TypeError naming what came otherwise.

    >>> import numpy as np
    >>> from concepts._checks import require_tensor
    >>> require_tensor(np.zeros(2), "q")
    Traceback (most recent call last):
    ...
    TypeError: q must be a torch.Tensor; got a NumPy array (use the NumPy version, or torch.from_numpy)
    """
    torch = require_torch()
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        raise TypeError(
            f"{name} must be a torch.Tensor; got a NumPy array (use the NumPy version, or torch.from_numpy)"
        )
    raise TypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}")


def require_ndim(x: Any, name: str, ndim: int | tuple[int, ...], shape_words: str) -> None:
    """Raise a ValueError unless ``x.ndim`` is ``ndim`` (or one of them).

    ``shape_words`` spells the expected shape, like ``"(batch, seq_len, d_model)"``.
    """
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if x.ndim not in allowed:
        raise ValueError(f"{name} must have shape {shape_words}; got shape {tuple(x.shape)}")


def require_positive_int(n: Any, name: str) -> int:
    """``n`` as an int if it is a whole number >= 1 (bools refused); a ValueError otherwise.

    >>> from concepts._checks import require_positive_int
    >>> require_positive_int(0, "num_heads")
    Traceback (most recent call last):
    ...
    ValueError: num_heads must be a positive integer; got 0
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n!r}")
    return int(n)


def require_nonnegative_int(n: Any, name: str) -> int:
    """``n`` as an int if it is a whole number >= 0 (bools refused); a ValueError otherwise."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {n!r}")
    return int(n)


def require_finite(x: Any, name: str) -> float:
    """``x`` as a float if it is a finite real number; a ValueError otherwise."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number; got {x!r}") from None
    if isinstance(x, bool) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number; got {x!r}")
    return value


def require_positive(x: Any, name: str) -> float:
    """``x`` as a float if it is finite and > 0; a ValueError otherwise."""
    value = require_finite(x, name)
    if value <= 0:
        raise ValueError(f"{name} must be positive; got {x!r}")
    return value


def require_probability(p: Any, name: str, *, open_low: bool = False, open_high: bool = False) -> float:
    """``p`` as a float in [0, 1] (ends excluded on request); a ValueError otherwise.

    >>> from concepts._checks import require_probability
    >>> require_probability(0.9, "top_p", open_low=True)
    0.9
    """
    value = require_finite(p, name)
    low_ok = value > 0 if open_low else value >= 0
    high_ok = value < 1 if open_high else value <= 1
    if not (low_ok and high_ok):
        interval = ("(" if open_low else "[") + "0, 1" + (")" if open_high else "]")
        raise ValueError(f"{name} must lie in {interval}; got {p!r}")
    return value


def require_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from ``rng`` (a Generator, an int seed, or None).

    >>> from concepts._checks import require_rng
    >>> float(require_rng(0).random()) == float(require_rng(0).random())
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None; got {type(rng).__name__}")
