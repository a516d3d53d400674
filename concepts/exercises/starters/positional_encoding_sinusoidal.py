"""Exercise positional_encoding.sinusoidal: the sine/cosine position table of Vaswani et al.

Check your solution with ``python -m quiz check positional_encoding.sinusoidal <this file>``.
"""

from __future__ import annotations

import numpy as np


def sinusoidal_encoding(seq_len: int, d_model: int, *, base: float = 10000.0) -> np.ndarray:
    """The fixed position table, shape ``(seq_len, d_model)``, added to the token embeddings.

    Specification (``d_model`` is even; ``pos`` counts from 0):

    - For pair index ``i = 0, ..., d_model/2 - 1`` the frequency is ``base^(-2i / d_model)``.
    - ``PE[pos, 2i] = sin(pos * base^(-2i/d_model))`` (even columns: sines) and
      ``PE[pos, 2i + 1] = cos(pos * base^(-2i/d_model))`` (odd columns: cosines of the same
      angle). The exponent uses the pair index ``i``, not the column index.
    - Return a float64 NumPy array.

    >>> import numpy as np
    >>> np.round(sinusoidal_encoding(2, 4), 4).tolist()
    [[0.0, 1.0, 0.0, 1.0], [0.8415, 0.5403, 0.01, 1.0]]
    """
    raise NotImplementedError("write this function")
