"""Exercise embeddings.sgns-grads: the skip-gram negative-sampling loss and its gradients by hand.

Run ``python -m quiz check embeddings.sgns-grads embeddings_sgns_grads.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def sgns_loss_and_grads(
    v_c: ArrayLike, u_o: ArrayLike, u_neg: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """word2vec's SGNS loss of (center, context) pairs with ``k`` negatives, and its gradients.

    Specification:

    - ``v_c`` (center words' input vectors) and ``u_o`` (true contexts' output vectors) have
      shape ``(..., d)``; ``u_neg`` (the ``k`` sampled negatives' output vectors) has shape
      ``(..., k, d)``; ``k`` may be 0. Compute in float64.
    - ``L = -log sigma(u_o . v_c) - sum_k log sigma(-u_k . v_c)`` per pair, shape ``(...)``.
    - Return ``(loss, dL/dv_c, dL/du_o, dL/du_neg)`` with shapes ``(...)``, ``(..., d)``,
      ``(..., d)``, ``(..., k, d)``: one gradient row per negative draw (the caller sums
      repeated words into their table row).
    - Derive the gradients yourself (no autograd). Scores in the thousands must give finite,
      exact values: ``np.log(1 / (1 + np.exp(-x)))`` is ``-inf`` for ``x = -800``;
      ``log sigma(x) = -np.logaddexp(0, -x)`` is not.

    >>> import numpy as np
    >>> loss, g_v, g_o, g_neg = sgns_loss_and_grads(np.zeros(2), np.array([1.0, 0.0]), np.array([[0.0, 1.0]]))
    >>> round(float(loss), 4), g_v.tolist()  # every score 0: 2 log 2, and -u_o / 2 + u_1 / 2
    (1.3863, [-0.5, 0.5])
    """
    raise NotImplementedError("write this function")
