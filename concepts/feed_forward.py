"""The position-wise feed-forward network of a Transformer block, its activations and the GLU family.

Follows Vaswani et al. (2017), section 3.3, for ``FFN(x) = act(x W1 + b1) W2 + b2``, Hendrycks
and Gimpel (2016) for GELU (exact and tanh forms, as ``torch.nn.functional.gelu``), and
Shazeer (2020), "GLU Variants Improve Transformer", for ``(act(x W) * x V) W2`` without biases,
with Llama's rounding of the hidden width. Weights are ``(in, out)`` and multiply on the right,
as in the papers (``nn.Linear`` stores the transpose). Leaves out dropout, mixture-of-experts
routing and fused kernels.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int, require_tensor, require_torch

if TYPE_CHECKING:
    import torch

__all__ = [
    "ACTIVATIONS",
    "GLU_VARIANTS",
    "act",
    "act_grad",
    "act_torch",
    "feed_forward",
    "feed_forward_torch",
    "ffn_param_count",
    "gated_feed_forward",
    "gated_feed_forward_torch",
    "gelu",
    "glu",
    "glu_torch",
    "llama_hidden_size",
]

ACTIVATIONS = ("identity", "relu", "sigmoid", "gelu", "gelu_tanh", "silu")
GLU_VARIANTS = {"glu": "sigmoid", "bilinear": "identity", "reglu": "relu", "geglu": "gelu", "swiglu": "silu"}
_C = math.sqrt(2.0 / math.pi)  # the tanh form's constant, sqrt(2 / pi)
_erfc = np.vectorize(math.erfc, otypes=[np.float64])  # NumPy has no erf; math's is correctly rounded to ~1 ulp


def _check_name(name: str) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {name!r}")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # never overflows: exp of a non-positive number
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # sigma(x) = 1 / (1 + exp(-x))


def gelu(x: ArrayLike, *, approximate: str = "none") -> np.ndarray:
    """GELU, ``x * Phi(x)`` with ``Phi`` the standard normal CDF, or its tanh approximation.

    ``approximate="none"`` is exact and PyTorch's default; ``"tanh"`` is
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``, the form in GPT-2's code (and in
    Google's BERT code after a later commit; as released it was exact). They differ by less
    than 5e-4 anywhere.

    :param x: any shape.
    :param approximate: ``"none"`` or ``"tanh"``, as in ``torch.nn.functional.gelu``.
    :returns: float64 array of the shape of ``x``.
    :raises ValueError: for another ``approximate``.

    >>> from concepts.feed_forward import gelu
    >>> import numpy as np
    >>> np.round(gelu([-1.0, 0.0, 1.0]), 4).tolist()  # -Phi(-1), 0, Phi(1)
    [-0.1587, 0.0, 0.8413]
    >>> np.round(gelu([-1.0, 0.0, 1.0], approximate="tanh"), 4).tolist()
    [-0.1588, 0.0, 0.8412]
    """
    x = as_array(x, "x")
    if approximate == "none":
        return x * 0.5 * _erfc(-x / math.sqrt(2.0))  # x Phi(x); erfc keeps the far left tail exact
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(_C * (x + 0.044715 * x**3)))
    raise ValueError(f"approximate must be 'none' or 'tanh'; got {approximate!r}")


def act(x: ArrayLike, name: str) -> np.ndarray:
    """Apply the elementwise activation ``name`` (one of ``ACTIVATIONS``).

    ReLU, GELU and SiLU are all ``x`` times a gate in ``[0, 1]``: ``[x > 0]``, ``Phi(x)``,
    ``sigmoid(x)``. ``"gelu_tanh"`` is GELU's tanh form; ``"identity"`` and ``"sigmoid"`` exist
    for the bilinear and original GLU gates.

    :param x: any shape.
    :param name: ``"identity"``, ``"relu"``, ``"sigmoid"``, ``"gelu"``, ``"gelu_tanh"`` or ``"silu"``.
    :returns: float64 array of the shape of ``x``.
    :raises ValueError: for an unknown name.

    >>> from concepts.feed_forward import act
    >>> import numpy as np
    >>> np.round(act([-1.0, 0.0, 1.0], "silu"), 4).tolist()  # x sigmoid(x)
    [-0.2689, 0.0, 0.7311]
    >>> act([-2.0, 3.0], "relu").tolist()
    [0.0, 3.0]
    """
    _check_name(name)
    x = as_array(x, "x")
    if name in ("gelu", "gelu_tanh"):
        return gelu(x, approximate="none" if name == "gelu" else "tanh")
    if name == "relu":
        return np.maximum(x, 0.0)  # max(0, x)
    if name == "sigmoid":
        return _sigmoid(x)
    if name == "silu":
        return x * _sigmoid(x)  # SiLU(x) = Swish_1(x) = x sigma(x)
    return x.copy()


def act_grad(x: ArrayLike, name: str) -> np.ndarray:
    """The derivative of ``act(x, name)`` with respect to ``x``, elementwise.

    ReLU's derivative at 0 is taken as 0, as PyTorch does.

    :param x: any shape.
    :param name: one of ``ACTIVATIONS``.
    :returns: float64 array of the shape of ``x``.
    :raises ValueError: for an unknown name.

    >>> from concepts.feed_forward import act_grad
    >>> import numpy as np
    >>> np.round(act_grad([0.0, 1.0], "gelu"), 4).tolist()  # Phi(x) + x phi(x)
    [0.5, 1.0833]
    """
    _check_name(name)
    x = as_array(x, "x")
    if name == "gelu":
        return 0.5 * _erfc(-x / math.sqrt(2.0)) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    if name == "gelu_tanh":
        t = np.tanh(_C * (x + 0.044715 * x**3))
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _C * (1.0 + 3 * 0.044715 * x * x)
    if name == "relu":
        return (x > 0).astype(np.float64)
    s = _sigmoid(x)
    if name == "sigmoid":
        return s * (1.0 - s)
    if name == "silu":
        return s * (1.0 + x * (1.0 - s))  # d/dx x sigma(x) = sigma + x sigma (1 - sigma)
    return np.ones_like(x)


def glu(x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    """Gated linear unit of Dauphin et al. (2017): split ``x`` in halves ``a | b``, return ``a * sigmoid(b)``.

    The convention of ``torch.nn.functional.glu``: the *second* half is the gate.

    :param x: shape ``(..., 2 n, ...)``, even along ``axis``.
    :param axis: the axis to split.
    :returns: float64 array with ``n`` entries along ``axis``.
    :raises ValueError: for a scalar or an odd size along ``axis``.

    >>> from concepts.feed_forward import glu
    >>> glu([1.0, 2.0, 0.0, 0.0]).tolist()  # (1, 2) * sigmoid(0)
    [0.5, 1.0]
    """
    x = as_array(x, "x")
    if x.ndim == 0 or x.shape[axis] % 2 or x.shape[axis] == 0:
        raise ValueError(f"x must have an even, non-zero size along axis {axis}; got shape {x.shape}")
    a, b = np.split(x, 2, axis=axis)
    return a * _sigmoid(b)  # GLU(a, b) = a (x) sigma(b)


def _check_ffn(x: tuple, mats: dict[str, tuple], biases: dict[str, Any]) -> None:
    """Validate shapes of an FFN call: ``x (..., d_model)``, first matrices ``(d_model, d_ff)``, then ``w2``."""
    if len(x) < 1 or 0 in x:
        raise ValueError(f"x must have shape (..., d_model) with non-zero sizes; got {x}")
    (first, shape), *others, w2 = mats.items()
    if len(shape) != 2 or shape[0] != x[-1]:
        raise ValueError(f"{first} must have shape (d_model, d_ff) = ({x[-1]}, d_ff); got {shape}")
    for name, other in others:
        if other != shape:
            raise ValueError(f"{name} must have the shape of {first}, (d_model, d_ff) = {shape}; got {other}")
    d_ff = shape[1]
    if len(w2[1]) != 2 or w2[1][0] != d_ff:
        raise ValueError(f"w2 must have shape (d_ff, d_out) = ({d_ff}, d_out); got {w2[1]}")
    for (name, b), n in zip(biases.items(), (d_ff, w2[1][1]), strict=False):  # gated FFNs pass no biases
        if b is not None and tuple(b.shape) != (n,):
            raise ValueError(f"{name} must have shape ({n},); got {tuple(b.shape)}")


def feed_forward(
    x: ArrayLike,
    w1: ArrayLike,
    w2: ArrayLike,
    *,
    b1: ArrayLike | None = None,
    b2: ArrayLike | None = None,
    activation: str = "relu",
) -> np.ndarray:
    """``FFN(x) = act(x W1 + b1) W2 + b2``, applied to every position independently.

    :param x: shape ``(..., d_model)``, e.g. ``(batch, seq, d_model)``.
    :param w1: ``(d_model, d_ff)``; ``d_ff = 4 d_model`` in most models.
    :param w2: ``(d_ff, d_out)``; ``d_out = d_model`` inside a block.
    :param b1: ``(d_ff,)`` or ``None``.
    :param b2: ``(d_out,)`` or ``None``.
    :param activation: one of ``ACTIVATIONS``; ReLU as in the original Transformer.
    :returns: float64 array ``(..., d_out)``.
    :raises ValueError: for mismatched shapes or an unknown activation.

    >>> import numpy as np
    >>> from concepts.feed_forward import feed_forward
    >>> w1 = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])  # d_model = 2, d_ff = 3
    >>> w2 = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> feed_forward([[1.0, -1.0]], w1, w2).tolist()  # relu(1, -1, 0) = (1, 0, 0) picks row 1 of w2
    [[1.0, 2.0]]
    """
    x, w1, w2 = as_array(x, "x"), as_array(w1, "w1"), as_array(w2, "w2")
    b1, b2 = (None if b is None else as_array(b, name) for b, name in ((b1, "b1"), (b2, "b2")))
    _check_ffn(x.shape, {"w1": w1.shape, "w2": w2.shape}, {"b1": b1, "b2": b2})
    _check_name(activation)
    h = x @ w1 + (0.0 if b1 is None else b1)  # x W1 + b1, (..., d_ff)
    out = act(h, activation) @ w2  # act(.) W2, (..., d_out)
    return out + (0.0 if b2 is None else b2)


def gated_feed_forward(
    x: ArrayLike, w: ArrayLike, v: ArrayLike, w2: ArrayLike, *, activation: str = "silu"
) -> np.ndarray:
    """``FFN_GLU(x) = (act(x W) * (x V)) W2``, Shazeer's GLU variants; SwiGLU by default.

    ``GLU_VARIANTS`` names each variant's gate: GLU sigmoid, bilinear identity, ReGLU relu,
    GEGLU gelu, SwiGLU silu. No biases, as in the paper, PaLM and Llama.

    :param x: shape ``(..., d_model)``.
    :param w: gate projection ``(d_model, d_ff)`` (Llama's ``w1``, ``gate_proj``).
    :param v: value projection ``(d_model, d_ff)`` (Llama's ``w3``, ``up_proj``).
    :param w2: output projection ``(d_ff, d_out)`` (``down_proj``).
    :param activation: the gate's activation, one of ``ACTIVATIONS``.
    :returns: float64 array ``(..., d_out)``.
    :raises ValueError: for mismatched shapes or an unknown activation.

    >>> import numpy as np
    >>> from concepts.feed_forward import gated_feed_forward
    >>> w, v, w2 = np.eye(2), np.ones((2, 2)), np.eye(2)
    >>> np.round(gated_feed_forward([[1.0, -1.0]], w, v, w2), 4).tolist()  # silu(1, -1) * (0, 0)
    [[0.0, 0.0]]
    >>> np.round(gated_feed_forward([[1.0, 0.0]], w, v, w2), 4).tolist()  # silu(1, 0) * (1, 1)
    [[0.7311, 0.0]]
    """
    x, w, v, w2 = (as_array(a, name) for a, name in ((x, "x"), (w, "w"), (v, "v"), (w2, "w2")))
    _check_ffn(x.shape, {"w": w.shape, "v": v.shape, "w2": w2.shape}, {})
    _check_name(activation)
    gate = act(x @ w, activation)  # act(x W), (..., d_ff)
    return (gate * (x @ v)) @ w2  # (act(x W) (x) x V) W2, (..., d_out)


def llama_hidden_size(d_model: int, *, multiple_of: int = 256, ffn_dim_multiplier: float | None = None) -> int:
    """Llama's SwiGLU width: ``2/3`` of ``4 d_model``, optionally scaled, rounded up to ``multiple_of``.

    Three ``d_model x d_ff`` matrices at ``d_ff = 8/3 d_model`` hold as many weights as two at
    ``4 d_model``; Llama truncates that to an integer, then rounds up for efficient kernels.

    :param d_model: model width, a positive integer.
    :param multiple_of: the rounding granularity (256 in Llama 1 and Llama-2-7B/13B).
    :param ffn_dim_multiplier: optional factor applied before rounding (1.3 in Llama-2-70B, Llama 3).
    :returns: ``multiple_of * ceil(h / multiple_of)`` with ``h = int(2 * 4 d_model / 3)``.
    :raises ValueError: for a non-positive size or multiplier.

    >>> from concepts.feed_forward import llama_hidden_size
    >>> llama_hidden_size(4096)  # Llama-7B: int(10922.67) = 10922, rounded up to 43 * 256
    11008
    """
    d_model, multiple_of = require_positive_int(d_model, "d_model"), require_positive_int(multiple_of, "multiple_of")
    if ffn_dim_multiplier is not None and not (math.isfinite(ffn_dim_multiplier) and ffn_dim_multiplier > 0):
        raise ValueError(f"ffn_dim_multiplier must be a positive finite number or None; got {ffn_dim_multiplier!r}")
    hidden = int(2 * (4 * d_model) / 3)  # 8/3 d_model keeps 3 matrices at the weight count of 2 at 4 d_model
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * -(-hidden // multiple_of)  # round up to a multiple


def ffn_param_count(d_model: int, d_ff: int, *, gated: bool = False, bias: bool = False) -> int:
    """Number of parameters of one FFN: ``2 d d_ff`` (plus ``d_ff + d`` biases), or ``3 d d_ff`` gated.

    :param d_model: model width, a positive integer.
    :param d_ff: hidden width, a positive integer.
    :param gated: three matrices (GLU family) instead of two.
    :param bias: count the biases (not available for the gated form here).
    :returns: the parameter count, also the multiply-adds per token.
    :raises ValueError: for a non-positive size, or ``bias`` with ``gated``.

    >>> from concepts.feed_forward import ffn_param_count
    >>> ffn_param_count(768, 3072) == ffn_param_count(768, 2048, gated=True)  # Shazeer's T5 setting
    True
    """
    d_model, d_ff = require_positive_int(d_model, "d_model"), require_positive_int(d_ff, "d_ff")
    if gated and bias:
        raise ValueError("gated FFNs here have no biases; got gated=True with bias=True")
    return (3 if gated else 2) * d_model * d_ff + (d_ff + d_model if bias else 0)


def act_torch(x: torch.Tensor, name: str) -> torch.Tensor:
    """PyTorch mirror of ``act``, written from the formulas so autograd differentiates them.

    Float16 and bfloat16 inputs are computed in float32 and rounded once at the end, as
    PyTorch's own activation kernels do; computing ``1 + tanh(...)`` in float16 would lose
    the left tail of the tanh form to cancellation.

    >>> import torch
    >>> from concepts.feed_forward import act_torch
    >>> x = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)
    >>> [round(a, 4) for a in act_torch(x, "gelu").tolist()]
    [-0.1587, 0.0, 0.8413]
    """
    torch = require_torch()
    require_tensor(x, "x")
    _check_name(name)
    if x.dtype in (torch.float16, torch.bfloat16):
        return act_torch(x.float(), name).to(x.dtype)  # one rounding, as F.gelu / F.silu
    if name == "gelu":
        return x * 0.5 * torch.special.erfc(-x / math.sqrt(2.0))  # x Phi(x)
    if name == "gelu_tanh":
        return 0.5 * x * (1.0 + torch.tanh(_C * (x + 0.044715 * x**3)))
    if name == "relu":
        return torch.where(x > 0, x, 0.0)  # not clamp_min(0), whose gradient at 0 is 1; F.relu's is 0
    if name == "sigmoid":
        return torch.sigmoid(x)
    return x * torch.sigmoid(x) if name == "silu" else x


def glu_torch(x: torch.Tensor, *, dim: int = -1) -> torch.Tensor:
    """PyTorch mirror of ``glu``: ``a * sigmoid(b)`` for the halves ``a | b`` of ``x`` along ``dim``.

    >>> import torch
    >>> from concepts.feed_forward import glu_torch
    >>> glu_torch(torch.tensor([1.0, 2.0, 0.0, 0.0])).tolist()
    [0.5, 1.0]
    """
    torch = require_torch()
    require_tensor(x, "x")
    if x.ndim == 0 or x.shape[dim] % 2 or x.shape[dim] == 0:
        raise ValueError(f"x must have an even, non-zero size along axis {dim}; got shape {tuple(x.shape)}")
    if x.dtype in (torch.float16, torch.bfloat16):
        return glu_torch(x.float(), dim=dim).to(x.dtype)  # one rounding, as F.glu
    a, b = x.chunk(2, dim=dim)
    return a * torch.sigmoid(b)


def feed_forward_torch(
    x: torch.Tensor,
    w1: torch.Tensor,
    w2: torch.Tensor,
    *,
    b1: torch.Tensor | None = None,
    b2: torch.Tensor | None = None,
    activation: str = "relu",
) -> torch.Tensor:
    """PyTorch mirror of ``feed_forward``: same arguments, weights ``(in, out)``.

    >>> import torch
    >>> from concepts.feed_forward import feed_forward_torch
    >>> w1 = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> w2 = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> feed_forward_torch(torch.tensor([[1.0, -1.0]]), w1, w2).tolist()
    [[1.0, 2.0]]
    """
    for t, name in ((x, "x"), (w1, "w1"), (w2, "w2"), (b1, "b1"), (b2, "b2")):
        if t is not None:
            require_tensor(t, name)
    _check_ffn(tuple(x.shape), {"w1": tuple(w1.shape), "w2": tuple(w2.shape)}, {"b1": b1, "b2": b2})
    h = x @ w1 if b1 is None else x @ w1 + b1  # (..., d_ff)
    out = act_torch(h, activation) @ w2  # (..., d_out)
    return out if b2 is None else out + b2


def gated_feed_forward_torch(
    x: torch.Tensor, w: torch.Tensor, v: torch.Tensor, w2: torch.Tensor, *, activation: str = "silu"
) -> torch.Tensor:
    """PyTorch mirror of ``gated_feed_forward``: ``(act(x W) * (x V)) W2``.

    >>> import torch
    >>> from concepts.feed_forward import gated_feed_forward_torch
    >>> eye = torch.eye(2, dtype=torch.float64)
    >>> x = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    >>> [round(a, 4) for a in gated_feed_forward_torch(x, eye, torch.ones(2, 2, dtype=torch.float64), eye)[0].tolist()]
    [0.7311, 0.0]
    """
    for t, name in ((x, "x"), (w, "w"), (v, "v"), (w2, "w2")):
        require_tensor(t, name)
    _check_ffn(tuple(x.shape), {"w": tuple(w.shape), "v": tuple(v.shape), "w2": tuple(w2.shape)}, {})
    return (act_torch(x @ w, activation) * (x @ v)) @ w2  # (..., d_out)
