"""OpenAI's frequency and presence penalties on the logits, in NumPy and PyTorch (a private helper).

Follows the formula of OpenAI's API documentation. The public names are re-exported by
:mod:`concepts.sampling`, which is where the page and the API documentation find them; this
file exists only to keep each module short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_finite, require_tensor, require_torch

if TYPE_CHECKING:
    import torch

__all__ = ["apply_frequency_presence_penalty", "apply_frequency_presence_penalty_torch"]


def _check_penalties(logits_shape: tuple, tokens_shape: tuple, frequency: float, presence: float) -> None:
    if len(logits_shape) < 1 or len(tokens_shape) != len(logits_shape) or tokens_shape[:-1] != logits_shape[:-1]:
        raise ValueError(
            f"tokens must have shape {(*logits_shape[:-1], 'seq')} for logits {logits_shape}; got {tokens_shape}"
        )
    require_finite(frequency, "frequency_penalty"), require_finite(presence, "presence_penalty")


def apply_frequency_presence_penalty(
    logits: ArrayLike, tokens: ArrayLike, *, frequency_penalty: float = 0.0, presence_penalty: float = 0.0
) -> np.ndarray:
    """OpenAI's frequency and presence penalties: ``z_j - c_j * frequency_penalty - [c_j > 0] * presence_penalty``.

    ``c_j`` counts how often token ``j`` occurs in ``tokens`` (the tokens generated so far).
    Both are subtracted from the logits, so unlike CTRL's multiplicative penalty they lower
    a token by the same amount whatever its logit's sign; the frequency term grows with
    every repeat, the presence term is paid once. OpenAI accepts values in ``[-2, 2]``;
    negative values encourage repeats.

    :param logits: scores of shape ``(..., vocab)``.
    :param tokens: token ids of shape ``(..., seq)``, same leading axes.
    :returns: the penalised logits, float64, shape ``(..., vocab)``.
    :raises ValueError: for mismatched shapes or non-finite penalties.

    >>> from concepts.sampling import apply_frequency_presence_penalty
    >>> z = [1.0, 1.0, 1.0]
    >>> apply_frequency_presence_penalty(z, [0, 0, 0, 1], frequency_penalty=0.5, presence_penalty=0.25).tolist()
    [-0.75, 0.25, 1.0]
    """
    z, tokens = as_array(logits, "logits"), as_array(tokens, "tokens", dtype=np.int64)
    _check_penalties(z.shape, tokens.shape, frequency_penalty, presence_penalty)
    if tokens.size and not (tokens.min() >= 0 and tokens.max() < z.shape[-1]):
        raise ValueError(f"tokens must lie in [0, {z.shape[-1]}); got values from {tokens.min()} to {tokens.max()}")
    counts = (tokens[..., :, None] == np.arange(z.shape[-1])).sum(axis=-2)  # c_j, (..., vocab)
    return z - counts * frequency_penalty - (counts > 0) * presence_penalty  # z_j - c_j a_f - [c_j > 0] a_p


def apply_frequency_presence_penalty_torch(
    logits: torch.Tensor, tokens: torch.Tensor, *, frequency_penalty: float = 0.0, presence_penalty: float = 0.0
) -> torch.Tensor:
    """PyTorch mirror of :func:`apply_frequency_presence_penalty`; counts with ``scatter_add``, keeps the dtype.

    >>> import torch
    >>> from concepts.sampling import apply_frequency_presence_penalty_torch
    >>> z, seen = torch.ones(1, 3), torch.tensor([[0, 0, 0, 1]])
    >>> apply_frequency_presence_penalty_torch(z, seen, frequency_penalty=0.5, presence_penalty=0.25).tolist()
    [[-0.75, 0.25, 1.0]]
    """
    torch = require_torch()
    logits, tokens = require_tensor(logits, "logits"), require_tensor(tokens, "tokens")
    _check_penalties(tuple(logits.shape), tuple(tokens.shape), frequency_penalty, presence_penalty)
    counts = torch.zeros_like(logits).scatter_add(-1, tokens, torch.ones_like(tokens, dtype=logits.dtype))  # c_j
    return logits - counts * frequency_penalty - (counts > 0).to(logits.dtype) * presence_penalty
