"""Exercise gradient_boosting.split-gain: XGBoost's leaf weights and split gain from gradients and hessians.

Run ``python -m quiz check gradient_boosting.split-gain gradient_boosting_split_gain.py`` to grade it.
"""

from __future__ import annotations

import numpy as np  # noqa: F401 (you will need it)
from numpy.typing import ArrayLike


def xgb_split_gain(
    g: ArrayLike, h: ArrayLike, go_left: ArrayLike, *, reg_lambda: float = 1.0, gamma: float = 0.0
) -> tuple[float, float, float]:
    """The leaf weights of the two children of a split, and the split's gain, as in the XGBoost paper.

    Specification:

    - ``g`` and ``h`` are the per-row first and second derivatives of the loss at the current
      prediction, shape ``(n,)``, ``h >= 0``; ``go_left`` is a boolean array of shape ``(n,)``
      marking the rows the split sends left. Compute in float64.
    - With ``G_L, H_L`` the sums of ``g`` and ``h`` over the left rows, ``G_R, H_R`` over the
      right rows, the best weight of a leaf is ``w = -G / (H + reg_lambda)``.
    - The gain is
      ``1/2 * [G_L²/(H_L + λ) + G_R²/(H_R + λ) - (G_L + G_R)²/(H_L + H_R + λ)] - gamma``:
      how much the regularised second-order objective falls when the parent leaf becomes
      the two children, minus the price ``gamma`` of one more leaf.
    - Return ``(w_left, w_right, gain)`` as three floats.

    >>> w_l, w_r, gain = xgb_split_gain([-2.0, -4.0, 1.0, 1.0], [1.0] * 4, [True, True, False, False])
    >>> float(w_l), round(float(w_r), 4), round(float(gain), 4)  # 6/3; -2/3; (36/3 + 4/3 - 16/5) / 2
    (2.0, -0.6667, 5.0667)
    """
    raise NotImplementedError("write this function")
