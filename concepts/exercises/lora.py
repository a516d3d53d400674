"""Checks for the LoRA exercises: the adapted forward pass, merging the adapter, and initialising it.

The trusted references are written out independently in each check: the update as a sum of
rank-one terms ``sum_k (x a_k) b_k`` (``np.einsum``) scaled by ``alpha / r`` or
``alpha / sqrt(r)``, and properties every correct LoRA has (``B = 0`` gives the base layer
exactly, merging leaves the input untouched). Every case uses ``r >= 2`` and ``alpha != r``
so that scaling by ``alpha``, ``alpha / r`` and ``alpha / sqrt(r)`` all give different numbers.
``tests/concepts/test_lora.py`` runs the same checks on ``concepts.lora``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]

# (batch, d_in, d_out, r, alpha), smallest first; never alpha == r, never r == 1.
CASES = [(1, 2, 3, 2, 4.0), (3, 4, 4, 2, 1.0), (2, 6, 5, 4, 16.0), (5, 8, 3, 8, 2.0)]


def _weights(d_in: int, d_out: int, r: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((d_in, d_out)), rng.standard_normal((d_in, r)), rng.standard_normal((r, d_out))


def _update(x: np.ndarray, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``sum_k (x a_k) b_k``: the rank-one pieces of ``x A B``, added one by one."""
    return np.einsum("...i,ik,ko->...o", x, A, B)


# ---------------------------------------------------------------- forward


@check("x W + (alpha / r) x A B on small random inputs", section="lora-scaling")
def check_plain_scaling(candidate: Callable) -> None:
    for i, (batch, d_in, d_out, r, alpha) in enumerate(CASES):
        W, A, B = _weights(d_in, d_out, r, seed=i)
        x = np.random.default_rng(10 + i).standard_normal((batch, d_in))
        want = x @ W + alpha / r * _update(x, A, B)
        compare(candidate(x, W, A, B, alpha), want, inputs={"x": x, "W": W, "A": A, "B": B, "alpha": alpha},
                rtol=1e-9, atol=1e-10)  # fmt: skip


@check("use_rslora=True scales by alpha / sqrt(r) instead", section="lora-rslora")
def check_rslora_scaling(candidate: Callable) -> None:
    for i, (batch, d_in, d_out, r, alpha) in enumerate(CASES):
        W, A, B = _weights(d_in, d_out, r, seed=20 + i)
        x = np.random.default_rng(30 + i).standard_normal((batch, d_in))
        want = x @ W + alpha / math.sqrt(r) * _update(x, A, B)
        compare(candidate(x, W, A, B, alpha, use_rslora=True), want,
                inputs={"x": x, "W": W, "A": A, "B": B, "alpha": alpha, "use_rslora": True},
                rtol=1e-9, atol=1e-10)  # fmt: skip


@check("with B = 0 the output is exactly the base layer's x W", section="lora-init")
def check_zero_b_gives_base(candidate: Callable) -> None:
    W, A, _ = _weights(4, 3, 2, seed=40)
    B = np.zeros((2, 3))
    x = np.random.default_rng(41).standard_normal((2, 4))
    compare(candidate(x, W, A, B, 8.0), x @ W, inputs={"x": x, "W": W, "A": A, "B": B, "alpha": 8.0}, rtol=1e-12,
            atol=1e-12)  # fmt: skip


@check("leading batch dimensions pass through: x of shape (2, 3, d_in)", section="lora-scaling")
def check_batch_dims(candidate: Callable) -> None:
    W, A, B = _weights(4, 5, 2, seed=50)
    x = np.random.default_rng(51).standard_normal((2, 3, 4))
    want = x @ W + 3.0 / 2 * _update(x, A, B)
    compare(candidate(x, W, A, B, 3.0), want, inputs={"x": x, "alpha": 3.0}, rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------- merge


@check("x @ merged equals x W + (alpha / r) x A B", section="lora-merge")
def check_merged_forward(candidate: Callable) -> None:
    for i, (batch, d_in, d_out, r, alpha) in enumerate(CASES):
        W, A, B = _weights(d_in, d_out, r, seed=60 + i)
        x = np.random.default_rng(70 + i).standard_normal((batch, d_in))
        merged = np.asarray(candidate(W.copy(), A, B, alpha), dtype=np.float64)
        expect(merged.shape == W.shape, f"the merged weight must have W's shape {W.shape}; got {merged.shape}")
        compare(x @ merged, x @ W + alpha / r * _update(x, A, B), what="x @ merged",
                inputs={"x": x, "W": W, "A": A, "B": B, "alpha": alpha}, rtol=1e-9, atol=1e-10)  # fmt: skip


@check("use_rslora=True merges (alpha / sqrt(r)) A B", section="lora-rslora")
def check_merged_rslora(candidate: Callable) -> None:
    for i, (_, d_in, d_out, r, alpha) in enumerate(CASES):
        W, A, B = _weights(d_in, d_out, r, seed=80 + i)
        want = W + alpha / math.sqrt(r) * _update(np.eye(d_in), A, B)  # row i of I A B is row i of A B
        compare(candidate(W.copy(), A, B, alpha, use_rslora=True), want, what="the merged weight",
                inputs={"W": W, "A": A, "B": B, "alpha": alpha, "use_rslora": True}, rtol=1e-9, atol=1e-10)  # fmt: skip


@check("W, A and B are left unchanged (merging returns a new array)", section="lora-merge")
def check_inputs_untouched(candidate: Callable) -> None:
    W, A, B = _weights(3, 4, 2, seed=90)
    saved = W.copy(), A.copy(), B.copy()
    candidate(W, A, B, 4.0)
    for name, now, before in zip("WAB", (W, A, B), saved, strict=True):
        compare(now, before, what=f"{name} after the call", inputs={"alpha": 4.0}, rtol=0, atol=0)


# ---------------------------------------------------------------- init


def _pair(candidate: Callable, d_in: int, d_out: int, r: int, rng: object) -> tuple[np.ndarray, np.ndarray]:
    got = candidate(d_in, d_out, r, rng=rng)
    expect(isinstance(got, tuple) and len(got) == 2, "return a tuple (A, B)")
    A, B = (np.asarray(t, dtype=np.float64) for t in got)
    expect(A.shape == (d_in, r), f"A must have shape (d_in, r) = {(d_in, r)}; got {A.shape}")
    expect(B.shape == (r, d_out), f"B must have shape (r, d_out) = {(r, d_out)}; got {B.shape}")
    return A, B


@check("A has shape (d_in, r), B has shape (r, d_out)", section="lora-init")
def check_shapes(candidate: Callable) -> None:
    for d_in, d_out, r in [(2, 3, 1), (4, 4, 2), (7, 5, 3)]:
        _pair(candidate, d_in, d_out, r, 0)


@check("B is all zeros, so the adapted layer starts as the base layer", section="lora-init")
def check_b_is_zero(candidate: Callable) -> None:
    _, B = _pair(candidate, 6, 5, 3, 0)
    expect(not B.any(), f"B must start at zero; got\n{B}")


@check("A is random (not zero) within +-1/sqrt(d_in), uniform like peft's kaiming_uniform_", section="lora-init")
def check_a_is_random(candidate: Callable) -> None:
    d_in, r = 256, 64
    A, _ = _pair(candidate, d_in, 8, r, 1)
    bound = 1 / math.sqrt(d_in)
    expect(np.count_nonzero(A) == A.size, "A must have no zero entries: with A = 0 too, no gradient reaches B")
    expect(np.abs(A).max() <= bound, f"|A| must stay within 1/sqrt(d_in) = {bound:.4g}; got {np.abs(A).max():.4g}")
    std = float(A.std())
    want = bound / math.sqrt(3)  # the std of U(-bound, bound)
    expect(abs(std / want - 1) < 0.05, f"A's std should be about bound / sqrt(3) = {want:.4g} (uniform); got {std:.4g}")


@check("the same integer seed gives the same A; different seeds differ", section="lora-init")
def check_seeded(candidate: Callable) -> None:
    a1, _ = _pair(candidate, 5, 3, 2, 7)
    a2, _ = _pair(candidate, 5, 3, 2, 7)
    a3, _ = _pair(candidate, 5, 3, 2, 8)
    compare(a1, a2, what="A for the same seed", inputs={"rng": 7}, rtol=0, atol=0)
    expect(not np.array_equal(a1, a3), "rng=7 and rng=8 gave the same A: use the rng argument")


CHECKS: dict[str, list] = {
    "lora.forward": [check_plain_scaling, check_rslora_scaling, check_zero_b_gives_base, check_batch_dims],
    "lora.merge": [check_merged_forward, check_merged_rslora, check_inputs_untouched],
    "lora.init": [check_shapes, check_b_is_zero, check_a_is_random, check_seeded],
}
