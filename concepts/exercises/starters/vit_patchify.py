"""Exercise vit.patchify: cut images into non-overlapping P x P patches and flatten each one.

Run ``python -m quiz check vit.patchify vit_patchify.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def patchify(images: ArrayLike, patch_size: int, *, order: str = "chw") -> np.ndarray:
    """The tokens of a Vision Transformer: one flattened row per ``P x P`` patch.

    Specification:

    - ``images`` is channels-first, ``(C, H, W)`` or ``(batch, C, H, W)``, with ``H`` and
      ``W`` multiples of ``P = patch_size``.
    - Patches come in raster order: patch ``(i, j)`` of the ``(H/P) x (W/P)`` grid (row
      ``i``, column ``j``) is row ``i * (W/P) + j`` of the result.
    - Inside a patch, ``order="chw"`` flattens channel, then row, then column (the order of
      ``Conv2d.weight.reshape(d_model, -1)``); ``order="hwc"`` flattens row, then column,
      then channel (pixel by pixel: R G B, R G B, ...).
    - Return float64 ``(num_patches, C*P*P)`` for one image, ``(batch, num_patches, C*P*P)``
      for a batch.

    >>> import numpy as np
    >>> x = np.arange(16).reshape(1, 4, 4)
    >>> patchify(x, 2).astype(int).tolist()
    [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    """
    raise NotImplementedError("write this function")
