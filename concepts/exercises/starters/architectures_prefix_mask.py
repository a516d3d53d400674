"""Exercise architectures.prefix-mask: the prefix-LM attention mask.

Run ``python -m quiz check architectures.prefix-mask architectures_prefix_mask.py`` to grade it.
"""

from __future__ import annotations

import numpy as np


def prefix_lm_mask(seq_len: int, prefix_len: int) -> np.ndarray:
    """Boolean ``(seq_len, seq_len)`` mask, ``True`` where query (row) ``i`` may attend to key (column) ``j``.

    A prefix LM reads its first ``prefix_len`` tokens bidirectionally and the rest causally:
    query ``i`` may see key ``j`` when ``j <= i`` or ``j < prefix_len``. So ``prefix_len = 0``
    is the causal mask and ``prefix_len = seq_len`` the full (encoder) mask. A prefix token
    must never see a continuation token. Return a NumPy array of dtype ``bool``.

    >>> prefix_lm_mask(4, 2).astype(int).tolist()
    [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
    """
    raise NotImplementedError("write this function")
