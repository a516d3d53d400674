"""Checks for the multi-head attention exercises: the split into heads, and a whole layer.

The split is checked against a hand-built expectation (head ``i`` owns features
``i*d_head .. (i+1)*d_head - 1``) and PyTorch's ``view`` + ``transpose``; the layer against
``torch.nn.MultiheadAttention`` (float64, ``batch_first=True``) with the candidate's weights
copied in, on outputs and per-head weights. Our own implementation is never the reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from concepts.exercises._harness import CheckFailed, check, compare, expect

__all__ = ["CHECKS"]


# ---------------------------------------------------------------- split_heads


@check("head i holds features i*d_head .. (i+1)*d_head - 1 of every token", section="multi-head-attention-split")
def check_contiguous_blocks(candidate: Any) -> None:
    for batch, seq, d, h in [(1, 1, 2, 2), (1, 2, 4, 2), (2, 3, 6, 3)]:
        x = np.arange(batch * seq * d, dtype=float).reshape(batch, seq, d)
        d_head = d // h
        want = np.empty((batch, h, seq, d_head))
        for b in range(batch):
            for i in range(h):
                for t in range(seq):
                    want[b, i, t] = x[b, t, i * d_head : (i + 1) * d_head]
        compare(candidate(x, h), want, inputs={"x": x, "num_heads": h}, rtol=0, atol=0)


@check(
    "equals PyTorch's x.view(B, T, h, d_head).transpose(1, 2) on random inputs", section="multi-head-attention-reshape"
)
def check_against_torch(candidate: Any) -> None:
    import torch

    rng = np.random.default_rng(0)
    for batch, seq, d, h in [(1, 2, 4, 1), (2, 5, 8, 4), (3, 7, 12, 6), (1, 4, 16, 16)]:
        x = rng.standard_normal((batch, seq, d))
        want = torch.from_numpy(x).view(batch, seq, h, d // h).transpose(1, 2).numpy()
        compare(candidate(x, h), want, inputs={"x": x, "num_heads": h}, rtol=0, atol=0)


@check("raises ValueError when num_heads does not divide d_model", section="multi-head-attention-split")
def check_rejects_indivisible(candidate: Any) -> None:
    try:
        candidate(np.zeros((1, 2, 6)), 4)
    except ValueError:
        return
    except Exception as exc:  # any other error is the wrong kind
        raise CheckFailed(f"d_model = 6 with num_heads = 4 must raise ValueError; got {type(exc).__name__}") from None
    raise CheckFailed("d_model = 6 with num_heads = 4 must raise ValueError; nothing was raised")


# ---------------------------------------------------------------- multi_head_attention


def _weights(rng: np.random.Generator, d: int, bias: bool) -> dict[str, Any]:
    w = rng.standard_normal((4, d, d)) / np.sqrt(d)
    biases = tuple(0.5 * rng.standard_normal((4, d))) if bias else None
    return {"w_q": w[0], "w_k": w[1], "w_v": w[2], "w_o": w[3], "biases": biases}


def _torch_mha(x_q, x_kv, w: dict[str, Any], h: int, key_valid=None) -> tuple[np.ndarray, np.ndarray]:
    """nn.MultiheadAttention with the weights copied in; key_valid (B, T_k) True = may attend."""
    import torch

    d = x_q.shape[-1]
    bias = w["biases"] is not None
    ref = torch.nn.MultiheadAttention(d, h, bias=bias, batch_first=True, dtype=torch.float64).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.from_numpy(np.concatenate([w["w_q"].T, w["w_k"].T, w["w_v"].T])))
        ref.out_proj.weight.copy_(torch.from_numpy(np.ascontiguousarray(w["w_o"].T)))
        if bias:
            ref.in_proj_bias.copy_(torch.from_numpy(np.concatenate(w["biases"][:3])))
            ref.out_proj.bias.copy_(torch.from_numpy(w["biases"][3]))
        blocked = None  # PyTorch: True = may NOT attend; a (B * h, T_q, T_k) mask (key_padding_mask imports sympy)
        if key_valid is not None:
            shape = (x_q.shape[0], h, x_q.shape[1], x_kv.shape[1])
            blocked = torch.from_numpy(np.broadcast_to(~key_valid[:, None, None, :], shape).reshape(-1, *shape[2:]))
        q, kv = torch.from_numpy(x_q), torch.from_numpy(x_kv)
        out, weights = ref(q, kv, kv, attn_mask=blocked, need_weights=True, average_attn_weights=False)
    return out.numpy(), weights.numpy()


def _check_against_torch(candidate: Any, cases, *, bias: bool, padded: bool) -> None:
    rng = np.random.default_rng(1)
    for batch, seq_q, seq_k, d, h in cases:
        w = _weights(rng, d, bias)
        x_q = rng.standard_normal((batch, seq_q, d))
        x_kv = x_q if seq_q == seq_k and not padded else rng.standard_normal((batch, seq_k, d))
        valid = np.arange(seq_k)[None, :] < rng.integers(1, seq_k + 1, size=batch)[:, None] if padded else None
        mask = None if valid is None else valid[:, None, None, :]  # (B, 1, 1, T_k), True = may attend
        want_out, want_w = _torch_mha(x_q, x_kv, w, h, valid)
        inputs = {"x_q": x_q, "x_kv": x_kv, "num_heads": h} | ({} if mask is None else {"mask": mask})
        got = candidate(x_q, x_kv, w["w_q"], w["w_k"], w["w_v"], w["w_o"], h, biases=w["biases"], mask=mask)
        expect(isinstance(got, tuple) and len(got) == 2, "return (output, weights), a tuple of two arrays")
        compare(got[1], want_w, inputs=inputs, what="the weight tensor (per head)", rtol=1e-8, atol=1e-10)
        compare(got[0], want_out, inputs=inputs, what="the output", rtol=1e-8, atol=1e-10)


@check("self-attention equals nn.MultiheadAttention with the same weights", section="multi-head-attention-split")
def check_self_attention(candidate: Any) -> None:
    _check_against_torch(candidate, [(1, 1, 1, 4, 1), (1, 3, 3, 4, 2), (2, 5, 5, 8, 4)], bias=True, padded=False)


@check("cross-attention with padded keys (mask True = may attend) equals PyTorch", section="multi-head-attention-torch")
def check_cross_attention_with_padding(candidate: Any) -> None:
    _check_against_torch(candidate, [(2, 2, 3, 4, 2), (3, 4, 6, 8, 2), (2, 3, 5, 12, 3)], bias=True, padded=True)


@check("without biases (biases=None) equals nn.MultiheadAttention(bias=False)", section="multi-head-attention-params")
def check_without_biases(candidate: Any) -> None:
    _check_against_torch(candidate, [(1, 2, 2, 4, 2), (2, 4, 4, 6, 3)], bias=False, padded=False)


@check("a query with every key masked gets weights 0 and the output b_o", section="multi-head-attention-torch")
def check_fully_masked_query(candidate: Any) -> None:
    rng = np.random.default_rng(2)
    w = _weights(rng, 4, True)
    x = rng.standard_normal((2, 3, 4))
    mask = np.ones((2, 1, 1, 3), dtype=bool)
    mask[1] = False  # the second sequence's keys are all padding
    out, weights = candidate(x, x, w["w_q"], w["w_k"], w["w_v"], w["w_o"], 2, biases=w["biases"], mask=mask)
    inputs = {"x": x, "mask": mask}
    compare(weights[1], np.zeros((2, 3, 3)), inputs=inputs, what="the weight tensor of the fully masked sequence")
    compare(out[1], np.broadcast_to(w["biases"][3], (3, 4)), inputs=inputs, what="the output of the masked sequence")


CHECKS: dict[str, list] = {
    "multi_head_attention.split-heads": [check_contiguous_blocks, check_against_torch, check_rejects_indivisible],
    "multi_head_attention.forward": [
        check_self_attention,
        check_cross_attention_with_padding,
        check_without_biases,
        check_fully_masked_query,
    ],
}
