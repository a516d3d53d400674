"""Exercise encoder_decoder_models.shift-right: the decoder input of teacher forcing.

Run ``python -m quiz check encoder_decoder_models.shift-right encoder_decoder_models_shift_right.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def shift_right(labels: ArrayLike, *, decoder_start_token_id: int, pad_token_id: int) -> np.ndarray:
    """The labels moved one position to the right behind a start token, as transformers builds decoder inputs.

    Specification:

    - ``labels`` holds integer token ids of shape ``(seq_len,)`` or ``(batch, seq_len)``;
      positions the loss ignores hold ``-100``.
    - Output position 0 is ``decoder_start_token_id``; output position ``t >= 1`` is label
      ``t - 1``. The last label is dropped, so the shape is unchanged.
    - Every ``-100`` that ends up in the output is replaced by ``pad_token_id`` (an id of
      -100 would index the embedding table out of range).
    - Return an integer NumPy array; do not modify ``labels``.

    >>> shift_right([[5, 6, -100, -100]], decoder_start_token_id=2, pad_token_id=1).tolist()
    [[2, 5, 6, 1]]
    """
    raise NotImplementedError("write this function")
