"""Exercise attention_variants.sliding-window-mask: the banded (sliding-window) attention mask.

Run ``python -m quiz check attention_variants.sliding-window-mask attention_variants_sliding_window_mask.py``
to grade it.
"""

from __future__ import annotations

import numpy as np


def sliding_window_mask(seq_len: int, window: int, *, is_causal: bool = True) -> np.ndarray:
    """Boolean mask of shape ``(seq_len, seq_len)``: ``True`` where query (row) ``i`` may see key ``j``.

    Specification:

    - Causal (the default): query ``i`` sees the ``window`` most recent keys, itself included,
      that is the keys ``j`` with ``0 <= i - j < window``. Near the start a query sees fewer
      (only ``i + 1`` keys exist). ``window = 1`` lets each token see only itself; a window of
      ``seq_len`` or more gives the ordinary causal mask.
    - ``is_causal=False``: the symmetric band ``|i - j| < window``.
    - ``seq_len`` and ``window`` are positive integers. Return a NumPy array of dtype ``bool``.

    >>> sliding_window_mask(4, 2).astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]
    """
    raise NotImplementedError("write this function")
