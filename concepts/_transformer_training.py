"""The Transformer's training recipe: label smoothing and the warm-up schedule (a private helper).

Follows Vaswani et al. (2017), sections 5.3 and 5.4. The public names are re-exported by
:mod:`concepts.transformer`, which is where the page and the API documentation find them;
this file exists only to keep each module short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int, require_tensor, require_torch

if TYPE_CHECKING:
    import torch

__all__ = [
    "SPREADS",
    "label_smoothing_loss",
    "label_smoothing_loss_torch",
    "smoothed_targets",
    "warmup_lr",
    "warmup_scheduler_torch",
]

SPREADS = ("all", "others")


def _dtype(a: Any) -> str:
    return str(a.dtype).removeprefix("torch.")


def _check_loss(logits: tuple, target: Any, epsilon: float, spread: str) -> None:
    """Validate a loss call (shared by the NumPy and PyTorch versions)."""
    if len(logits) != 2 or logits[0] == 0 or logits[1] < 2:
        raise ValueError(f"logits must have shape (tokens, num_classes) with num_classes >= 2; got {logits}")
    if tuple(target.shape) != logits[:1] or "int" not in _dtype(target):
        raise ValueError(
            f"target must be integers of shape ({logits[0]},); got shape {tuple(target.shape)}, dtype {_dtype(target)}"
        )
    if target.min() < 0 or target.max() >= logits[1]:
        raise ValueError(
            f"target must lie in [0, {logits[1]}); got values from {int(target.min())} to {int(target.max())}"
        )
    if not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon must be in [0, 1]; got {epsilon!r}")
    if spread not in SPREADS:
        raise ValueError(f"spread must be one of {SPREADS}; got {spread!r}")


def smoothed_targets(target: ArrayLike, num_classes: int, *, epsilon: float = 0.1, spread: str = "all") -> np.ndarray:
    """The smoothed target distribution ``q``: most mass on the right class, ``epsilon`` spread out.

    ``spread="all"`` (PyTorch's ``label_smoothing``, Szegedy et al. 2016) mixes in the
    uniform distribution: ``q = (1 - eps) onehot + eps / K``, so the target itself gets
    ``1 - eps + eps / K``. ``spread="others"`` (tensor2tensor, fairseq) gives the target
    exactly ``1 - eps`` and each of the other ``K - 1`` classes ``eps / (K - 1)``.

    :param target: class indices, shape ``(tokens,)``.
    :param num_classes: ``K``, at least 2.
    :returns: shape ``(tokens, num_classes)``; every row sums to 1.
    :raises ValueError: for targets out of range, ``epsilon`` outside ``[0, 1]`` or an unknown ``spread``.

    >>> import numpy as np
    >>> from concepts.transformer import smoothed_targets
    >>> np.round(smoothed_targets([2], 4, epsilon=0.1), 4).tolist()  # 0.1 / 4 everywhere, plus 0.9 on class 2
    [[0.025, 0.025, 0.925, 0.025]]
    >>> np.round(smoothed_targets([2], 4, epsilon=0.1, spread="others"), 4).tolist()
    [[0.0333, 0.0333, 0.9, 0.0333]]
    """
    target = as_array(target, "target", dtype=None)
    _check_loss((target.shape[0] if target.ndim == 1 and target.size else 1, num_classes), target, epsilon, spread)
    off = epsilon / num_classes if spread == "all" else epsilon / (num_classes - 1)
    q = np.full((target.shape[0], num_classes), off)
    on = 1 - epsilon + (off if spread == "all" else 0.0)  # q = (1 - eps) onehot + eps u, u uniform over the classes
    q[np.arange(target.shape[0]), target] = on
    return q


def label_smoothing_loss(logits: ArrayLike, target: ArrayLike, *, epsilon: float = 0.1, spread: str = "all") -> float:
    """Mean cross-entropy against the smoothed targets: ``-(1/N) sum_n sum_k q_nk log softmax(z_n)_k``.

    With the default ``spread="all"`` it equals
    ``F.cross_entropy(logits, target, label_smoothing=epsilon)``; ``epsilon = 0.1`` is the
    paper's value (section 5.4). The loss is ``H(q) + KL(q || p)``, so its minimum is the
    entropy of ``q``, reached when the model predicts ``q`` itself, not a one-hot.

    :param logits: shape ``(tokens, num_classes)``.
    :param target: class indices, shape ``(tokens,)``.
    :raises ValueError: as ``smoothed_targets``, and for logits of the wrong shape.

    >>> import numpy as np
    >>> from concepts.transformer import label_smoothing_loss
    >>> logits = np.log([[1.0, 1.0, 2.0]])  # p = (0.25, 0.25, 0.5)
    >>> round(label_smoothing_loss(logits, [2], epsilon=0.0), 4)  # -log 0.5
    0.6931
    >>> round(label_smoothing_loss(logits, [2], epsilon=0.3), 4)  # q = (0.1, 0.1, 0.8)
    0.8318
    """
    z, target = as_array(logits, "logits"), as_array(target, "target", dtype=None)
    _check_loss(z.shape, target, epsilon, spread)
    z = z - z.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))  # log softmax(z), stable, (N, K)
    q = smoothed_targets(target, z.shape[1], epsilon=epsilon, spread=spread)  # (N, K)
    return float(-(q * log_p).sum(-1).mean())  # cross-entropy H(q, p), averaged over tokens


def label_smoothing_loss_torch(
    logits: torch.Tensor, target: torch.Tensor, *, epsilon: float = 0.1, spread: str = "all"
) -> torch.Tensor:
    """``label_smoothing_loss`` in PyTorch, differentiable, without building the ``(tokens, K)`` matrix ``q``.

    ``H(q, p) = q_on (-log p_target) + q_off sum_{k != target} (-log p_k)``.

    >>> import torch
    >>> from concepts.transformer import label_smoothing_loss_torch
    >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]], dtype=torch.float64)
    >>> target = torch.tensor([0, 2])
    >>> ours = label_smoothing_loss_torch(logits, target, epsilon=0.1)
    >>> bool(torch.isclose(ours, torch.nn.functional.cross_entropy(logits, target, label_smoothing=0.1)))
    True
    """
    require_tensor(logits, "logits")
    require_tensor(target, "target")
    _check_loss(tuple(logits.shape), target, epsilon, spread)
    K = logits.shape[1]
    log_p = logits.log_softmax(-1)  # (N, K)
    nll = -log_p.gather(-1, target[:, None])[:, 0]  # -log p_target, (N,)
    rest = -log_p.sum(-1) - nll  # sum of -log p_k over the other K - 1 classes, (N,)
    off = epsilon / K if spread == "all" else epsilon / (K - 1)
    on = 1 - epsilon + (off if spread == "all" else 0.0)
    return (on * nll + off * rest).mean()


def warmup_lr(step: ArrayLike, *, d_model: int = 512, warmup: int = 4000) -> np.ndarray:
    """The paper's learning rate: ``d_model^-0.5 * min(step^-0.5, step * warmup^-1.5)`` (section 5.3).

    It rises linearly for ``warmup`` steps, then decays like ``1 / sqrt(step)``; the two
    branches meet at ``step = warmup``, the peak ``(d_model * warmup)^-0.5``.

    :param step: training step(s), counted from 1.
    :param d_model: the model width (the paper's base model: 512).
    :param warmup: warm-up steps (the paper: 4000).
    :returns: float64 array of the shape of ``step``.
    :raises ValueError: for a step below 1 or not finite, or sizes that are not positive integers.

    >>> import numpy as np
    >>> from concepts.transformer import warmup_lr
    >>> round(float(warmup_lr(4000)), 7)  # the peak: 1 / sqrt(512 * 4000)
    0.0006988
    >>> warmup_lr([1, 4, 16], d_model=64, warmup=4).tolist()  # (1/8) min(1, 1/8), min(1/2, 1/2), min(1/4, 2)
    [0.015625, 0.0625, 0.03125]
    """
    step = as_array(step, "step")
    require_positive_int(d_model, "d_model")
    require_positive_int(warmup, "warmup")
    bad = ~np.isfinite(step) | (step < 1)
    if bad.any():
        raise ValueError(f"step must be finite and >= 1 (the schedule counts from 1); got {float(step[bad][0])}")
    return d_model**-0.5 * np.minimum(step**-0.5, step * warmup**-1.5)  # d^-0.5 min(step^-0.5, step warmup^-1.5)


def warmup_scheduler_torch(
    optimizer: torch.optim.Optimizer, *, d_model: int = 512, warmup: int = 4000
) -> torch.optim.lr_scheduler.LambdaLR:
    """``warmup_lr`` as a ``LambdaLR``; call ``scheduler.step()`` after every ``optimizer.step()``.

    ``LambdaLR`` multiplies each group's initial ``lr`` by the factor, and counts from 0, so
    the optimizer must be built with ``lr=1.0`` and the factor at count ``i`` is
    ``warmup_lr(i + 1)``: the first update uses step 1. The paper's Adam has
    ``betas=(0.9, 0.98)`` and ``eps=1e-9``.

    :raises ValueError: for a group whose ``lr`` is not 1.0, or sizes that are not positive integers.

    >>> import torch
    >>> from concepts.transformer import warmup_scheduler_torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)  # the paper: Adam, same wiring
    >>> sched = warmup_scheduler_torch(opt, d_model=64, warmup=4)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(opt.param_groups[0]["lr"])  # the rate this update uses
    ...     opt.step()
    ...     sched.step()
    >>> [round(lr, 6) for lr in lrs]  # (1/8) (step / 8) for steps 1-4, then (1/8) / sqrt(5)
    [0.015625, 0.03125, 0.046875, 0.0625, 0.055902]
    """
    LambdaLR = require_torch().optim.lr_scheduler.LambdaLR
    require_positive_int(d_model, "d_model")
    require_positive_int(warmup, "warmup")
    lrs = [group["lr"] for group in optimizer.param_groups]
    if any(lr != 1.0 for lr in lrs):
        raise ValueError(f"optimizer must have lr = 1.0 in every group (LambdaLR multiplies it); got {lrs}")
    return LambdaLR(optimizer, lambda i: float(warmup_lr(i + 1, d_model=d_model, warmup=warmup)))
