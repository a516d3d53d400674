"""Exercise masking.causal-mask: a causal mask, aligned top-left or bottom-right.

Run ``python -m quiz check masking.causal-mask masking_causal_mask.py`` to grade it.
"""

from __future__ import annotations

import numpy as np


def causal_mask(seq_q: int, seq_k: int | None = None, *, align: str = "top-left") -> np.ndarray:
    """Boolean causal mask of shape ``(seq_q, seq_k)``: ``True`` where query (row) ``i`` may see key ``j``.

    Specification:

    - ``seq_k`` defaults to ``seq_q`` (self-attention).
    - ``align="top-left"`` (PyTorch SDPA's ``is_causal=True``): query ``i`` sees keys ``j <= i``.
    - ``align="bottom-right"`` (FlashAttention since 2.1; the queries are the *last* ``seq_q``
      of ``seq_k`` tokens, as when decoding with a KV cache): query ``i`` sees keys
      ``j <= i + seq_k - seq_q``.
    - Return a NumPy array of dtype ``bool``.

    >>> causal_mask(2, 3, align="bottom-right").astype(int).tolist()
    [[1, 1, 0], [1, 1, 1]]
    """
    raise NotImplementedError("write this function")
