"""Checks for the Transformer exercises: the paper's warm-up schedule, and one pre-LN encoder layer.

The trusted references are the schedule's two branches written out by hand (section 5.3 of
the paper) and ``torch.nn.TransformerEncoderLayer(norm_first=True)`` in float64 with the
same weights, copied here by transposing ``nn.Linear``'s ``(d_out, d_in)`` matrices.
``tests/concepts/test_transformer.py`` runs the same checks on ``concepts.transformer``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


def _by_hand(step: float, d_model: int, warmup: int) -> float:
    """The schedule branch by branch: linear up to ``warmup``, then one over the square root."""
    if step <= warmup:
        return step * d_model**-0.5 * warmup**-1.5
    return d_model**-0.5 * step**-0.5


SIZES = [(64, 4), (512, 4000), (1024, 8000)]  # (d_model, warmup)


@check("the peak, at step = warmup, is 1 / sqrt(d_model * warmup)", section="transformer-schedule")
def check_peak(candidate: Callable) -> None:
    for d_model, warmup in SIZES:
        got = candidate(warmup, d_model=d_model, warmup=warmup)
        compare(got, (d_model * warmup) ** -0.5, inputs={"step": warmup, "d_model": d_model, "warmup": warmup},
                rtol=1e-12, atol=0)  # fmt: skip


@check("linear warm-up, then decay like 1 / sqrt(step), at hand-computed steps", section="transformer-schedule")
def check_schedule_values(candidate: Callable) -> None:
    for d_model, warmup in SIZES:
        steps = sorted(
            {1, 2, max(1, warmup // 2), warmup - 1 or 1, warmup, warmup + 1, 2 * warmup, 4 * warmup, 10 * warmup}
        )
        for step in steps:
            got = candidate(step, d_model=d_model, warmup=warmup)
            inputs = {"step": step, "d_model": d_model, "warmup": warmup}
            compare(got, _by_hand(step, d_model, warmup), inputs=inputs, rtol=1e-12, atol=0)


@check("an array (or list) of steps gives an array of rates of the same shape", section="transformer-schedule")
def check_array_input(candidate: Callable) -> None:
    steps = np.arange(1, 13).reshape(3, 4)
    want = np.array([[_by_hand(s, 64, 4) for s in row] for row in steps])
    compare(candidate(steps, d_model=64, warmup=4), want, inputs={"step": steps}, rtol=1e-12, atol=0)
    listed = [_by_hand(s, 64, 4) for s in (1, 4, 16)]
    compare(candidate([1, 4, 16], d_model=64, warmup=4), listed, inputs={"step": [1, 4, 16]}, rtol=1e-12, atol=0)


# ---------------------------------------------------------------- the pre-LN encoder layer


def _reference(d_model: int, num_heads: int, d_ff: int, seed: int):
    """nn.TransformerEncoderLayer, pre-LN, float64, no dropout, every parameter random."""
    torch = require_torch()
    torch.manual_seed(seed)
    layer = torch.nn.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout=0.0, batch_first=True, norm_first=True)
    layer = layer.double().eval()
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_(0.0, 0.5)
    return layer


def _params(layer) -> dict[str, np.ndarray]:
    """The layer's weights in the exercise's layout: (d_in, d_out) matrices applied as x @ W."""
    d, attn = layer.self_attn.embed_dim, layer.self_attn
    w_in, b_in = attn.in_proj_weight.detach().numpy(), attn.in_proj_bias.detach().numpy()
    p = {}
    for i, c in enumerate("qkv"):  # in_proj stacks W_q, W_k, W_v as (3 d, d)
        p[f"self_attn.w_{c}"], p[f"self_attn.b_{c}"] = (
            w_in[i * d : (i + 1) * d].T.copy(),
            b_in[i * d : (i + 1) * d].copy(),
        )
    p["self_attn.w_o"] = attn.out_proj.weight.detach().numpy().T.copy()
    p["self_attn.b_o"] = attn.out_proj.bias.detach().numpy().copy()
    for i, lin in ((1, layer.linear1), (2, layer.linear2)):
        p[f"ffn.w_{i}"], p[f"ffn.b_{i}"] = lin.weight.detach().numpy().T.copy(), lin.bias.detach().numpy().copy()
    for i, norm in ((1, layer.norm1), (2, layer.norm2)):
        p[f"norm{i}.gamma"], p[f"norm{i}.beta"] = norm.weight.detach().numpy().copy(), norm.bias.detach().numpy().copy()
    return p


@check("one token, identity weights: (3, 1) becomes (5, 0), worked by hand", section="transformer-post-pre")
def check_hand_worked_example(candidate: Callable) -> None:
    """LN(3, 1) = (1, -1); attention over one key returns it: (3, 1) + (1, -1) = (4, 0);
    LN(4, 0) = (1, -1), ReLU gives (1, 0): (4, 0) + (1, 0) = (5, 0)."""
    names = [f"self_attn.{w}_{c}" for w in "wb" for c in "qkvo"] + ["ffn.w_1", "ffn.b_1", "ffn.w_2", "ffn.b_2"]
    names += ["norm1.gamma", "norm1.beta", "norm2.gamma", "norm2.beta"]
    p = {k: np.eye(2) if ".w_" in k else np.ones(2) if k.endswith("gamma") else np.zeros(2) for k in names}
    x = np.array([[[3.0, 1.0]]])
    compare(candidate(x, p, 1, eps=0.0), [[[5.0, 0.0]]], inputs={"x": x, "eps": 0.0}, rtol=0, atol=1e-12)


@check("equals nn.TransformerEncoderLayer(norm_first=True) with the same weights", section="transformer-architecture")
def check_against_torch(candidate: Callable) -> None:
    torch = require_torch()
    rng = np.random.default_rng(0)
    for batch, seq, d, h, d_ff in [(1, 1, 4, 1, 8), (1, 3, 4, 2, 8), (2, 5, 8, 2, 16), (2, 4, 12, 3, 20)]:
        layer = _reference(d, h, d_ff, seed=d + seq)
        x = rng.standard_normal((batch, seq, d))
        with torch.no_grad():
            want = layer(torch.from_numpy(x)).numpy()
        params = _params(layer)
        compare(candidate(x, params, h), want, inputs={"x": x, "num_heads": h}, rtol=1e-8, atol=1e-10)


@check(
    "with the sublayers' outputs zeroed, the residual stream passes through untouched", section="transformer-post-pre"
)
def check_stream_not_normalised(candidate: Callable) -> None:
    layer = _reference(8, 2, 16, seed=3)
    p = _params(layer)
    for key in ("self_attn.w_o", "self_attn.b_o", "ffn.w_2", "ffn.b_2"):
        p[key] = np.zeros_like(p[key])
    x = 5.0 + 3.0 * np.random.default_rng(1).standard_normal((2, 3, 8))
    got = candidate(x, p, 2)
    compare(got, x, inputs={"x": x}, what="x + 0 + 0", rtol=0, atol=1e-12)
    expect(np.abs(np.asarray(got).mean(-1)).max() > 1.0, "a pre-LN layer must not normalise the stream itself")


CHECKS: dict[str, list] = {
    "transformer.warmup-schedule": [check_peak, check_schedule_values, check_array_input],
    "transformer.pre-ln-encoder": [check_hand_worked_example, check_against_torch, check_stream_not_normalised],
}
