"""Checks for the KV-cache exercises: bytes per token, and one attention step over a cache.

The byte count is checked against figures derived by hand from published configurations;
the decode step against PyTorch's ``F.scaled_dot_product_attention`` run on the *whole*
sequence with ``is_causal=True`` (full recomputation), whose last rows a cached step must
reproduce. Our own implementation is never the reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]

# (num_layers, num_kv_heads, head_dim, bytes_per_elem) -> bytes, each derived by hand:
# 2 (a key and a value) x layers x KV heads x head width x bytes per number.
PUBLISHED = [
    ((32, 32, 128, 2), 524_288, "Llama-2-7B, fp16: 2 * 32 * 32 * 128 * 2 = 0.5 MiB"),
    ((80, 8, 128, 2), 327_680, "Llama-2-70B (GQA, 8 KV heads), fp16: 320 KiB"),
    ((32, 8, 128, 2), 131_072, "Mistral 7B (GQA, 8 KV heads), fp16: 128 KiB"),
    ((32, 1, 64, 2), 8_192, "Falcon-7B (MQA, 1 KV head of 64), fp16: 8 KiB"),
    ((32, 32, 128, 1), 262_144, "Llama-2-7B with an int8 or fp8 cache: half of fp16"),
    ((1, 1, 1, 4), 8, "one layer, one head of width 1, fp32: a key and a value of 4 bytes"),
]


@check("matches hand-derived published figures (Llama-2-7B fp16 = 524,288 bytes)", section="kv-cache-memory")
def check_published_figures(candidate: Any) -> None:
    for args, want, what in sorted(PUBLISHED, key=lambda row: row[1]):  # smallest first
        got = candidate(*args)
        expect(
            isinstance(got, int | np.integer) and not isinstance(got, bool),
            f"return a whole number of bytes (an int); got {type(got).__name__} {got!r} for {args}",
        )
        expect(got == want, f"{what}: expected {want:,} bytes for {args}, got {got:,}")


@check("grows linearly in each of layers, KV heads, head width and bytes per number", section="kv-cache-memory")
def check_linear_in_every_argument(candidate: Any) -> None:
    base = (4, 2, 16, 2)
    b0 = candidate(*base)
    for i, name in enumerate(("num_layers", "num_kv_heads", "head_dim", "bytes_per_elem")):
        doubled = list(base)
        doubled[i] *= 2
        got = candidate(*doubled)
        expect(got == 2 * b0, f"doubling {name} must double the bytes: {base} -> {b0}, {tuple(doubled)} -> {got}")


def _sdpa_full(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Full causal recomputation with PyTorch's SDPA; query heads grouped over KV heads."""
    import torch
    import torch.nn.functional as F

    t = [torch.from_numpy(np.ascontiguousarray(a)) for a in (q, k, v)]
    return F.scaled_dot_product_attention(*t, is_causal=True, enable_gqa=True).numpy()


def _case(rng: np.random.Generator, b: int, h: int, h_kv: int, t_past: int, t_new: int, d: int) -> dict:
    t = t_past + t_new
    q_all = rng.standard_normal((b, h, t, d))
    k_all, v_all = rng.standard_normal((2, b, h_kv, t, d))
    return {
        "q": q_all[:, :, t_past:],
        "k_new": k_all[:, :, t_past:],
        "v_new": v_all[:, :, t_past:],
        "k_cache": k_all[:, :, :t_past],
        "v_cache": v_all[:, :, :t_past],
        "full": _sdpa_full(q_all, k_all, v_all)[:, :, t_past:],  # the rows a full pass gives the new tokens
    }


def _check_cases(candidate: Any, shapes: list[tuple[int, ...]]) -> None:
    rng = np.random.default_rng(0)
    for shape in shapes:
        case = _case(rng, *shape)
        want = case.pop("full")
        got = candidate(**case)
        expect(isinstance(got, tuple) and len(got) == 3, "return (output, keys, values), a tuple of three arrays")
        compare(got[0], want, inputs=case, what="the attention output", rtol=1e-9, atol=1e-10)


@check("one decode step equals full recomputation (SDPA, is_causal=True, whole sequence)", section="kv-cache-exactness")
def check_decode_equals_full_recompute(candidate: Any) -> None:
    _check_cases(candidate, [(1, 1, 1, 1, 1, 2), (1, 2, 2, 4, 1, 4), (2, 4, 4, 7, 1, 8)])


@check("a chunk of new tokens sees the cache and the earlier new tokens only", section="kv-cache-mask-alignment")
def check_chunk_over_cache(candidate: Any) -> None:
    _check_cases(candidate, [(1, 1, 1, 2, 2, 2), (1, 2, 2, 3, 4, 4), (2, 2, 2, 0, 5, 4)])


@check("grouped KV heads: query head i reads KV head i // (h / h_kv)", section="kv-cache-gqa")
def check_grouped_kv_heads(candidate: Any) -> None:
    _check_cases(candidate, [(1, 2, 1, 3, 1, 2), (1, 4, 2, 5, 1, 4), (2, 8, 2, 4, 3, 4)])


@check("returns the cache extended by the new keys and values, in order", section="kv-cache-prefill-decode")
def check_returns_extended_cache(candidate: Any) -> None:
    case = _case(np.random.default_rng(1), 1, 2, 2, 3, 1, 4)
    case.pop("full")
    got = candidate(**case)
    expect(isinstance(got, tuple) and len(got) == 3, "return (output, keys, values), a tuple of three arrays")
    compare(got[1], np.concatenate([case["k_cache"], case["k_new"]], axis=2), inputs=case, what="the keys")
    compare(got[2], np.concatenate([case["v_cache"], case["v_new"]], axis=2), inputs=case, what="the values")


CHECKS: dict[str, list] = {
    "kv_cache.bytes-per-token": [check_published_figures, check_linear_in_every_argument],
    "kv_cache.decode-step": [
        check_decode_equals_full_recompute,
        check_chunk_over_cache,
        check_grouped_kv_heads,
        check_returns_extended_cache,
    ],
}
