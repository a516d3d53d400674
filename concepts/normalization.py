"""LayerNorm and RMSNorm: rescale each token's features, and where the norm sits in a residual block.

Follows Ba et al. (2016, "Layer Normalization"), Zhang and Sennrich (2019, "Root Mean Square
Layer Normalization") with PyTorch's ``F.layer_norm`` / ``F.rms_norm`` conventions (biased
variance, eps inside the square root), and Xiong et al. (2020, "On Layer Normalization in
the Transformer Architecture") for Pre-LN vs Post-LN, and Wang et al. (2022, "DeepNet") for
DeepNorm's constants. Leaves out BatchNorm (its own page),
GroupNorm, fused kernels and attention sublayers (the residual stack uses an MLP).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from concepts._checks import as_array, require_positive_int, require_tensor, require_torch

if TYPE_CHECKING:
    import torch

__all__ = [
    "build_stack",
    "deepnorm_constants",
    "layer_grad_norms",
    "layer_norm",
    "layer_norm_backward",
    "layer_norm_torch",
    "qk_norm_scores",
    "residual_block_torch",
    "rms_norm",
    "rms_norm_torch",
    "stack_forward",
]


def _check(x_shape: tuple, normalized_shape: int | Sequence[int], eps: float | None, **params) -> tuple:
    """Validate the shapes; return ``normalized_shape`` as a tuple and the axes it covers."""
    shape = (normalized_shape,) if np.ndim(normalized_shape) == 0 else tuple(normalized_shape)
    if not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"normalized_shape must be an int or a tuple of ints; got {normalized_shape!r}")
    shape = tuple(int(n) for n in shape)
    if not shape or min(shape) < 1:
        raise ValueError(f"normalized_shape must be non-empty positive sizes; got {normalized_shape!r}")
    want = "(..., " + ", ".join(map(str, shape)) + ")"
    if tuple(x_shape[len(x_shape) - len(shape) :]) != shape or len(x_shape) < len(shape):
        raise ValueError(f"x must have shape {want} to match normalized_shape; got {tuple(x_shape)}")
    for name, p in params.items():
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"{name} must have shape normalized_shape {shape}; got {tuple(p.shape)}")
    if eps is not None and not eps >= 0:
        raise ValueError(f"eps must be non-negative; got {eps!r}")
    return shape, tuple(range(-len(shape), 0))


def _as_float(name: str, a: object) -> np.ndarray:
    """``a`` as a floating array: float32 stays float32, float16 becomes float32, the rest float64."""
    a = as_array(a, name, dtype=None)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {a.dtype}")
    return a.astype(np.result_type(a.dtype, np.float32), copy=False)


def _opt_float(name: str, a: object) -> np.ndarray | None:
    return None if a is None else _as_float(name, a)


def layer_norm(
    x: np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    *,
    eps: float = 1e-5,
) -> np.ndarray:
    """LayerNorm over the trailing ``normalized_shape`` dims of ``x``, as ``F.layer_norm``.

    Each token is centred and scaled by its own mean and *biased* variance (divide by N),
    never by statistics of the batch; then the elementwise affine ``weight``, ``bias``.

    :param x: input of shape ``(..., *normalized_shape)``, e.g. ``(batch, seq, d_model)``.
    :param normalized_shape: the trailing dims to normalise over, an int or a tuple.
    :param weight: gain gamma of shape ``normalized_shape``; ones when omitted.
    :param bias: shift beta of shape ``normalized_shape``; zeros when omitted.
    :param eps: added to the variance inside the square root (PyTorch's default 1e-5).
    :returns: array of the shape of ``x``.
    :raises ValueError: when the trailing dims of ``x``, ``weight`` or ``bias`` do not
        match ``normalized_shape``, or ``eps`` is negative.

    >>> from concepts.normalization import layer_norm
    >>> import numpy as np
    >>> np.round(layer_norm(np.array([[1.0, 2.0, 3.0]]), 3, eps=0.0), 4).tolist()
    [[-1.2247, 0.0, 1.2247]]
    """
    x, weight, bias = _as_float("x", x), _opt_float("weight", weight), _opt_float("bias", bias)
    _, axes = _check(x.shape, normalized_shape, float(eps), weight=weight, bias=bias)
    mu = x.mean(axis=axes, keepdims=True)  # mu = (1/N) sum_i x_i
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)  # sigma^2 = (1/N) sum_i (x_i - mu)^2
    y = (x - mu) / np.sqrt(var + eps)  # x_hat = (x - mu) / sqrt(sigma^2 + eps)
    if weight is not None:
        y = y * weight  # gamma * x_hat
    if bias is not None:
        y = y + bias  # + beta
    return y


def layer_norm_backward(
    grad_out: np.ndarray,
    x: np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: np.ndarray | None = None,
    *,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of LayerNorm by hand: ``(dL/dx, dL/dweight, dL/dbias)`` given ``dL/dy``.

    :param grad_out: upstream gradient ``dL/dy``, the shape of ``x``.
    :param x: the forward input, shape ``(..., *normalized_shape)``.
    :param normalized_shape: as in ``layer_norm``.
    :param weight: the gain used in the forward pass; ones when omitted.
    :param eps: as in ``layer_norm``.
    :returns: ``dx`` (shape of ``x``), ``dweight`` and ``dbias`` (shape ``normalized_shape``).
    :raises ValueError: on the shape mismatches ``layer_norm`` rejects, or when
        ``grad_out`` and ``x`` differ in shape.

    >>> from concepts.normalization import layer_norm_backward
    >>> import numpy as np
    >>> dx, dw, db = layer_norm_backward(np.ones((1, 3)), np.array([[1.0, 2.0, 3.0]]), 3)
    >>> np.round(dx, 4).tolist(), np.round(db, 4).tolist()
    ([[0.0, 0.0, 0.0]], [1.0, 1.0, 1.0])
    """
    x, grad_out, weight = _as_float("x", x), _as_float("grad_out", grad_out), _opt_float("weight", weight)
    if grad_out.shape != x.shape:
        raise ValueError(f"grad_out must have the shape of x {x.shape}; got {grad_out.shape}")
    shape, axes = _check(x.shape, normalized_shape, float(eps), weight=weight)
    n = int(np.prod(shape))
    lead = tuple(range(x.ndim - len(shape)))
    mu = x.mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True) + eps)  # r = 1/sqrt(sigma^2 + eps)
    x_hat = (x - mu) * rstd
    g = grad_out if weight is None else grad_out * weight  # dL/dx_hat
    # dL/dx = (r/N) (N g - sum(g) - x_hat sum(g x_hat)): subtract the parts along 1 and x_hat
    dx = rstd / n * (n * g - g.sum(axis=axes, keepdims=True) - x_hat * (g * x_hat).sum(axis=axes, keepdims=True))
    return dx, (grad_out * x_hat).sum(axis=lead), grad_out.sum(axis=lead)


def rms_norm(
    x: np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: np.ndarray | None = None,
    *,
    eps: float | None = None,
) -> np.ndarray:
    """RMSNorm over the trailing ``normalized_shape`` dims, as ``F.rms_norm``: no centring, no bias.

    :param x: input of shape ``(..., *normalized_shape)``.
    :param normalized_shape: the trailing dims to normalise over.
    :param weight: gain of shape ``normalized_shape``; ones when omitted.
    :param eps: added to the mean square; ``None`` means float32's machine epsilon
        (about 1.19e-7) for float16 and float32 inputs and float64's (2.2e-16) for float64
        ones, as ``nn.RMSNorm``'s default ``eps=None`` does. Float16 input is computed in
        float32 (so its output is float32).
    :returns: array of the shape of ``x``.
    :raises ValueError: as ``layer_norm``.

    >>> from concepts.normalization import rms_norm
    >>> import numpy as np
    >>> np.round(rms_norm(np.array([[3.0, 4.0]]), 2, eps=0.0), 4).tolist()
    [[0.8485, 1.1314]]
    """
    x, weight = _as_float("x", x), _opt_float("weight", weight)
    _, axes = _check(x.shape, normalized_shape, eps, weight=weight)
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps  # x is float32 or float64 here
    y = x / np.sqrt((x**2).mean(axis=axes, keepdims=True) + eps)  # x / sqrt(mean(x^2) + eps)
    return y if weight is None else y * weight


def qk_norm_scores(q: np.ndarray, k: np.ndarray, *, eps: float = 1e-6) -> np.ndarray:
    """Attention logits with QK-norm: RMSNorm on each query and key before ``q k^T / sqrt(d_k)``.

    After the norm every query and key has length about ``sqrt(d_k)``, so no logit can
    exceed ``sqrt(d_k)`` in size, however large the activations grow (learned gains omitted).

    :param q: queries, shape ``(..., seq_q, d_k)``.
    :param k: keys, shape ``(..., seq_k, d_k)``.
    :param eps: RMSNorm's eps.
    :returns: scores of shape ``(..., seq_q, seq_k)``.
    :raises ValueError: when ``q`` or ``k`` has rank below 2 or their ``d_k`` differ.

    >>> from concepts.normalization import qk_norm_scores
    >>> import numpy as np
    >>> round(float(qk_norm_scores(np.array([[1e3, 0.0]]), np.array([[1e3, 0.0]]), eps=0.0)[0, 0]), 4)
    1.4142
    """
    q, k = as_array(q, "q"), as_array(k, "k")
    if q.ndim < 2 or k.ndim < 2 or q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q, k must have shapes (..., seq_q, d_k), (..., seq_k, d_k); got {q.shape}, {k.shape}")
    d_k = q.shape[-1]
    q_hat, k_hat = rms_norm(q, d_k, eps=eps), rms_norm(k, d_k, eps=eps)
    return q_hat @ np.swapaxes(k_hat, -1, -2) / np.sqrt(d_k)  # (..., T_q, T_k)


def _torch_input(x: object, weight: object = None, bias: object = None):
    """Check the tensors; return torch, the dtype to compute in, and the dtype to return."""
    torch = require_torch()
    for name, t in (("x", x), ("weight", weight), ("bias", bias)):
        if t is not None:
            require_tensor(t, name)
    low = x.dtype in (torch.float16, torch.bfloat16)  # PyTorch's kernels accumulate these in float32
    return torch, torch.float32 if low else x.dtype, x.dtype


def layer_norm_torch(
    x: torch.Tensor,
    normalized_shape: int | Sequence[int],
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    *,
    eps: float = 1e-5,
) -> torch.Tensor:
    """PyTorch mirror of ``layer_norm`` from tensor operations, so autograd derives its backward.

    Float16 and bfloat16 inputs are computed in float32 and the result cast back, as
    ``F.layer_norm`` does; the output has the dtype of ``x``.

    >>> from concepts.normalization import layer_norm_torch
    >>> import torch
    >>> torch.manual_seed(0) and None
    >>> x = torch.randn(2, 3, dtype=torch.float64)
    >>> bool(torch.allclose(layer_norm_torch(x, 3), torch.nn.functional.layer_norm(x, (3,))))
    True
    """
    _, work, out = _torch_input(x, weight, bias)
    _, axes = _check(tuple(x.shape), normalized_shape, float(eps), weight=weight, bias=bias)
    x = x.to(work)
    mu = x.mean(dim=axes, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=axes, keepdim=True)  # biased: divide by N, not N - 1
    y = (x - mu) * (var + eps).rsqrt()  # x_hat = (x - mu) / sqrt(sigma^2 + eps)
    y = y if weight is None else y * weight.to(work)
    return (y if bias is None else y + bias.to(work)).to(out)


def rms_norm_torch(
    x: torch.Tensor,
    normalized_shape: int | Sequence[int],
    weight: torch.Tensor | None = None,
    *,
    eps: float | None = None,
) -> torch.Tensor:
    """PyTorch mirror of ``rms_norm``, computed as ``nn.RMSNorm`` / ``F.rms_norm`` compute it.

    ``eps=None`` means ``torch.finfo(torch.float32).eps`` for float16, bfloat16 and float32
    inputs and ``torch.finfo(torch.float64).eps`` for float64: the epsilon of the dtype the
    kernel computes in, not of the input's dtype (float16's 9.8e-4 would swamp a mean
    square of 1e-6). Float16 and bfloat16 inputs are computed in float32, weight included,
    and the result cast back to the input's dtype.

    >>> from concepts.normalization import rms_norm_torch
    >>> import torch
    >>> round(float(rms_norm_torch(torch.tensor([[3.0, 4.0]]), 2, eps=0.0)[0, 1]), 4)
    1.1314
    >>> float(rms_norm_torch(torch.full((1, 4), 1e-3, dtype=torch.float16), 4)[0, 0])  # not 0.032
    0.9453125
    """
    torch, work, out = _torch_input(x, weight)
    _, axes = _check(tuple(x.shape), normalized_shape, eps, weight=weight)
    eps = torch.finfo(work).eps if eps is None else eps  # float32's eps for float16 / bfloat16 too
    x = x.to(work)
    y = x * torch.rsqrt(x.pow(2).mean(dim=axes, keepdim=True) + eps)  # x / sqrt(mean(x^2) + eps)
    return (y if weight is None else y * weight.to(work)).to(out)


def residual_block_torch(
    x: torch.Tensor, sublayer: Callable, norm: Callable, *, norm_first: bool = True, alpha: float = 1.0
) -> torch.Tensor:
    """One residual block: Pre-LN ``x + f(LN(x))`` or Post-LN ``LN(alpha x + f(x))``.

    :param x: the residual stream, shape ``(batch, seq, d_model)`` or ``(tokens, d_model)``.
    :param sublayer: ``f``, e.g. an MLP or attention, mapping ``d_model`` to ``d_model``.
    :param norm: the normalisation, e.g. ``nn.LayerNorm(d_model)``.
    :param norm_first: True for Pre-LN (GPT-2, Llama), False for Post-LN (original Transformer).
    :param alpha: Post-LN only: DeepNorm's up-weighting of the residual (1 is plain Post-LN).
    :raises ValueError: for ``alpha`` that is not positive, or ``alpha != 1`` with Pre-LN.

    >>> from concepts.normalization import residual_block_torch
    >>> import torch
    >>> x = torch.tensor([[1.0, 3.0]])
    >>> residual_block_torch(x, lambda h: 0 * h, torch.nn.LayerNorm(2)).tolist()
    [[1.0, 3.0]]
    """
    if not (math.isfinite(alpha) and alpha > 0) or (norm_first and alpha != 1.0):
        raise ValueError(f"alpha must be positive, and 1 for Pre-LN (DeepNorm is Post-LN); got {alpha!r}")
    if norm_first:
        return x + sublayer(norm(x))  # the stream itself is never normalised
    return norm(alpha * x + sublayer(x))  # every block renormalises the stream; DeepNorm: alpha > 1


def deepnorm_constants(num_layers: int) -> tuple[float, float]:
    """DeepNorm's ``(alpha, beta)`` for an ``N``-layer decoder-only or encoder-only model (Wang et al., 2022).

    Each Post-LN block becomes ``LN(alpha x + f(x))`` with ``alpha = (2N)^(1/4)``, and at
    initialisation the FFN, value and output projections are scaled by ``beta = (8N)^(-1/4)``
    (queries and keys are not). Both bound how far one update can move the model, so Post-LN
    trains at depths of hundreds of layers.

    :raises ValueError: when ``num_layers`` is not a positive integer.

    >>> from concepts.normalization import deepnorm_constants
    >>> [round(c, 4) for c in deepnorm_constants(64)]  # (128)^(1/4), (512)^(-1/4)
    [3.3636, 0.2102]
    """
    n = require_positive_int(num_layers, "num_layers")
    return (2 * n) ** 0.25, (8 * n) ** -0.25


def build_stack(
    num_layers: int, d_model: int, *, d_ff: int | None = None, generator: torch.Generator | None = None
) -> torch.nn.ModuleDict:
    """``num_layers`` blocks of (LayerNorm, MLP) plus a final LayerNorm, Xavier-initialised as in Xiong et al.

    The same weights run as Pre-LN or Post-LN (see ``stack_forward``), so the two differ
    only in where the norm sits. The MLP is ``Linear(d, d_ff) -> ReLU -> Linear(d_ff, d)``
    with ``d_ff = 4 d`` by default; the stack is float64.

    :param generator: draws the weights; ``None`` uses PyTorch's global generator.
    :raises ValueError: when ``num_layers``, ``d_model`` or ``d_ff`` is not a positive integer.

    >>> from concepts.normalization import build_stack
    >>> import torch
    >>> len(build_stack(3, 8, generator=torch.Generator().manual_seed(0))["blocks"])
    3
    """
    torch = require_torch()
    nn = torch.nn
    num_layers, d_model = require_positive_int(num_layers, "num_layers"), require_positive_int(d_model, "d_model")
    d_ff = 4 * d_model if d_ff is None else require_positive_int(d_ff, "d_ff")
    blocks = nn.ModuleList()
    for _ in range(num_layers):
        mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))
        for lin in (mlp[0], mlp[2]):
            nn.init.xavier_uniform_(lin.weight, generator=generator)
            nn.init.zeros_(lin.bias)
        blocks.append(nn.ModuleDict({"norm": nn.LayerNorm(d_model), "mlp": mlp}))
    return nn.ModuleDict({"blocks": blocks, "final_norm": nn.LayerNorm(d_model)}).double()


def stack_forward(stack: torch.nn.ModuleDict, x: torch.Tensor, *, norm_first: bool = True) -> torch.Tensor:
    """Run a ``build_stack`` stack on ``x`` of shape ``(..., d_model)``; Pre-LN adds the final norm.

    >>> from concepts.normalization import build_stack, stack_forward
    >>> import torch
    >>> y = stack_forward(build_stack(2, 4), torch.randn(3, 4, dtype=torch.float64), norm_first=False)
    >>> tuple(y.shape)
    (3, 4)
    """
    for block in stack["blocks"]:
        x = residual_block_torch(x, block["mlp"], block["norm"], norm_first=norm_first)
    return stack["final_norm"](x) if norm_first else x  # GPT-2's ln_f; Post-LN already ends in a norm


def layer_grad_norms(
    stack: torch.nn.ModuleDict, x: torch.Tensor, target: torch.Tensor, *, norm_first: bool = True
) -> np.ndarray:
    """Gradient norm of each block's MLP parameters at the current (e.g. initial) weights.

    :param stack: a stack from ``build_stack``.
    :param x: input of shape ``(..., d_model)``.
    :param target: regression target of the shape of ``x``; the loss is
        ``0.5 * mean_t ||y_t - target_t||^2`` over tokens ``t``.
    :param norm_first: Pre-LN (True) or Post-LN (False).
    :returns: array of shape ``(num_layers,)``, first block first.
    :raises ValueError: when ``target`` and ``x`` differ in shape.

    >>> from concepts.normalization import build_stack, layer_grad_norms
    >>> import torch
    >>> torch.manual_seed(0) and None
    >>> x, t = torch.randn(2, 16, 8, dtype=torch.float64)
    >>> layer_grad_norms(build_stack(4, 8), x, t).shape
    (4,)
    """
    if target.shape != x.shape:
        raise ValueError(f"target must have the shape of x {tuple(x.shape)}; got {tuple(target.shape)}")
    stack.zero_grad()
    y = stack_forward(stack, x, norm_first=norm_first)
    (0.5 * (y - target).pow(2).sum(-1).mean()).backward()  # L = 0.5 mean_t ||y_t - target_t||^2
    norms = []
    for block in stack["blocks"]:
        sq = sum(p.grad.pow(2).sum() for p in block["mlp"].parameters())
        norms.append(float(sq) ** 0.5)  # ||dL/dtheta_l||_F over block l's MLP
    return np.array(norms)
