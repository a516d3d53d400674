"""Exercise feed_forward.gelu: GELU, exact and in its tanh form, as torch.nn.functional.gelu.

Run ``python -m quiz check feed_forward.gelu feed_forward_gelu.py`` to grade it.
"""

from __future__ import annotations

import math  # noqa: F401 - math.erfc is the erfc you need

import numpy as np
from numpy.typing import ArrayLike


def gelu(x: ArrayLike, *, approximate: str = "none") -> np.ndarray:
    """GELU, ``x * Phi(x)`` with ``Phi`` the standard normal CDF, or its tanh approximation.

    Specification:

    - ``x`` is any array-like of real numbers (a list too); compute in float64 and return
      an array of the shape of ``x``.
    - ``approximate="none"`` (the default, as in PyTorch) is exact:
      ``Phi(x) = 0.5 * erfc(-x / sqrt(2))``. NumPy has no erf; ``math.erf`` / ``math.erfc``
      work elementwise (``np.vectorize``). Prefer ``erfc``: ``0.5 * (1 + erf(x / sqrt(2)))``
      cancels to 0 for ``x < -8.5``, and the checks want 6 correct digits down to ``x = -30``.
    - ``approximate="tanh"`` is ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``, the form
      of GPT-2's code; it differs from the exact form by up to 4.7e-4.
    - Any other ``approximate`` raises ``ValueError``.

    >>> import numpy as np
    >>> np.round(gelu([-1.0, 0.0, 1.0]), 4).tolist()
    [-0.1587, 0.0, 0.8413]
    """
    raise NotImplementedError("write this function")
