"""Exercise architectures.encdec-builder: the three attention masks of an encoder-decoder over a padded batch.

Run ``python -m quiz check architectures.encdec-builder architectures_encdec_builder.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def encoder_decoder_masks(src_mask: ArrayLike, tgt_mask: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(encoder_self, decoder_self, cross)``, boolean masks in SDPA's convention (``True`` = may attend).

    ``src_mask`` is the source's key padding mask, boolean ``(batch, S)``, and ``tgt_mask`` the
    target's, ``(batch, T)``; ``True`` marks a real token. The results have shapes:

    - ``encoder_self``: ``(batch, 1, S, S)``, bidirectional over the source;
    - ``decoder_self``: ``(batch, 1, T, T)``, causal over the target (key ``j`` only for
      query ``i >= j``);
    - ``cross``: ``(batch, 1, T, S)``, every target query over the source.

    Each mask hides the padded keys of the sequence its keys come from. Padded queries may
    keep seeing the real keys (their outputs are never used).

    >>> import numpy as np
    >>> enc, dec, cross = encoder_decoder_masks(np.array([[True, True, False]]), np.array([[True, True]]))
    >>> cross[0, 0].astype(int).tolist()
    [[1, 1, 0], [1, 1, 0]]
    """
    raise NotImplementedError("write this function")
