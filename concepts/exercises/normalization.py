"""Checks for the normalization exercises: RMSNorm, and LayerNorm's backward pass by hand.

The trusted references are ``torch.nn.functional.rms_norm`` (float64, float32 and float16,
with its default ``eps=None``), autograd through ``torch.nn.functional.layer_norm`` in
float64, and values worked by hand. ``tests/concepts/test_normalization.py`` runs the same
checks on ``concepts.normalization``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare

__all__ = ["CHECKS"]

# (input shape, normalized_shape), smallest first: a size-1 norm, one token, batches, two normalised dims
SHAPES = [((3, 1), (1,)), ((1, 5), (5,)), ((2, 3, 8), 8), ((4, 3, 6), (3, 6))]


def _ns(normalized_shape) -> tuple[int, ...]:
    return (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)


def _torch_rms(x: np.ndarray, normalized_shape, weight=None, eps=None) -> np.ndarray:
    torch = require_torch()
    w = None if weight is None else torch.from_numpy(np.asarray(weight))
    out = torch.nn.functional.rms_norm(torch.from_numpy(x), _ns(normalized_shape), w, eps)
    return out.float().numpy() if out.dtype == torch.float16 else out.numpy()


# ---------------------------------------------------------------- normalization.rms-norm


@check(
    "x = (3, 4) gives (0.8485, 1.1314) and a constant token stays constant (no centring)",
    section="normalization-rmsnorm",
)
def check_rms_hand_worked(candidate: Callable) -> None:
    """Mean square of (3, 4) is 12.5, so y = x / 3.5355; a row of 2s has RMS 2 and maps to 1s."""
    x = [[3.0, 4.0]]
    compare(candidate(x, 2, eps=0.0), [[3 / 12.5**0.5, 4 / 12.5**0.5]], inputs={"x": np.array(x)}, atol=1e-9)
    x = np.full((2, 3), 2.0)
    compare(candidate(x, 3, eps=0.0), np.ones((2, 3)), inputs={"x": x}, atol=1e-9)


@check(
    "values equal torch's F.rms_norm over the trailing dims, with and without a weight", section="normalization-rmsnorm"
)
def check_rms_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for shape, ns in SHAPES:
        x = rng.standard_normal(shape) + 0.5
        w = 1.0 + 0.5 * rng.standard_normal(_ns(ns))
        inputs = {"x": x, "normalized_shape": ns, "weight": w, "eps": 1e-6}
        compare(candidate(x, ns, w, eps=1e-6), _torch_rms(x, ns, w, 1e-6), inputs=inputs, rtol=1e-9, atol=1e-12)
        compare(candidate(x, ns, eps=1e-6), _torch_rms(x, ns, None, 1e-6), inputs={**inputs, "weight": None}, rtol=1e-9)


@check(
    "eps=None is float32's epsilon for float16/float32 input, float64's for float64, as nn.RMSNorm",
    section="normalization-rmsnorm",
)
def check_rms_default_eps(candidate: Callable) -> None:
    """A zero token stays zero; a float16 token of 1e-3 gives 0.945 (float16's own eps would give 0.032)."""
    for dtype, scale, tol in ((np.float64, 1e-7, 1e-9), (np.float32, 1e-4, 1e-5), (np.float16, 1e-3, 2e-3)):
        x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]]) * scale
        x = np.vstack([x, np.full((1, 3), scale)]).astype(dtype)
        got = np.asarray(candidate(x, 3), dtype=np.float64)
        shown = f"{np.dtype(dtype).name} rows: (0, 0, 0), {scale:g} * (1, -2, 0.5), {scale:g} * (1, 1, 1)"
        compare(got, _torch_rms(x, 3), inputs={"x": shown}, rtol=tol, atol=tol)  # rounded arrays would show 0


# ---------------------------------------------------------------- normalization.layer-norm-backward


def _autograd(grad_out: np.ndarray, x: np.ndarray, normalized_shape, weight, eps: float):
    torch = require_torch()
    xt = torch.from_numpy(x).requires_grad_()
    ns = _ns(normalized_shape)
    w = torch.from_numpy(np.ones(ns) if weight is None else weight).requires_grad_()
    b = torch.zeros(ns, dtype=torch.float64, requires_grad=True)
    (torch.nn.functional.layer_norm(xt, ns, w, b, eps) * torch.from_numpy(grad_out)).sum().backward()
    return xt.grad.numpy(), w.grad.numpy(), b.grad.numpy()


@check("(dx, dweight, dbias) equal autograd through F.layer_norm, float64", section="normalization-backward")
def check_backward_against_autograd(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    for shape, ns in SHAPES:
        x, grad_out = 2.0 + 3.0 * rng.standard_normal(shape), rng.standard_normal(shape)
        w = 1.0 + 0.5 * rng.standard_normal(_ns(ns))
        inputs = {"grad_out": grad_out, "x": x, "normalized_shape": ns, "weight": w}
        compare(candidate(grad_out, x, ns, w), _autograd(grad_out, x, ns, w, 1e-5), inputs=inputs, rtol=1e-7, atol=1e-9)
        got = candidate(grad_out, x, ns, None, eps=1e-3)
        compare(
            got,
            _autograd(grad_out, x, ns, None, 1e-3),
            inputs={**inputs, "weight": None, "eps": 1e-3},
            rtol=1e-7,
            atol=1e-9,
        )


@check(
    "dx sums to zero over each token's normalised dims (a shift of the input changes nothing)",
    section="normalization-backward",
)
def check_backward_rows_sum_to_zero(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    x, grad_out = 5.0 + rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 4, 6))
    dx = np.asarray(candidate(grad_out, x, 6)[0], dtype=np.float64)
    compare(
        dx.sum(axis=-1),
        np.zeros((2, 4)),
        inputs={"grad_out": grad_out, "x": x},
        what="dx summed over the token",
        atol=1e-9,
    )


@check("scaling the input by 10 (and eps by 100) divides dx by 10", section="normalization-backward")
def check_backward_scale(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    x, grad_out = rng.standard_normal((3, 7)), rng.standard_normal((3, 7))
    dx = np.asarray(candidate(grad_out, x, 7, eps=1e-6)[0], dtype=np.float64)
    dx10 = candidate(grad_out, 10.0 * x, 7, eps=1e-4)[0]
    compare(dx10, dx / 10.0, inputs={"grad_out": grad_out, "x": x}, what="dx for 10 x", rtol=1e-7, atol=1e-10)


CHECKS: dict[str, list] = {
    "normalization.rms-norm": [check_rms_hand_worked, check_rms_against_torch, check_rms_default_eps],
    "normalization.layer-norm-backward": [
        check_backward_against_autograd,
        check_backward_rows_sum_to_zero,
        check_backward_scale,
    ],
}
