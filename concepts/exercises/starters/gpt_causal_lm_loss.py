"""Exercise gpt.causal-lm-loss: the next-token loss a GPT is trained on.

Check your solution with ``python -m quiz check gpt.causal-lm-loss <this file>``.
"""

from __future__ import annotations

import numpy as np  # noqa: F401 (your solution will need it)
from numpy.typing import ArrayLike


def causal_lm_loss(logits: ArrayLike, ids: ArrayLike, pad_id: int | None = None) -> float:
    """Mean cross-entropy, in nats, of predicting each next token of ``ids`` from ``logits``.

    ``logits[b, t]`` (a row of ``V`` scores) is the model's guess for the token at position
    ``t + 1``, so the logits of the last position predict nothing and the first token is
    never a target. Targets equal to ``pad_id`` (when it is not None) are left out of both
    the sum and the count. Use a numerically stable log-softmax.

    :param logits: floats of shape ``(B, T, V)``, ``T >= 2``.
    :param ids: integer token ids of shape ``(B, T)``.
    :param pad_id: the padding id, or None when nothing is padded.
    :returns: the mean loss over the kept targets, a Python float.

    >>> import numpy as np
    >>> round(causal_lm_loss(np.zeros((1, 2, 2)), np.array([[0, 1]])), 4)  # uniform over 2: log 2
    0.6931
    """
    raise NotImplementedError("write this function")
