"""Exercise optimizers.clip-grad-norm: clipping by global norm, as torch.nn.utils.clip_grad_norm_.

Run ``python -m quiz check optimizers.clip-grad-norm optimizers_clip_grad_norm.py`` to grade it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike


def clip_grad_norm(
    grads: Sequence[ArrayLike], max_norm: float, *, norm_type: float = 2.0
) -> tuple[list[np.ndarray], float]:
    """Rescale the gradients of several tensors so their global norm is at most ``max_norm``.

    Specification (PyTorch's ``torch.nn.utils.clip_grad_norm_``, float64):

    - ``grads`` is a list with one array per parameter tensor, of any shapes.
    - The global norm is the ``norm_type`` norm of all entries of all tensors together, which
      is the norm of the list of per-tensor norms. ``norm_type`` is a number >= 1 or
      ``float("inf")`` (the largest absolute entry).
    - Every gradient is multiplied by the same factor ``min(1, max_norm / (total + 1e-6))``:
      the ``1e-6`` is PyTorch's, so a norm exactly at ``max_norm`` still shrinks a little.
    - Return ``(clipped, total)``: a list of new arrays (leave the inputs unchanged) and the
      global norm measured *before* clipping, as a float.

    >>> clipped, total = clip_grad_norm([np.array([3.0]), np.array([0.0, 4.0])], 1.0)
    >>> total, [np.round(g, 4).tolist() for g in clipped]  # norms 3 and 4 make 5
    (5.0, [[0.6], [0.0, 0.8]])
    """
    raise NotImplementedError("write this function")
