"""Exercise vit.embeddings: ViT's input sequence, patch embedding + [CLS] + position embeddings.

Run ``python -m quiz check vit.embeddings vit_embeddings.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def vit_embeddings(
    images: ArrayLike,
    patch_weight: ArrayLike,
    patch_bias: ArrayLike,
    cls_token: ArrayLike,
    position_embeddings: ArrayLike,
    patch_size: int,
) -> np.ndarray:
    """``[x_cls; x_1 W + b; ...; x_N W + b] + E_pos``, as Hugging Face's ``ViTEmbeddings`` in eval mode.

    Specification:

    - ``images``: ``(batch, C, H, W)``, channels first; ``H`` and ``W`` multiples of
      ``P = patch_size``; ``N = (H/P) * (W/P)`` patches in raster order (left to right, then
      top to bottom).
    - ``patch_weight``: ``(C*P*P, d_model)``; row ``c*P*P + r*P + s`` multiplies channel
      ``c``, row ``r``, column ``s`` of a patch (the order of
      ``Conv2d.weight.reshape(d_model, -1)``, transposed). ``patch_bias``: ``(d_model,)``.
      The result must equal ``Conv2d(C, d_model, kernel_size=P, stride=P)`` flattened.
    - ``cls_token``: ``(d_model,)``, put *first* in every sequence.
    - ``position_embeddings``: ``(1 + N, d_model)``; row 0 is added to [CLS], row ``1 + k``
      to patch ``k``.
    - Return float64 ``(batch, 1 + N, d_model)``. No dropout.

    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> pos = np.arange(5.0)[:, None] * 100
    >>> vit_embeddings(x, np.ones((4, 1)) / 4, np.zeros(1), [-1.0], pos, 2).ravel().tolist()
    [-1.0, 102.5, 204.5, 310.5, 412.5]
    """
    raise NotImplementedError("write this function")
