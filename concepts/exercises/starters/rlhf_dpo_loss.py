"""Exercise rlhf.dpo-loss: DPO's loss (and its IPO and hinge variants) from sequence log-probs.

Run ``python -m quiz check rlhf.dpo-loss rlhf_dpo_loss.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def dpo_loss(
    policy_chosen_logps: ArrayLike,
    policy_rejected_logps: ArrayLike,
    ref_chosen_logps: ArrayLike,
    ref_rejected_logps: ArrayLike,
    *,
    beta: float = 0.1,
    loss_type: str = "sigmoid",
) -> np.ndarray:
    """DPO's loss for each preference pair ``(y_w, y_l)``, from summed log-probabilities.

    Specification:

    - The four inputs are array-likes of the same shape ``(batch,)``: ``log pi(y_w | x)``,
      ``log pi(y_l | x)`` under the policy being trained, and the same two under the frozen
      reference policy. Compute in float64.
    - Let ``h = (log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))``.
    - ``loss_type="sigmoid"`` (DPO): ``-log sigmoid(beta * h)``; ``"hinge"``:
      ``max(0, 1 - beta * h)``; ``"ipo"``: ``(h - 1 / (2 * beta)) ** 2``.
    - Return the losses, one per pair, shape ``(batch,)`` (not their mean). Margins of
      ``1e4`` must give finite numbers: ``log(1 + exp(x))`` overflows for large ``x``
      (``np.logaddexp`` does not).

    >>> import numpy as np
    >>> np.round(dpo_loss([-4.0], [-6.0], [-5.0], [-5.0], beta=0.5), 4).tolist()  # h = 2: -log sigmoid(1)
    [0.3133]
    """
    raise NotImplementedError("write this function")
