"""Log-sum-exp, log-softmax and the cross-entropy loss, with its gradient ``p - y``.

Cross-entropy of the softmax is the loss of every classifier and language model. This
module follows PyTorch's ``torch.nn.functional.cross_entropy`` (checked against version
2.13) argument for argument: a class ``weight``, ``ignore_index``, the three ``reduction``
modes, and ``label_smoothing`` in PyTorch's form, which mixes in the uniform distribution
over all ``C`` classes (Szegedy et al. 2016, "Rethinking the Inception Architecture",
section 7). The softmax itself is :func:`concepts.attention.softmax`, shared with attention.
Leaves out probability ("soft") targets as input, PyTorch's class-axis-1 layout for inputs
of more than two dimensions (the class axis is last here), and the chunked or fused kernels
that avoid materialising ``(tokens, vocab_size)`` logits.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_finite, require_tensor, require_torch
from concepts.attention import softmax
from concepts.masking import IGNORE_INDEX

if TYPE_CHECKING:
    import torch

__all__ = [
    "REDUCTIONS",
    "bits_per_token",
    "cross_entropy",
    "cross_entropy_grad",
    "cross_entropy_torch",
    "cross_entropy_with_grad",
    "log_softmax",
    "log_sum_exp",
    "perplexity",
]

REDUCTIONS = ("none", "mean", "sum")


def _nonempty(x: np.ndarray, axis: int) -> None:
    if x.ndim == 0 or x.shape[axis] == 0:
        raise ValueError(f"x must have a non-empty axis {axis}; got shape {x.shape}")


def log_sum_exp(x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(x)))`` along ``axis``, computed as ``m + log(sum(exp(x - m)))`` with ``m = max(x)``.

    Every exponent is at most 0, so nothing overflows, and the largest term is 1, so the
    sum cannot underflow to 0 either. A slice that is all ``-inf`` gives ``-inf`` (the log
    of an empty sum), as ``torch.logsumexp`` does.

    :param x: real numbers of any shape with at least one axis.
    :param axis: the axis summed over; it is removed from the result.
    :returns: float64 array of the shape of ``x`` without ``axis``.
    :raises ValueError: for a scalar or an empty ``axis``.

    >>> import numpy as np
    >>> from concepts.softmax_cross_entropy import log_sum_exp
    >>> round(float(log_sum_exp([1000.0, 1000.0])), 4)  # 1000 + log 2; exp(1000) is inf
    1000.6931
    """
    x = as_array(x, "x")
    _nonempty(x, axis)
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # an all -inf slice has no max to subtract
    with np.errstate(divide="ignore"):  # log 0 = -inf for an all -inf slice
        return np.squeeze(m, axis) + np.log(np.exp(x - m).sum(axis=axis))


def log_softmax(x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    """``log softmax(x) = x - log_sum_exp(x)`` along ``axis``, never as ``log(softmax(x))``.

    ``log(softmax(x))`` rounds a probability below about ``1e-308`` to 0 and returns
    ``-inf``; the difference keeps every digit: ``log_softmax([0, -1000])[1]`` is ``-1000``.

    :param x: real numbers of any shape with at least one axis.
    :param axis: the class axis.
    :returns: float64 array of the shape of ``x``; ``exp`` of it sums to 1 along ``axis``.
    :raises ValueError: for a scalar or an empty ``axis``.

    >>> import numpy as np
    >>> from concepts.softmax_cross_entropy import log_softmax
    >>> np.round(log_softmax([0.0, -1000.0]), 4).tolist()  # log(softmax) would give -inf
    [0.0, -1000.0]
    """
    x = as_array(x, "x")
    _nonempty(x, axis)
    return x - np.expand_dims(log_sum_exp(x, axis=axis), axis)  # log p_j = x_j - log sum_l exp(x_l)


def _check(
    z_shape: tuple[int, ...],
    target: np.ndarray,
    w_shape: tuple[int, ...] | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
) -> None:
    """Validate a cross-entropy call (shared by the NumPy and PyTorch versions)."""
    if len(z_shape) == 0 or z_shape[-1] == 0:
        raise ValueError(f"logits must have shape (..., num_classes) with num_classes >= 1; got {z_shape}")
    if target.shape != z_shape[:-1]:
        raise ValueError(f"target must have shape {z_shape[:-1]} (logits without the class axis); got {target.shape}")
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"target must hold integer class indices; got dtype {target.dtype}")
    bad = (target != ignore_index) & ((target < 0) | (target >= z_shape[-1]))
    if bad.any():
        raise ValueError(
            f"target must lie in [0, {z_shape[-1]}) or equal ignore_index={ignore_index}; got {target[bad][0]}"
        )
    if w_shape is not None and w_shape != (z_shape[-1],):
        raise ValueError(f"weight must have shape ({z_shape[-1]},), one per class; got {w_shape}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}")
    if not 0.0 <= require_finite(label_smoothing, "label_smoothing") <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1]; got {label_smoothing!r}")


def _inputs(
    logits: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    z, t = as_array(logits, "logits"), as_array(target, "target", dtype=None)
    w = None if weight is None else as_array(weight, "weight")
    _check(z.shape, t, None if w is None else w.shape, ignore_index, reduction, label_smoothing)
    return z, t, w


def _weighted_target(
    t: np.ndarray, num_classes: int, w: np.ndarray | None, ignore_index: int, eps: float
) -> tuple[np.ndarray, float]:
    """``r``, the smoothed target times the class weights, and the mean's denominator.

    ``r_c = w_t (1 - eps) [c = t] + w_c eps / C`` for a kept target and 0 for an ignored
    one; the loss is ``-sum_c r_c log p_c``. The denominator is the sum of ``w_t`` over the
    kept targets (their count when there are no weights): PyTorch divides the smoothing
    term by it too.
    """
    keep = t != ignore_index  # (...)
    t = np.where(keep, t, 0)
    w = np.ones(num_classes) if w is None else w
    onehot = t[..., None] == np.arange(num_classes)  # (..., C)
    r = (1 - eps) * w[t][..., None] * onehot + (eps / num_classes) * w  # (..., C)
    return r * keep[..., None], float((w[t] * keep).sum())


def cross_entropy(
    logits: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    ignore_index: int = IGNORE_INDEX,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray | float:
    """Cross-entropy of ``softmax(logits)`` against class indices, as ``F.cross_entropy`` computes it.

    For one example with target ``t`` and ``p = softmax(z)``, the loss is ``-log p_t``.
    With label smoothing ``eps`` the target becomes ``q = (1 - eps) onehot(t) + eps / C``
    (every class, the target included, gets ``eps / C``) and the loss is
    ``-sum_c q_c log p_c``. A class ``weight`` multiplies each term ``-q_c log p_c`` by
    ``w_c``. Targets equal to ``ignore_index`` contribute 0 and are left out of the mean.

    :param logits: unnormalised scores, shape ``(..., num_classes)``; ``(batch, num_classes)``
        is ``F.cross_entropy``'s layout (for a sequence, flatten ``(batch, seq_len)``).
    :param target: class indices, shape ``(...)``, integers in ``[0, num_classes)`` or ``ignore_index``.
    :param weight: one non-negative weight per class, shape ``(num_classes,)``; all 1 when omitted.
    :param ignore_index: the target value that is skipped (PyTorch's default, -100).
    :param reduction: ``"none"`` (one loss per target), ``"sum"``, or ``"mean"``: the sum
        divided by the number of kept targets, or by the sum of their weights ``w_t``.
        With every target ignored the mean is ``0 / 0``, NaN, as in PyTorch.
    :param label_smoothing: ``eps`` in ``[0, 1]``.
    :returns: float64 array of the shape of ``target`` for ``"none"``, else a float.
    :raises ValueError: for shapes that do not fit, targets out of range, an unknown
        reduction, or ``label_smoothing`` outside ``[0, 1]``.
    :raises TypeError: for targets that are not integers.

    >>> import numpy as np
    >>> from concepts.softmax_cross_entropy import cross_entropy
    >>> z = np.log([[1.0, 1.0, 2.0], [1.0, 1.0, 1.0]])  # p = (0.25, 0.25, 0.5) and uniform
    >>> np.round(cross_entropy(z, [2, 0], reduction="none"), 4).tolist()  # -log 0.5, -log(1/3)
    [0.6931, 1.0986]
    >>> round(cross_entropy(z, [2, -100]), 4)  # the ignored target leaves the mean
    0.6931
    """
    z, t, w = _inputs(logits, target, weight, ignore_index, reduction, label_smoothing)
    r, denominator = _weighted_target(t, z.shape[-1], w, ignore_index, float(label_smoothing))
    log_p = log_softmax(z)  # (..., C)
    with np.errstate(invalid="ignore"):
        per_target = -np.where(r != 0, r * log_p, 0.0).sum(-1)  # -sum_c r_c log p_c; 0 * (-inf) counts as 0
    if reduction == "none":
        return per_target
    if reduction == "sum":
        return float(per_target.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(per_target.sum() / np.float64(denominator))


def cross_entropy_grad(
    logits: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    ignore_index: int = IGNORE_INDEX,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """The gradient of :func:`cross_entropy` with respect to the logits: ``p - y``, generalised.

    Since ``d(-log p_c)/dz_j = p_j - [j = c]``, the loss ``-sum_c r_c log p_c`` has the
    gradient ``(sum_c r_c) p - r``. Without weights ``r`` is the smoothed target ``q``,
    which sums to 1, so the gradient is ``p - q`` (``p - onehot(t)`` without smoothing).
    Ignored targets get a zero row; ``"mean"`` divides by the same denominator as the loss.
    For ``"none"`` each row is the gradient of that row's own loss (the gradient of the sum).

    :param logits: shape ``(..., num_classes)``; the other arguments as :func:`cross_entropy`.
    :returns: float64 array of the shape of ``logits``.
    :raises ValueError: as :func:`cross_entropy`.

    >>> import numpy as np
    >>> from concepts.softmax_cross_entropy import cross_entropy_grad
    >>> z = np.log([[1.0, 1.0, 2.0]])  # p = (0.25, 0.25, 0.5), target 2
    >>> cross_entropy_grad(z, [2]).tolist()  # p - onehot(2)
    [[0.25, 0.25, -0.5]]
    """
    z, t, w = _inputs(logits, target, weight, ignore_index, reduction, label_smoothing)
    r, denominator = _weighted_target(t, z.shape[-1], w, ignore_index, float(label_smoothing))
    grad = r.sum(-1, keepdims=True) * softmax(z) - r  # (sum_c r_c) p - r, = p - y when r = y
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            grad = grad / np.float64(denominator)
    return grad


def cross_entropy_with_grad(
    logits: ArrayLike, target: ArrayLike, *, ignore_index: int = IGNORE_INDEX, label_smoothing: float = 0.0
) -> tuple[float, np.ndarray]:
    """The mean cross-entropy and its gradient, in one call (the interview exercise's function).

    :param logits: shape ``(batch, num_classes)``.
    :param target: shape ``(batch,)``, class indices or ``ignore_index``.
    :returns: ``(loss, grad)``: a float and an array of the shape of ``logits``.

    >>> from concepts.softmax_cross_entropy import cross_entropy_with_grad
    >>> loss, grad = cross_entropy_with_grad([[0.0, 0.0], [5.0, 1.0]], [1, -100])
    >>> round(loss, 4), grad.tolist()  # log 2; the ignored row gets no gradient
    (0.6931, [[0.5, -0.5], [0.0, 0.0]])
    """
    kwargs = {"ignore_index": ignore_index, "label_smoothing": label_smoothing}
    return cross_entropy(logits, target, **kwargs), cross_entropy_grad(logits, target, **kwargs)


def cross_entropy_torch(
    logits: torch.Tensor,
    target: torch.Tensor,
    *,
    weight: torch.Tensor | None = None,
    ignore_index: int = IGNORE_INDEX,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """PyTorch mirror of :func:`cross_entropy`, written out from ``logsumexp`` (differentiable).

    Keeps the dtype of ``logits``. The smoothing term ``-sum_c w_c log p_c`` is added
    beside the plain negative log-likelihood rather than building the ``(..., C)`` target.

    >>> import torch
    >>> from concepts.softmax_cross_entropy import cross_entropy_torch
    >>> z = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]], dtype=torch.float64)
    >>> t = torch.tensor([0, 2])
    >>> ours = cross_entropy_torch(z, t, label_smoothing=0.1)
    >>> bool(torch.isclose(ours, torch.nn.functional.cross_entropy(z, t, label_smoothing=0.1)))
    True
    """
    torch = require_torch()
    z, t = require_tensor(logits, "logits"), require_tensor(target, "target")
    w = None if weight is None else require_tensor(weight, "weight")
    shape_w = None if w is None else tuple(w.shape)
    _check(tuple(z.shape), t.detach().cpu().numpy(), shape_w, ignore_index, reduction, label_smoothing)
    C, eps = z.shape[-1], float(label_smoothing)
    log_p = z - torch.logsumexp(z, dim=-1, keepdim=True)  # (..., C)
    keep = t != ignore_index
    t = t.masked_fill(~keep, 0)
    w = torch.ones(C, dtype=z.dtype, device=z.device) if w is None else w.to(z.dtype)
    w_t = w[t] * keep  # (...), 0 for an ignored target
    per_target = -(1 - eps) * w_t * log_p.gather(-1, t[..., None])[..., 0]  # (1 - eps) w_t (-log p_t)
    if eps > 0:
        smooth = -(w * log_p).sum(-1)  # sum_c w_c (-log p_c), (...)
        per_target = per_target + (eps / C) * torch.where(keep, smooth, torch.zeros_like(smooth))
    if reduction == "none":
        return per_target
    if reduction == "sum":
        return per_target.sum()
    return per_target.sum() / w_t.sum()


def perplexity(mean_nll: ArrayLike, *, base: float = math.e) -> np.ndarray | float:
    """``base ** mean_nll``: the perplexity of a model whose mean negative log-likelihood is given.

    With the NLL in nats (natural log, what ``F.cross_entropy`` returns) it is
    ``exp(mean_nll)``; with the NLL in bits it is ``2 ** mean_nll``, the same number. A model
    with perplexity ``k`` is as unsure as a uniform choice among ``k`` tokens.

    >>> from concepts.softmax_cross_entropy import perplexity
    >>> round(perplexity(2.0), 4), round(perplexity(2.0 / 0.6931471805599453, base=2.0), 4)
    (7.3891, 7.3891)
    """
    base = require_finite(base, "base")
    if base <= 1:
        raise ValueError(f"base must be greater than 1; got {base!r}")
    value = np.power(base, as_array(mean_nll, "mean_nll"))
    return float(value) if value.ndim == 0 else value


def bits_per_token(mean_nll: ArrayLike) -> np.ndarray | float:
    """The mean NLL in nats converted to bits: ``mean_nll / ln 2``, so ``perplexity = 2 ** bits``.

    >>> from concepts.softmax_cross_entropy import bits_per_token
    >>> round(bits_per_token(2.0), 4)
    2.8854
    """
    value = as_array(mean_nll, "mean_nll") / math.log(2)
    return float(value) if value.ndim == 0 else value
