"""Gradient checking and vanishing gradients: backpropagation measured from outside (a private helper).

The central-difference gradient with its step-size trade-off, the relative-error metric of a
gradient check, and the per-layer gradient norms of a deep MLP at initialisation. The public
names are re-exported by :mod:`concepts.backpropagation`, which is where the page and the API
documentation find them; this file exists only to keep each module short.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive, require_positive_int, require_rng

__all__ = [
    "central_difference_error",
    "mlp_layer_grad_norms",
    "numerical_gradient",
    "relative_error",
]


def central_difference_error(hs: ArrayLike, *, dtype: Any = np.float64, num_points: int = 101) -> np.ndarray:
    """Mean relative error of the central difference of ``exp``, computed in ``dtype``, for each step in ``hs``.

    Averaged over ``num_points`` points in ``[-1, 1]`` to smooth the round-off noise. The
    truncation error is about ``h^2 / 6`` (``exp`` is its own third derivative), the round-off
    at most about ``eps / h``: the sum is smallest near ``h = eps^(1/3)``, error ``eps^(2/3)``.

    :param hs: steps, each > 0; the formula divides by the nominal ``2h``, as people write it.
    :returns: ``(len(hs),)`` float64 mean relative errors.

    >>> import numpy as np
    >>> from concepts.backpropagation import central_difference_error
    >>> err = central_difference_error([1e-1, 1e-5, 1e-12])
    >>> [f"{e:.0e}" for e in err]  # truncation, near the optimum, round-off
    ['2e-03', '1e-11', '3e-05']
    """
    hs = as_array(hs, "hs").ravel()
    if hs.size == 0 or np.any(hs <= 0):
        raise ValueError(f"hs must be one or more positive steps; got {hs.tolist()}")
    dt = np.dtype(dtype)
    if dt not in (np.float16, np.float32, np.float64):
        raise ValueError(f"dtype must be float16, float32 or float64; got {dt}")
    x = np.linspace(-1.0, 1.0, require_positive_int(num_points, "num_points"))
    xd, hd = x.astype(dt)[:, None], hs.astype(dt)[None, :]  # (points, steps), everything in dtype
    estimate = (np.exp(xd + hd) - np.exp(xd - hd)) / (dt.type(2) * hd)
    exact = np.exp(xd.astype(np.float64))  # the derivative at the point actually stored
    return (np.abs(estimate.astype(np.float64) - exact) / exact).mean(axis=0)


def numerical_gradient(f: Callable[[np.ndarray], float], x: ArrayLike, *, h: float = 1e-6) -> np.ndarray:
    """The gradient of a scalar function ``f`` at ``x`` by central differences, one entry at a time.

    Costs ``2 x.size`` evaluations of ``f``, which is why it checks backprop rather than
    replacing it. ``f`` receives a float64 array of the shape of ``x``.

    >>> import numpy as np
    >>> from concepts.backpropagation import numerical_gradient
    >>> np.round(numerical_gradient(lambda v: float((v**2).sum()), [1.0, -2.0]), 6).tolist()
    [2.0, -4.0]
    """
    h = require_positive(h, "h")
    x = as_array(x, "x").copy()
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2.0 * h)
    return grad


def relative_error(a: ArrayLike, b: ArrayLike, *, floor: float = 1e-12) -> float:
    """``max |a - b| / max(|a|, |b|, floor)`` over the entries: the usual gradient-check metric.

    >>> from concepts.backpropagation import relative_error
    >>> round(relative_error([2.0, 0.0], [2.002, 0.0]), 6)  # 0.002 / 2.002
    0.000999
    """
    a, b = as_array(a, "a"), as_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor), initial=0.0))


_ACTIVATIONS = {
    "sigmoid": (lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), lambda a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda a: 1.0 - a**2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0).astype(np.float64)),
}
_INIT_GAIN = {"he": 2.0, "xavier": 1.0}  # weight variance = gain / d_in (Xavier with d_in = d_out)


def mlp_layer_grad_norms(
    num_layers: int,
    width: int,
    activation: str = "relu",
    *,
    init: str = "he",
    which: str = "pre-activation",
    batch: int = 64,
    rng: np.random.Generator | int | None = 0,
) -> np.ndarray:
    """Per-layer gradient norms of a deep square MLP at initialisation, by manual backprop.

    ``z_l = a_{l-1} @ W_l``, ``a_l = act(z_l)``, no bias; ``W_l`` has variance ``2 / width``
    (``init="he"``) or ``1 / width`` (``"xavier"``: Glorot's for a square layer). The loss is
    ``sum(a_L * g)``; ``W_1 .. W_L``, then ``a_0``, then ``g`` are drawn standard normal.

    :param which: ``"pre-activation"`` for the Frobenius norm of ``dL/dz_l`` (what vanishes),
        or ``"weight"`` for that of ``dL/dW_l = a_{l-1}^T dL/dz_l``.
    :returns: ``(num_layers,)`` float64, layer 1 (nearest the input) first.

    >>> from concepts.backpropagation import mlp_layer_grad_norms
    >>> norms = mlp_layer_grad_norms(10, 64, "sigmoid", init="xavier")
    >>> bool(norms[0] < 1e-4 * norms[-1])  # the first layer's gradient is 10,000 times smaller
    True
    """
    num_layers, width = require_positive_int(num_layers, "num_layers"), require_positive_int(width, "width")
    batch = require_positive_int(batch, "batch")
    choices = {"activation": _ACTIVATIONS, "init": _INIT_GAIN, "which": ("pre-activation", "weight")}
    for name, value in (("activation", activation), ("init", init), ("which", which)):
        if value not in choices[name]:
            raise ValueError(f"{name} must be one of {sorted(choices[name])}; got {value!r}")
    from concepts.backpropagation import linear_backward  # not at the top: that module imports this one

    gen = require_rng(rng)
    act, act_grad = _ACTIVATIONS[activation]
    std = math.sqrt(_INIT_GAIN[init] / width)
    weights = [gen.standard_normal((width, width)) * std for _ in range(num_layers)]
    acts = [gen.standard_normal((batch, width))]  # a_0 = x
    for W in weights:
        acts.append(act(acts[-1] @ W))
    grad = gen.standard_normal((batch, width))  # dL/da_L = g
    norms = np.empty(num_layers)
    for layer in range(num_layers, 0, -1):
        dz = grad * act_grad(acts[layer])  # through the activation, from its output
        grad, dW, _ = linear_backward(dz, acts[layer - 1], weights[layer - 1])  # grad is now dL/da_{l-1}
        norms[layer - 1] = np.linalg.norm(dz if which == "pre-activation" else dW)
    return norms
