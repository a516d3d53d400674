"""Checks for the GPT exercises: the causal language-modelling loss, and one GPT-2 block forward.

The loss is checked against ``torch.nn.functional.cross_entropy`` on explicitly shifted
logits and targets (``ignore_index`` for the padding); the block against a forward written
here from PyTorch's own functions (``F.layer_norm``, ``F.scaled_dot_product_attention`` with
``is_causal=True``, ``F.gelu(approximate="tanh")``). Our own implementation is never the reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


def _loss_cases(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(size=(b, t, v)) * 2, rng.integers(0, v, size=(b, t)))
        for b, t, v in ((1, 2, 3), (2, 5, 4), (3, 9, 7))
    ]


def _torch_loss(z: np.ndarray, ids: np.ndarray, pad_id: int | None) -> float:
    import torch
    import torch.nn.functional as F

    zt, yt = torch.from_numpy(z[:, :-1]).reshape(-1, z.shape[-1]), torch.from_numpy(ids[:, 1:]).reshape(-1)
    return float(F.cross_entropy(zt, yt, ignore_index=-100 if pad_id is None else pad_id))


@check("equals torch's cross_entropy of logits[:, :-1] against ids[:, 1:]", section="gpt-loss")
def check_matches_torch(candidate: Any) -> None:
    for z, ids in _loss_cases():
        got = candidate(z, ids)
        expect(np.ndim(got) == 0, f"return one number (the mean); got shape {np.shape(got)}")
        compare(float(got), _torch_loss(z, ids, None), inputs={"logits": z, "ids": ids}, rtol=1e-9, atol=1e-9)


@check("targets equal to pad_id count for nothing (not even in the mean's denominator)", section="gpt-loss")
def check_ignores_padding(candidate: Any) -> None:
    for z, ids in _loss_cases(1)[1:]:
        ids = ids.copy()
        ids[0, ids.shape[1] // 2 :] = z.shape[-1] - 1  # right padding with the last id as pad
        pad = int(z.shape[-1] - 1)
        got = candidate(z, ids, pad)
        compare(
            float(got), _torch_loss(z, ids, pad), inputs={"logits": z, "ids": ids, "pad_id": pad}, rtol=1e-9, atol=1e-9
        )


NAMES = ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight")
NAMES += ("attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias")
NAMES += ("mlp.c_proj.weight", "mlp.c_proj.bias")


def _block_params(d: int, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    shapes = {"attn.c_attn.weight": (d, 3 * d), "attn.c_attn.bias": (3 * d,), "attn.c_proj.weight": (d, d)}
    shapes |= {"mlp.c_fc.weight": (d, 4 * d), "mlp.c_fc.bias": (4 * d,), "mlp.c_proj.weight": (4 * d, d)}
    out = {}
    for n in NAMES:
        shape = shapes.get(n, (d,))
        base = 1.0 if n.endswith("ln_1.weight") or n.endswith("ln_2.weight") else 0.0
        out[n] = base + scale * rng.normal(size=shape)
    return out


def _torch_block(x: np.ndarray, p: dict[str, np.ndarray], heads: int) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    t = {n: torch.from_numpy(a) for n, a in p.items()}
    x_t = torch.from_numpy(x)
    T, d = x_t.shape
    h = F.layer_norm(x_t, (d,), t["ln_1.weight"], t["ln_1.bias"], eps=1e-5)
    q, k, v = (h @ t["attn.c_attn.weight"] + t["attn.c_attn.bias"]).split(d, dim=-1)
    q, k, v = (a.view(T, heads, d // heads).transpose(0, 1) for a in (q, k, v))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(0, 1).reshape(T, d)
    x_t = x_t + y @ t["attn.c_proj.weight"] + t["attn.c_proj.bias"]
    h = F.layer_norm(x_t, (d,), t["ln_2.weight"], t["ln_2.bias"], eps=1e-5)
    m = F.gelu(h @ t["mlp.c_fc.weight"] + t["mlp.c_fc.bias"], approximate="tanh")
    return (x_t + m @ t["mlp.c_proj.weight"] + t["mlp.c_proj.bias"]).numpy()


@check("with every weight and bias zero (LayerNorm gains one) the block returns x unchanged", section="gpt-block")
def check_identity_with_zero_weights(candidate: Any) -> None:
    x = np.random.default_rng(2).normal(size=(3, 4)) * 3 + 1
    got = candidate(x, _block_params(4, np.random.default_rng(0), 0.0), 2)
    compare(got, x, inputs={"x": x, "num_heads": 2}, what="the block's output (pre-LN keeps the stream)", atol=1e-12)


@check("equals a block written from F.layer_norm, causal SDPA and tanh-GELU", section="gpt-block")
def check_matches_torch_block(candidate: Any) -> None:
    rng = np.random.default_rng(3)
    for T, d, heads in ((1, 4, 1), (3, 4, 2), (6, 8, 2), (9, 12, 3)):
        x, p = rng.normal(size=(T, d)), _block_params(d, rng, 0.5)
        compare(
            candidate(x, p, heads), _torch_block(x, p, heads), inputs={"x": x, "num_heads": heads}, rtol=1e-8, atol=1e-8
        )


CHECKS: dict[str, list] = {
    "gpt.causal-lm-loss": [check_matches_torch, check_ignores_padding],
    "gpt.block-forward": [check_identity_with_zero_weights, check_matches_torch_block],
}
