"""Exercise masking.batch-mask: the attention mask of a padded batch, with causal and prefix-LM structure.

Run ``python -m quiz check masking.batch-mask masking_batch_mask.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def batch_attention_mask(
    mask: ArrayLike, *, is_causal: bool = False, prefix_len: int | None = None, mask_queries: bool = False
) -> np.ndarray:
    """The boolean mask SDPA takes for a padded batch, shape ``(batch, 1, seq_len, seq_len)``.

    ``mask`` is the key padding mask, boolean ``(batch, seq_len)``, ``True`` for a real token
    (padding may sit on the right or on the left). In the result, entry ``[b, 0, i, j]`` is
    ``True`` when query ``i`` of sequence ``b`` may attend to key ``j``; the axis of size 1
    broadcasts over the heads.

    - Padded keys are always hidden.
    - The structure shared by the batch is full (an encoder) by default, causal
      (key ``j`` only for ``j <= i``) with ``is_causal=True``, or prefix-LM with
      ``prefix_len=p`` (``j <= i`` or ``j < p``). ``is_causal`` and ``prefix_len`` are not
      combined.
    - ``mask_queries=True`` also hides every key from padded queries (their rows become
      fully masked); by default padded queries still see the real keys.

    >>> import numpy as np
    >>> padding = np.array([[True, True, False]])  # one sequence of 2 real tokens, padded to 3
    >>> batch_attention_mask(padding, is_causal=True)[0, 0].astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 0]]
    """
    raise NotImplementedError("write this function")
