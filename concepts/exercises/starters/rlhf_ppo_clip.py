"""Exercise rlhf.ppo-clip: PPO's clipped surrogate loss over the tokens of a batch.

Run ``python -m quiz check rlhf.ppo-clip rlhf_ppo_clip.py`` to grade it.
"""

from __future__ import annotations

from numpy.typing import ArrayLike


def ppo_clipped_loss(
    logprobs: ArrayLike,
    old_logprobs: ArrayLike,
    advantages: ArrayLike,
    *,
    clip_eps: float = 0.2,
    mask: ArrayLike | None = None,
) -> float:
    """PPO's clipped surrogate as a loss to minimise, averaged over the tokens in ``mask``.

    Specification:

    - ``logprobs`` (the current policy), ``old_logprobs`` (the policy that sampled the
      tokens) and ``advantages`` have the same shape, e.g. ``(batch, seq_len)``.
    - ``rho = exp(logprobs - old_logprobs)``; the objective per token is
      ``min(rho * A, clip(rho, 1 - clip_eps, 1 + clip_eps) * A)``; the loss is its negative.
    - ``mask`` is boolean of the same shape (True = a token to average over) or ``None``
      for all tokens. Return the mean over those tokens as a Python float.

    >>> import numpy as np
    >>> round(ppo_clipped_loss(np.log([0.5, 1.0, 1.5]), [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]), 4)
    -0.9
    """
    raise NotImplementedError("write this function")
