"""Checks for the positional-encoding exercises: the sinusoidal table, and RoPE on q and k.

The table is compared with the paper's formula evaluated one entry at a time, and with a
hand-worked 3 x 4 table. RoPE is compared with hand-derived rotations, with the
complex-number form of Meta's Llama code (interleaved pairs) and the ``rotate_half`` form
of GPT-NeoX / Hugging Face (half-split pairs), both written here in NumPy, and with the
property that makes it relative: a score depends only on the offset of the two positions.
Our own implementation is never the reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


def _formula_table(seq_len: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """PE[pos, 2i] = sin(pos / base^(2i/d)), PE[pos, 2i+1] = cos(...), one entry at a time."""
    pe = np.empty((seq_len, d_model))
    for pos in range(seq_len):
        for i in range(d_model // 2):
            angle = pos / base ** (2 * i / d_model)
            pe[pos, 2 * i], pe[pos, 2 * i + 1] = math.sin(angle), math.cos(angle)
    return pe


@check(
    "hand-worked table for 3 positions and d_model = 4 (frequencies 1 and 1/100)",
    section="positional-encoding-sinusoidal",
)
def check_hand_example(candidate: Any) -> None:
    want = [
        [0.0, 1.0, 0.0, 1.0],
        [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)],
        [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)],
    ]
    compare(candidate(3, 4), np.array(want), inputs={"seq_len": 3, "d_model": 4}, rtol=0, atol=1e-12)


@check(
    "every entry equals the paper's formula, for several sizes and a different base",
    section="positional-encoding-sinusoidal",
)
def check_formula(candidate: Any) -> None:
    for seq_len, d_model, base in [
        (1, 2, 10000.0),
        (5, 8, 10000.0),
        (17, 6, 10000.0),
        (50, 64, 10000.0),
        (9, 8, 100.0),
    ]:
        got = candidate(seq_len, d_model, base=base)
        compare(
            got,
            _formula_table(seq_len, d_model, base),
            inputs={"seq_len": seq_len, "d_model": d_model, "base": base},
            rtol=0,
            atol=1e-10,
        )


def _rope_complex(x: np.ndarray, m: np.ndarray, base: float) -> np.ndarray:
    """Interleaved RoPE as Meta's Llama writes it: pairs (2i, 2i+1) as complex numbers times e^{i m theta}."""
    d = x.shape[-1]
    theta = 1.0 / base ** (np.arange(0, d, 2) / d)
    z = (x[..., 0::2] + 1j * x[..., 1::2]) * np.exp(1j * m[:, None] * theta)
    return np.stack([z.real, z.imag], axis=-1).reshape(x.shape)


def _rope_rotate_half(x: np.ndarray, m: np.ndarray, base: float) -> np.ndarray:
    """Half-split RoPE as GPT-NeoX and Hugging Face write it: x cos + rotate_half(x) sin."""
    d = x.shape[-1]
    theta = 1.0 / base ** (np.arange(0, d, 2) / d)
    emb = np.concatenate([m[:, None] * theta] * 2, axis=-1)  # (T, d): the d/2 angles twice
    rotated = np.concatenate([-x[..., d // 2 :], x[..., : d // 2]], axis=-1)
    return x * np.cos(emb) + rotated * np.sin(emb)


@check(
    "hand-derived rotations: (1, 0, 0, 0) at position 1 and (0, 0, 0, 2) at position 3",
    section="positional-encoding-rope",
)
def check_hand_values(candidate: Any) -> None:
    c1, s1 = math.cos(1), math.sin(1)
    s3, c3 = 2 * math.sin(0.03), 2 * math.cos(0.03)  # pair i = 1 turns by 3 * 0.01 rad
    cases = [
        ([[1.0, 0.0, 0.0, 0.0]], [0], "half", [[1.0, 0.0, 0.0, 0.0]]),  # position 0: no rotation
        ([[1.0, 0.0, 0.0, 0.0]], [1], "half", [[c1, 0.0, s1, 0.0]]),  # feature 0 pairs with 2
        ([[1.0, 0.0, 0.0, 0.0]], [1], "interleaved", [[c1, s1, 0.0, 0.0]]),  # feature 0 pairs with 1
        ([[0.0, 0.0, 0.0, 2.0]], [3], "half", [[0.0, -s3, 0.0, c3]]),
        ([[0.0, 0.0, 0.0, 2.0]], [3], "interleaved", [[0.0, 0.0, -s3, c3]]),
    ]
    for x, pos, pairing, want in cases:
        got = candidate(np.array(x), np.array(pos), pairing=pairing)
        compare(
            got,
            np.array(want),
            inputs={"x": np.array(x), "positions": np.array(pos), "pairing": pairing},
            rtol=0,
            atol=1e-12,
        )


@check(
    "both pairings equal Llama's complex form and rotate_half, on random (..., seq, d) inputs",
    section="positional-encoding-pairing",
)
def check_against_references(candidate: Any) -> None:
    rng = np.random.default_rng(0)
    for shape, base in [((1, 2), 10000.0), ((3, 8), 10000.0), ((2, 5, 16), 500.0), ((2, 3, 7, 64), 10000.0)]:
        x = rng.standard_normal(shape)
        m = rng.integers(0, 5000, size=shape[-2])
        for pairing, reference in [("interleaved", _rope_complex), ("half", _rope_rotate_half)]:
            got = candidate(x, m, base=base, pairing=pairing)
            compare(
                got,
                reference(x, m, base),
                inputs={"x": x, "positions": m, "base": base, "pairing": pairing},
                rtol=1e-9,
                atol=1e-9,
            )
        compare(
            candidate(x),
            _rope_rotate_half(x, np.arange(shape[-2]), 10000.0),
            inputs={"x": x},
            what="the default (positions 0..seq-1, half)",
            rtol=1e-9,
            atol=1e-9,
        )


@check(
    "scores depend only on the offset: q at m and k at n score like q at m + s and k at n + s",
    section="positional-encoding-rope",
)
def check_relative_positions(candidate: Any) -> None:
    rng = np.random.default_rng(1)
    for d in (2, 8, 64):
        q, k = rng.standard_normal((2, 1, d))
        for pairing in ("half", "interleaved"):
            for m, n, shift in [(0, 0, 5), (7, 3, 100), (3, 7, 1234)]:
                score = (
                    candidate(q, np.array([m]), pairing=pairing) @ candidate(k, np.array([n]), pairing=pairing).T
                ).item()
                moved = (
                    candidate(q, np.array([m + shift]), pairing=pairing)
                    @ candidate(k, np.array([n + shift]), pairing=pairing).T
                )
                expect(
                    abs(moved.item() - score) <= 1e-8 * max(1.0, abs(score)),
                    f"d = {d}, pairing {pairing!r}: q at {m} and k at {n} score {score:.6g}, but at {m + shift} and "
                    f"{n + shift} they score {moved.item():.6g}; rotate q and k by the same rule so only m - n matters",
                )


@check(
    "position interpolation: scale = s makes position s * m turn like position m", section="positional-encoding-scaling"
)
def check_position_interpolation(candidate: Any) -> None:
    x = np.random.default_rng(2).standard_normal((6, 8))
    m = np.arange(6)
    compare(
        candidate(x, 4 * m, scale=4.0),
        _rope_rotate_half(x, m.astype(float), 10000.0),
        inputs={"x": x, "positions": 4 * m, "scale": 4.0},
        rtol=1e-9,
        atol=1e-9,
    )


CHECKS: dict[str, list] = {
    "positional_encoding.sinusoidal": [check_hand_example, check_formula],
    "positional_encoding.rope": [
        check_hand_values,
        check_against_references,
        check_relative_positions,
        check_position_interpolation,
    ],
}
