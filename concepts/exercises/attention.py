"""Checks for the attention exercises: a stable softmax, and scaled dot-product attention with masks.

The trusted references are PyTorch's ``torch.softmax`` and
``torch.nn.functional.scaled_dot_product_attention`` in float64 (whose weights are read off
by attending over the identity matrix as values, ``P @ I = P``), and values worked by hand.
``tests/concepts/test_attention.py`` runs the same checks on ``concepts.attention``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


def _torch_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    torch = require_torch()
    return torch.softmax(torch.from_numpy(np.asarray(x, dtype=np.float64)), dim=axis).numpy()


def torch_sdpa(q, k, v, *, mask=None, is_causal=False, scale=None) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's SDPA on float64 NumPy arrays, returning ``(output, weights)``."""
    torch = require_torch()
    F = torch.nn.functional
    q, k, v = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)) for a in (q, k, v))
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=is_causal, scale=scale)
    eye = torch.eye(k.shape[-2], dtype=k.dtype).expand(*k.shape[:-1], k.shape[-2])
    weights = F.scaled_dot_product_attention(q, k, eye, attn_mask=m, is_causal=is_causal, scale=scale)
    return out.numpy(), weights.numpy()


# ---------------------------------------------------------------- attention.softmax


@check("values equal torch.softmax along the requested axis (lists accepted)", section="attention-lookup")
def check_softmax_values(candidate: Callable) -> None:
    cases = [([1.0, 2.0, 3.0], -1), ([[0.5, -1.0, 2.0], [3.0, 3.0, 0.0]], -1), ([[0.5, -1.0, 2.0], [3.0, 3.0, 0.0]], 0)]
    rng = np.random.default_rng(0)
    cases.append((rng.standard_normal((2, 3, 4)).tolist(), 1))
    for x, axis in cases:
        got = candidate(x, axis=axis) if axis != -1 else candidate(x)
        compare(got, _torch_softmax(np.array(x), axis), inputs={"x": np.array(x), "axis": axis}, rtol=1e-10, atol=1e-12)


@check("scores near 1000 neither overflow nor give NaN", section="attention-stable-softmax")
def check_softmax_large_scores(candidate: Callable) -> None:
    for x in ([1000.0, 1001.0], [[-800.0, -801.0, -1000.0], [710.0, 0.0, 709.0]]):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            got = candidate(x)
        compare(got, _torch_softmax(np.array(x), -1), inputs={"x": np.array(x)}, rtol=1e-10, atol=1e-12)


@check("-inf scores get weight exactly 0", section="attention-masking")
def check_softmax_minus_inf(candidate: Callable) -> None:
    x = np.array([[0.0, -np.inf, 0.0], [-np.inf, 2.0, -np.inf]])
    compare(candidate(x), [[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]], inputs={"x": x}, rtol=0, atol=1e-15)


# ---------------------------------------------------------------- attention.sdpa


@check("a two-token example worked by hand (scores divided by sqrt(d_k) = 2)", section="attention-scaling")
def check_hand_worked_example(candidate: Callable) -> None:
    """x1 = (1, 1, 0, 0), x2 = (0, 0, 1, 1) as queries and keys: scaled scores [[1, 0], [0, 1]],
    weights [[a, b], [b, a]] with a = e / (1 + e); values (1, 2) and (3, 4). Causal: [[1, 0], [b, a]]."""
    x = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    a, b = math.e / (1 + math.e), 1 / (1 + math.e)
    inputs = {"q": x, "k": x, "v": v}
    want_out = np.array([[1 + 2 * b, 2 + 2 * b], [1 + 2 * a, 2 + 2 * a]])
    compare(candidate(x, x, v), (want_out, np.array([[a, b], [b, a]])), inputs=inputs, rtol=0, atol=1e-12)
    want_out = np.array([[1.0, 2.0], [1 + 2 * a, 2 + 2 * a]])
    got = candidate(x, x, v, is_causal=True)
    compare(got, (want_out, np.array([[1.0, 0.0], [b, a]])), inputs={**inputs, "is_causal": True}, atol=1e-12)


def _mask(kind: str, batch: tuple[int, ...], seq_q: int, seq_k: int, rng: np.random.Generator):
    if kind == "none":
        return None, False
    if kind == "causal":
        return None, True
    if kind == "bool":  # may leave a query with no key at all
        return rng.random((seq_q, seq_k)) < 0.7, False
    if kind == "padding":  # (..., 1, seq_k)
        return np.arange(seq_k) < rng.integers(1, seq_k + 1, size=(*batch, 1, 1)), False
    shape = (*batch, seq_q, seq_k)  # additive: a bias everywhere, -inf on some keys
    return np.where(rng.random(shape) < 0.3, -np.inf, rng.standard_normal(shape)), False


SDPA_CASES = [((), 1, 1, 1, 1), ((1,), 1, 5, 4, 3), ((2,), 4, 4, 8, 8), ((2, 3), 3, 6, 8, 4), ((3,), 6, 3, 8, 5)]


@check(
    "output and weights equal torch SDPA for boolean, padding, additive and causal masks", section="attention-masking"
)
def check_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    for kind in ("none", "bool", "padding", "additive", "causal"):
        for n, (batch, seq_q, seq_k, d_k, d_v) in enumerate(SDPA_CASES):
            q, k = rng.standard_normal((*batch, seq_q, d_k)), rng.standard_normal((*batch, seq_k, d_k))
            v = rng.standard_normal((*batch, seq_k, d_v))
            mask, is_causal = _mask(kind, batch, seq_q, seq_k, rng)
            scale = 0.3 if n % 2 else None  # the default 1 / sqrt(d_k), and an explicit scale
            inputs = {"q": q, "k": k, "v": v, "mask": mask, "is_causal": is_causal, "scale": scale}
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # a learner's NaN is reported below
                got = candidate(q, k, v, mask=mask, is_causal=is_causal, scale=scale)
            want = torch_sdpa(q, k, v, mask=mask, is_causal=is_causal, scale=scale)
            compare(got, want, inputs=inputs, rtol=1e-9, atol=1e-11)


@check("a query whose keys are all masked gets zeros, not NaN", section="attention-masking")
def check_fully_masked_rows(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    for m in (mask, np.where(mask, 0.0, -np.inf)):
        with np.errstate(invalid="ignore", divide="ignore"):
            got = candidate(q, k, v, mask=m)
        compare(got, torch_sdpa(q, k, v, mask=m), inputs={"q": q, "k": k, "v": v, "mask": m}, rtol=1e-9, atol=1e-12)


@check("scores of order 1e4 give no overflow and no NaN", section="attention-stable-softmax")
def check_large_logits(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    q, k = 100 * rng.standard_normal((2, 4, 16))
    v = rng.standard_normal((4, 3))
    with np.errstate(over="ignore", invalid="ignore"):
        got = candidate(q, k, v)
    compare(got, torch_sdpa(q, k, v), inputs={"q": q, "k": k, "v": v}, rtol=1e-9, atol=1e-11)


@check("under is_causal, changing token j never changes the outputs before j", section="attention-masking")
def check_causality(candidate: Callable) -> None:
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal((5, 4)) for _ in range(3))
    out, _ = candidate(q, k, v, is_causal=True)
    for j in range(5):
        k2, v2 = k.copy(), v.copy()
        k2[j], v2[j] = rng.standard_normal(4), rng.standard_normal(4)
        out2, _ = candidate(q, k2, v2, is_causal=True)
        compare(
            out2[:j],
            out[:j],
            inputs={"q": q, "k": k2, "v": v2, "changed token": j},
            what=f"the outputs before token {j}",
            rtol=0,
            atol=1e-12,
        )
        expect(
            not np.allclose(out2[j:], out[j:]),
            f"changing token {j} changed no output from {j} on: is the mask hiding the diagonal?",
        )


CHECKS: dict[str, list] = {
    "attention.softmax": [check_softmax_values, check_softmax_large_scores, check_softmax_minus_inf],
    "attention.sdpa": [
        check_hand_worked_example,
        check_against_torch,
        check_fully_masked_rows,
        check_large_logits,
        check_causality,
    ],
}
