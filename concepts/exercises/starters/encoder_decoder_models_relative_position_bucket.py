"""Exercise encoder_decoder_models.relative-position-bucket: T5's relative position buckets.

Grade it with ``python -m quiz check encoder_decoder_models.relative-position-bucket FILE``, where
FILE is this file, ``encoder_decoder_models_relative_position_bucket.py``.
"""

from __future__ import annotations

import math  # noqa: F401 (you will need it)

import numpy as np
from numpy.typing import ArrayLike


def relative_position_bucket(
    relative_position: ArrayLike, *, bidirectional: bool = True, num_buckets: int = 32, max_distance: int = 128
) -> np.ndarray:
    """The bucket T5 assigns to each relative position ``key_position - query_position``.

    Specification (Hugging Face's ``T5Attention._relative_position_bucket``):

    - ``relative_position``: integers of any shape; positive means the key comes after the query.
    - Bidirectional (the encoder): halve ``num_buckets``; keys *after* the query (positive
      offsets) add the new ``num_buckets`` to their bucket, and ``n = |relative_position|``.
      Causal (the decoder): ``n = max(-relative_position, 0)``, so every future key gets ``n = 0``.
    - With ``max_exact = num_buckets // 2`` (after any halving): ``n < max_exact`` is its own
      bucket ``n``. Otherwise the bucket is ``max_exact + int(log(n / max_exact) /
      log(max_distance / max_exact) * (num_buckets - max_exact))``, truncated toward zero
      and capped at ``num_buckets - 1``.
    - Return int64 buckets of the input's shape, all in ``[0, num_buckets)`` of the original count.

    >>> relative_position_bucket([-20, -3, 0, 3, 20]).tolist()
    [10, 3, 0, 19, 26]
    """
    raise NotImplementedError("write this function")
