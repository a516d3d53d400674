"""Optimizers and schedules: one update step of SGD, RMSProp, Adam and AdamW, a warm-up plus cosine schedule, clipping.

Each optimizer is a pure function ``step(param, grad, state, **hyper) -> (param, state)`` on a
flat parameter vector, with the state that ``torch.optim`` keeps per parameter spelled out in
a dict (``momentum_buffer``, ``square_avg``, ``exp_avg``, ``exp_avg_sq``, ``step``). The
arithmetic follows ``torch.optim`` (PyTorch 2.x) exactly, including its conventions: SGD's
first momentum buffer is the raw gradient and its Nesterov form is ``g + mu * b``;
RMSProp adds ``eps`` *after* the square root; Adam divides by ``sqrt(v_hat) + eps``
(Kingma and Ba, 2015, Algorithm 1) and adds weight decay to the gradient (L2); AdamW
(Loshchilov and Hutter, 2019) multiplies the parameter by ``1 - lr * weight_decay`` instead.
The schedule is the one ``transformers.get_cosine_schedule_with_warmup`` builds, and
clipping follows ``torch.nn.utils.clip_grad_norm_``, including its ``1e-6``.

Leaves out AMSGrad, ``maximize``, parameter groups, fused and foreach kernels, and
second-order or sign-based methods (Adafactor, Lion, Muon). There is no ``_torch`` mirror:
``torch.optim`` is the PyTorch version, and the tests compare every step with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_finite, require_nonnegative_int, require_positive

__all__ = [
    "adam_step",
    "adamw_step",
    "clip_grad_norm",
    "cosine_schedule_with_warmup",
    "minimize",
    "optimizer_state_bytes",
    "rmsprop_step",
    "sgd_step",
    "uncorrected_step_ratio",
]


def _vectors(param: ArrayLike, grad: ArrayLike, state: Any) -> tuple[np.ndarray, np.ndarray]:
    """``param`` and ``grad`` as float64 vectors of one shape; ``state`` must be a dict."""
    p, g = as_array(param, "param"), as_array(grad, "grad")
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"param must be a non-empty vector of shape (d,); got shape {p.shape}")
    if g.shape != p.shape:
        raise ValueError(f"grad must have the shape of param, {p.shape}; got {g.shape}")
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict ({{}} before the first step); got {type(state).__name__}")
    return p, g


def _rate(x: float, name: str, *, closed_high: bool = False) -> float:
    """A coefficient in [0, 1) (or [0, 1]): momentum, dampening, betas, alpha."""
    value = require_finite(x, name)
    if not (0.0 <= value < 1.0 or (closed_high and value == 1.0)):
        raise ValueError(f"{name} must lie in [0, {'1]' if closed_high else '1)'}; got {x!r}")
    return value


def _nonnegative(x: float, name: str) -> float:
    value = require_finite(x, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0; got {x!r}")
    return value


def sgd_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    *,
    lr: float = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, dict]:
    """One step of SGD with optional momentum, as ``torch.optim.SGD``.

    ``g = grad + weight_decay * param``; with momentum, ``b = g`` at the first step and
    ``b = momentum * b + (1 - dampening) * g`` after it; the step direction is ``b``, or
    ``g + momentum * b`` with ``nesterov=True`` (PyTorch's form of Nesterov momentum, which
    evaluates the gradient at the current point, not at a look-ahead point).

    :param param: the parameters, shape ``(d,)``.
    :param grad: the gradient of the loss at ``param``, shape ``(d,)``.
    :param state: ``{}`` before the first step, then the dict this function returned.
    :returns: ``(new_param, new_state)``; the inputs are not modified.
    :raises ValueError: for mismatched shapes, a negative rate, or Nesterov without
        momentum or with dampening (PyTorch refuses both).

    >>> import numpy as np
    >>> from concepts.optimizers import sgd_step
    >>> p, s = sgd_step([1.0, 2.0], [0.5, -1.0], {}, lr=0.1, momentum=0.9)
    >>> np.round(p, 4).tolist(), np.round(s["momentum_buffer"], 4).tolist()
    ([0.95, 2.1], [0.5, -1.0])
    >>> p, s = sgd_step(p, [0.5, -1.0], s, lr=0.1, momentum=0.9)  # b = 0.9 * b + g
    >>> np.round(p, 4).tolist()
    [0.855, 2.29]
    """
    p, g = _vectors(param, grad, state)
    lr, wd = _nonnegative(lr, "lr"), _nonnegative(weight_decay, "weight_decay")
    momentum, dampening = _rate(momentum, "momentum"), _rate(dampening, "dampening", closed_high=True)
    if nesterov and (momentum == 0 or dampening != 0):
        raise ValueError(f"nesterov=True needs momentum > 0 and dampening 0; got {momentum} and {dampening}")
    g = g + wd * p  # L2: the decay enters the gradient
    new_state: dict = {}
    if momentum != 0:
        buf = state.get("momentum_buffer")
        buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g  # b_t = mu b_{t-1} + (1 - tau) g_t
        new_state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf  # Nesterov: g_t + mu b_t
    return p - lr * g, new_state


def rmsprop_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> tuple[np.ndarray, dict]:
    """One step of RMSProp, as ``torch.optim.RMSprop``: divide by ``sqrt(v) + eps``.

    ``v = alpha * v + (1 - alpha) * g**2`` (from zeros, with no bias correction); centred,
    the variance ``v - gbar**2`` replaces ``v``. The step is ``lr * g / (sqrt(v) + eps)``,
    or, with momentum, ``lr * b`` where ``b = momentum * b + g / (sqrt(v) + eps)``.

    :param param: the parameters, shape ``(d,)``.
    :param grad: the gradient at ``param``, shape ``(d,)``.
    :param state: ``{}`` before the first step, then the dict this function returned.
    :returns: ``(new_param, new_state)``.

    >>> import numpy as np
    >>> from concepts.optimizers import rmsprop_step
    >>> p, s = rmsprop_step([1.0, 1.0], [0.1, 10.0], {}, lr=0.01)  # v = 0.01 g^2: both move 0.1
    >>> np.round(p, 6).tolist()
    [0.9, 0.9]
    """
    p, g = _vectors(param, grad, state)
    lr, eps, wd = _nonnegative(lr, "lr"), _nonnegative(eps, "eps"), _nonnegative(weight_decay, "weight_decay")
    alpha, momentum = _rate(alpha, "alpha"), _rate(momentum, "momentum")
    g = g + wd * p
    v = alpha * state.get("square_avg", np.zeros_like(p)) + (1 - alpha) * g * g  # v_t = a v + (1 - a) g^2
    new_state: dict = {"step": state.get("step", 0) + 1, "square_avg": v}
    if centered:
        gbar = state.get("grad_avg", np.zeros_like(p))
        gbar = gbar + (1 - alpha) * (g - gbar)
        new_state["grad_avg"] = gbar
        avg = np.sqrt(v - gbar * gbar) + eps
    else:
        avg = np.sqrt(v) + eps  # eps outside the square root
    if momentum > 0:
        buf = momentum * state.get("momentum_buffer", np.zeros_like(p)) + g / avg
        new_state["momentum_buffer"] = buf
        return p - lr * buf, new_state
    return p - lr * (g / avg), new_state


def adam_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, dict]:
    """One step of Adam with bias correction, as ``torch.optim.Adam`` (weight decay is L2).

    With ``t`` counted from 1, ``g = grad + weight_decay * param``,
    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g**2``, and the step
    ``lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - b1**t)`` and
    ``v_hat = v / (1 - b2**t)``.

    :param param: the parameters, shape ``(d,)``.
    :param grad: the gradient at ``param``, shape ``(d,)``.
    :param state: ``{}`` before the first step, then the dict this function returned
        (keys ``step``, ``exp_avg``, ``exp_avg_sq``, as in PyTorch's optimizer state).
    :returns: ``(new_param, new_state)``; the inputs are not modified.

    >>> import numpy as np
    >>> from concepts.optimizers import adam_step
    >>> p, s = adam_step([1.0, 1.0], [1e-3, 100.0], {}, lr=0.1)  # the first step is lr * sign(g)
    >>> np.round(p, 4).tolist(), s["step"]
    ([0.9, 0.9], 1)
    """
    return _adam(param, grad, state, lr, betas, eps, weight_decay, decoupled=False)


def adamw_step(
    param: ArrayLike,
    grad: ArrayLike,
    state: dict,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> tuple[np.ndarray, dict]:
    """One step of AdamW, as ``torch.optim.AdamW``: decay the parameter, then take Adam's step.

    ``param <- param * (1 - lr * weight_decay)`` comes first, and the gradient the moments
    see is the raw gradient, so the decay is never divided by ``sqrt(v_hat)``. PyTorch's
    default ``weight_decay`` is 0.01.

    :param param: the parameters, shape ``(d,)``.
    :param grad: the gradient at ``param``, shape ``(d,)``.
    :param state: ``{}`` before the first step, then the dict this function returned.
    :returns: ``(new_param, new_state)``.

    >>> import numpy as np
    >>> from concepts.optimizers import adamw_step
    >>> p, _ = adamw_step([2.0], [0.0], {}, lr=0.1, weight_decay=0.1)  # 2 * (1 - 0.01); no gradient step
    >>> np.round(p, 6).tolist()
    [1.98]
    """
    return _adam(param, grad, state, lr, betas, eps, weight_decay, decoupled=True)


def _adam(param, grad, state, lr, betas, eps, weight_decay, *, decoupled: bool) -> tuple[np.ndarray, dict]:
    p, g = _vectors(param, grad, state)
    lr, eps, wd = _nonnegative(lr, "lr"), _nonnegative(eps, "eps"), _nonnegative(weight_decay, "weight_decay")
    if not (isinstance(betas, Sequence) and len(betas) == 2):
        raise ValueError(f"betas must be a pair (beta1, beta2); got {betas!r}")
    b1, b2 = _rate(betas[0], "betas[0]"), _rate(betas[1], "betas[1]")
    t = state.get("step", 0) + 1  # counted from 1, so 1 - b**t is never 0
    if decoupled:
        p = p * (1 - lr * wd)  # AdamW: theta <- theta (1 - lr lambda), outside the adaptive step
    else:
        g = g + wd * p  # Adam: L2 in the gradient, later divided by sqrt(v_hat)
    m = state.get("exp_avg", np.zeros_like(p))
    v = state.get("exp_avg_sq", np.zeros_like(p))
    m = m + (1 - b1) * (g - m)  # m_t = b1 m + (1 - b1) g
    v = b2 * v + (1 - b2) * g * g  # v_t = b2 v + (1 - b2) g^2
    # bias correction, m_hat = m / (1 - b1^t) and v_hat = v / (1 - b2^t), in PyTorch's order of operations
    step_size = lr / (1 - b1**t)
    denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps  # sqrt(v_hat) + eps: eps outside the root
    p = p - step_size * (m / denom)  # theta <- theta - lr m_hat / (sqrt(v_hat) + eps)
    return p, {"step": t, "exp_avg": m, "exp_avg_sq": v}


def uncorrected_step_ratio(step: ArrayLike, *, betas: tuple[float, float] = (0.9, 0.999)) -> np.ndarray:
    """How much larger Adam's step is without bias correction, for a constant gradient: ``(1 - b1^t) / sqrt(1 - b2^t)``.

    Without correction ``m / sqrt(v) = m_hat (1 - b1^t) / (sqrt(v_hat) sqrt(1 - b2^t))``; with
    the default betas the second moment's shortfall wins, so early uncorrected steps are
    *larger*, not smaller (eps neglected).

    >>> import numpy as np
    >>> from concepts.optimizers import uncorrected_step_ratio
    >>> np.round(uncorrected_step_ratio([1, 10, 1000]), 3).tolist()
    [3.162, 6.528, 1.258]
    """
    t = as_array(step, "step")
    if np.any(t < 1) or np.any(t != np.round(t)):
        raise ValueError(f"step must hold whole numbers >= 1 (Adam counts from 1); got {t.tolist()}")
    b1, b2 = _rate(betas[0], "betas[0]"), _rate(betas[1], "betas[1]")
    return (1 - b1**t) / np.sqrt(1 - b2**t)


def cosine_schedule_with_warmup(
    step: ArrayLike, *, num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5
) -> np.ndarray:
    """The factor that multiplies the peak learning rate at ``step``: linear warm-up, then cosine decay.

    ``step / num_warmup_steps`` while ``step < num_warmup_steps``; then, with
    ``progress = (step - num_warmup_steps) / (num_training_steps - num_warmup_steps)``,
    ``max(0, (1 + cos(2 pi num_cycles progress)) / 2)``: from 1 down to 0 at the last step
    for ``num_cycles = 0.5``. This is the ``lr_lambda`` of
    ``transformers.get_cosine_schedule_with_warmup``; ``step`` counts the optimizer steps
    already taken, so the first update (step 0) uses rate 0 when there is a warm-up.

    :param step: one step (>= 0) or an array of them.
    :returns: float64 array of the shape of ``step``, in [0, 1].

    >>> import numpy as np
    >>> from concepts.optimizers import cosine_schedule_with_warmup
    >>> f = cosine_schedule_with_warmup([0, 5, 10, 55, 100], num_warmup_steps=10, num_training_steps=100)
    >>> np.round(f, 4).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    s = as_array(step, "step")
    if np.any(s < 0) or np.any(s != np.round(s)):
        raise ValueError(f"step must hold whole numbers >= 0; got {s.tolist()}")
    warm = require_nonnegative_int(num_warmup_steps, "num_warmup_steps")
    total = require_nonnegative_int(num_training_steps, "num_training_steps")
    cycles = require_finite(num_cycles, "num_cycles")
    progress = (s - warm) / max(1, total - warm)
    cosine = np.maximum(0.0, 0.5 * (1.0 + np.cos(math.pi * cycles * 2.0 * progress)))
    return np.where(s < warm, s / max(1, warm), cosine)


def clip_grad_norm(
    grads: Sequence[ArrayLike], max_norm: float, *, norm_type: float = 2.0
) -> tuple[list[np.ndarray], float]:
    """Rescale a list of gradients so their global norm is at most ``max_norm``, as ``clip_grad_norm_``.

    The global norm is the ``norm_type`` norm of all entries together (the norm of the
    per-tensor norms). Every gradient is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``: PyTorch's ``1e-6`` guards a zero norm, so
    a norm exactly at ``max_norm`` still shrinks by a hair. The direction never changes.

    :param grads: one array per parameter tensor, any shapes.
    :param max_norm: the largest allowed global norm, > 0.
    :param norm_type: 2 by default; any ``p >= 1``, or ``inf`` for the largest entry.
    :returns: ``(clipped, total_norm)``: new arrays, and the global norm *before* clipping.

    >>> import numpy as np
    >>> from concepts.optimizers import clip_grad_norm
    >>> clipped, total = clip_grad_norm([[3.0], [4.0]], max_norm=1.0)  # norm 5
    >>> round(total, 6), [np.round(g, 4).tolist() for g in clipped]
    (5.0, [[0.6], [0.8]])
    """
    if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence) or len(grads) == 0:
        raise TypeError(f"grads must be a non-empty list of arrays (one per parameter); got {type(grads).__name__}")
    arrays = [as_array(g, f"grads[{i}]") for i, g in enumerate(grads)]
    max_norm = require_positive(max_norm, "max_norm")
    p = float(norm_type)
    if not (p == math.inf or p >= 1):
        raise ValueError(f"norm_type must be >= 1 or inf; got {norm_type!r}")
    norms = np.array([np.linalg.norm(a.ravel(), ord=p) for a in arrays])  # one norm per tensor
    total = float(np.linalg.norm(norms, ord=p))  # ||(||g_1||, ..., ||g_k||)|| = norm of everything
    coef = min(1.0, max_norm / (total + 1e-6))
    return [a * coef for a in arrays], total


_STATE_VALUES = {"sgd": 0, "sgd-momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2}


def optimizer_state_bytes(num_params: int, optimizer: str, *, bytes_per_value: int = 4) -> int:
    """Bytes of optimizer state for ``num_params`` parameters: values kept per parameter times their size.

    SGD keeps nothing, momentum one buffer, RMSProp one (``square_avg``; centring and
    momentum add one each), Adam and AdamW two (``exp_avg`` and ``exp_avg_sq``). The
    parameters, gradients and any float32 master copy are not counted.

    >>> from concepts.optimizers import optimizer_state_bytes
    >>> optimizer_state_bytes(7_000_000_000, "adamw") / 1e9  # two float32 moments of a 7B model, in GB
    56.0
    """
    n = require_nonnegative_int(num_params, "num_params")
    size = require_nonnegative_int(bytes_per_value, "bytes_per_value")
    if optimizer not in _STATE_VALUES:
        raise ValueError(f"optimizer must be one of {sorted(_STATE_VALUES)}; got {optimizer!r}")
    return n * _STATE_VALUES[optimizer] * size


def minimize(
    step_fn: Callable[..., tuple[np.ndarray, dict]],
    grad_fn: Callable[[np.ndarray], ArrayLike],
    x0: ArrayLike,
    num_steps: int,
    *,
    lr: float,
    schedule: Callable[[int], float] | None = None,
    max_norm: float | None = None,
    **hyper: Any,
) -> np.ndarray:
    """Run ``num_steps`` steps of ``step_fn`` from ``x0``; return the trajectory, shape ``(num_steps + 1, d)``.

    Step ``k`` (from 0) uses the rate ``lr * schedule(k)`` and, with ``max_norm``, the
    gradient clipped by :func:`clip_grad_norm`; ``hyper`` goes to ``step_fn``.

    >>> import numpy as np
    >>> from concepts.optimizers import minimize, sgd_step
    >>> path = minimize(sgd_step, lambda x: 2 * x, [1.0], 3, lr=0.25)  # x <- x / 2
    >>> path.ravel().tolist()
    [1.0, 0.5, 0.25, 0.125]
    """
    x = as_array(x0, "x0")
    steps = require_nonnegative_int(num_steps, "num_steps")
    path, state = [x], {}
    for k in range(steps):
        g = as_array(grad_fn(x), "grad_fn(x)")
        if max_norm is not None:
            g = clip_grad_norm([g], max_norm)[0][0]
        rate = lr if schedule is None else lr * float(schedule(k))
        x, state = step_fn(x, g, state, lr=rate, **hyper)
        path.append(x)
    return np.stack(path)
