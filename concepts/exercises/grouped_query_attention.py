"""Checks for the grouped-query attention exercises: expanding KV heads, and GQA itself.

``repeat_kv`` is checked against a hand-built head order and ``torch.repeat_interleave``;
grouped-query attention against PyTorch's ``F.scaled_dot_product_attention(...,
enable_gqa=True)``, whose weights are read off by attending over identity matrices
(``P @ I = P``). Our own implementation is never the reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


# ---------------------------------------------------------------- repeat_kv


@check(
    "copies of KV head j sit together at heads j*n_rep .. j*n_rep + n_rep - 1",
    section="grouped-query-attention-grouping",
)
def check_head_order(candidate: Any) -> None:
    for g, n_rep in [(2, 2), (3, 2), (2, 4)]:
        kv = np.arange(g, dtype=float).reshape(g, 1, 1) * np.ones((g, 2, 3))  # head j is filled with j
        want = np.empty((g * n_rep, 2, 3))
        for j in range(g):
            for m in range(n_rep):
                want[j * n_rep + m] = j
        compare(candidate(kv, n_rep), want, inputs={"kv (head j filled with j)": kv, "n_rep": n_rep}, rtol=0, atol=0)


@check(
    "equals torch.repeat_interleave along the head axis, with and without a batch axis",
    section="grouped-query-attention-params",
)
def check_against_torch(candidate: Any) -> None:
    import torch

    rng = np.random.default_rng(0)
    for shape, n_rep in [((1, 2, 3), 1), ((2, 3, 4), 3), ((2, 2, 5, 4), 4), ((1, 8, 3, 2), 2)]:
        kv = rng.standard_normal(shape)
        want = torch.from_numpy(kv).repeat_interleave(n_rep, dim=-3).numpy()
        compare(candidate(kv, n_rep), want, inputs={"kv": kv, "n_rep": n_rep}, rtol=0, atol=0)


# ---------------------------------------------------------------- grouped_query_attention


def _sdpa(q, k, v, *, mask=None, is_causal=False, scale=None) -> tuple[np.ndarray, np.ndarray]:
    """SDPA(enable_gqa=True) output and weights (the weights as attention over identity values)."""
    import torch
    import torch.nn.functional as F

    q, k, v = (torch.from_numpy(np.ascontiguousarray(a)) for a in (q, k, v))
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    kw = {"attn_mask": m, "is_causal": is_causal, "scale": scale, "enable_gqa": True}
    eye = torch.eye(k.shape[-2], dtype=k.dtype).expand(*k.shape[:-1], k.shape[-2])
    return F.scaled_dot_product_attention(q, k, v, **kw).numpy(), F.scaled_dot_product_attention(
        q, k, eye, **kw
    ).numpy()


# (batch, h, g, seq_q, seq_k, d): MHA, GQA, MQA, cross-attention
SHAPES = [
    (1, 1, 1, 1, 1, 1),
    (1, 2, 1, 2, 3, 2),
    (1, 4, 2, 3, 3, 4),
    (2, 8, 2, 5, 5, 8),
    (2, 6, 3, 4, 6, 4),
    (1, 4, 4, 3, 3, 2),
]


def _compare_with_sdpa(candidate: Any, shapes, *, mask_kind: str = "none", is_causal=False, scale=None) -> None:
    rng = np.random.default_rng(sum(map(sum, shapes)))
    for b, h, g, tq, tk, d in shapes:
        q = rng.standard_normal((b, h, tq, d))
        k, v = rng.standard_normal((2, b, g, tk, d))
        mask = None
        if mask_kind == "per-head":
            mask = rng.random((b, h, tq, tk)) < 0.6
            mask[..., 0] = True  # every query keeps one key: SDPA's fully masked rows are not the point here
        inputs = {"q": q, "k": k, "v": v} | ({} if mask is None else {"mask": mask})
        inputs |= {"is_causal": True} if is_causal else {}
        inputs |= {} if scale is None else {"scale": scale}
        want_out, want_w = _sdpa(q, k, v, mask=mask, is_causal=is_causal, scale=scale)
        got = candidate(q, k, v, mask=mask, is_causal=is_causal, scale=scale)
        expect(isinstance(got, tuple) and len(got) == 2, "return (output, weights), a tuple of two arrays")
        compare(got[1], want_w, inputs=inputs, what="the weight tensor", rtol=1e-9, atol=1e-12)
        compare(got[0], want_out, inputs=inputs, what="the output", rtol=1e-9, atol=1e-12)


@check("equals SDPA(enable_gqa=True) for MHA, GQA and MQA shapes", section="grouped-query-attention-grouping")
def check_against_sdpa(candidate: Any) -> None:
    _compare_with_sdpa(candidate, SHAPES)


@check("is_causal=True (top-left aligned) equals SDPA's", section="grouped-query-attention-grouping")
def check_causal(candidate: Any) -> None:
    _compare_with_sdpa(candidate, [s for s in SHAPES if s[3] <= s[4]], is_causal=True)


@check("a boolean mask per query head (True = may attend) equals SDPA's", section="grouped-query-attention-grouping")
def check_per_head_mask(candidate: Any) -> None:
    _compare_with_sdpa(candidate, SHAPES[1:], mask_kind="per-head")


@check("an explicit scale replaces 1/sqrt(d_k)", section="grouped-query-attention-grouping")
def check_scale(candidate: Any) -> None:
    _compare_with_sdpa(candidate, SHAPES[2:4], scale=0.3)


CHECKS: dict[str, list] = {
    "grouped_query_attention.repeat-kv": [check_head_order, check_against_torch],
    "grouped_query_attention.gqa": [check_against_sdpa, check_causal, check_per_head_mask, check_scale],
}
