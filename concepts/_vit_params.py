"""ViT's parameters: the count, random initialisation and the converter from Hugging Face (a private helper).

Counts follow Hugging Face's ``ViTModel`` (ViT-B/16 at 224x224: 86,389,248 with the
pooler). The public names are re-exported by :mod:`concepts.vit`, which is where the page
and the API documentation find them; this file exists only to keep each module short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from concepts._checks import require_positive_int, require_rng, require_torch

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "init_vit_params",
    "vit_param_count",
    "vit_params_from_torch",
]


def vit_param_count(
    image_size: int = 224,
    patch_size: int = 16,
    d_model: int = 768,
    num_layers: int = 12,
    d_ff: int = 3072,
    *,
    num_channels: int = 3,
    pooler: bool = True,
) -> int:
    """Parameters of ``ViTModel``: patch embedding, [CLS], positions, pre-LN layers, final LN, pooler.

    Patch embedding ``C P^2 d + d``; [CLS] ``d``; positions ``(1 + (S/P)^2) d``; per layer
    ``4 (d^2 + d) + 2 d d_ff + d_ff + d + 4 d``; final LayerNorm ``2 d``; pooler ``d^2 + d``.

    >>> from concepts.vit import vit_param_count
    >>> vit_param_count()  # ViT-B/16 at 224x224, as ViTModel(ViTConfig()) counts it
    86389248
    >>> vit_param_count(pooler=False)
    85798656
    """
    S, P, d, L, f, C = (
        require_positive_int(n, k)
        for n, k in (
            (image_size, "image_size"),
            (patch_size, "patch_size"),
            (d_model, "d_model"),
            (num_layers, "num_layers"),
            (d_ff, "d_ff"),
            (num_channels, "num_channels"),
        )
    )
    num_patches = (S // P) ** 2
    embeddings = C * P * P * d + d + d + (1 + num_patches) * d
    layer = 4 * (d * d + d) + (2 * d * f + f + d) + 4 * d
    return embeddings + L * layer + 2 * d + (d * d + d if pooler else 0)


def init_vit_params(
    *,
    image_size: int = 32,
    patch_size: int = 8,
    d_model: int = 32,
    num_layers: int = 2,
    d_ff: int = 64,
    num_heads: int = 4,
    num_channels: int = 3,
    rng: np.random.Generator | int | None = 0,
) -> dict[str, Any]:
    """Random ViT parameters (``N(0, 0.02^2)``, LayerNorm near identity), for examples and figures.

    >>> from concepts.vit import init_vit_params
    >>> p = init_vit_params(rng=0)
    >>> p["patch_weight"].shape, p["position_embeddings"].shape, len(p["layers"])
    ((192, 32), (17, 32), 2)
    """
    rng = require_rng(rng)
    d, n = d_model, (image_size // patch_size) ** 2

    def w(*shape: int) -> np.ndarray:
        return 0.02 * rng.standard_normal(shape)

    def layer() -> dict[str, np.ndarray]:
        p = {f"self_attn.{k}_{c}": w(d, d) if k == "w" else w(d) for c in "qkvo" for k in "wb"}
        p.update({"ffn.w_1": w(d, d_ff), "ffn.b_1": w(d_ff), "ffn.w_2": w(d_ff, d), "ffn.b_2": w(d)})
        for i in (1, 2):
            p[f"norm{i}.gamma"], p[f"norm{i}.beta"] = 1 + 10 * w(d), 10 * w(d)
        return p

    return {
        "patch_weight": w(num_channels * patch_size**2, d),
        "patch_bias": w(d),
        "cls_token": w(d),
        "position_embeddings": w(1 + n, d),
        "layers": [layer() for _ in range(num_layers)],
        "ln_weight": 1 + 10 * w(d),
        "ln_bias": 10 * w(d),
        "pooler": {"w": w(d, d), "b": w(d)},
        "patch_size": patch_size,
        "num_heads": num_heads,
        "eps": 1e-12,
    }


def vit_params_from_torch(model: nn.Module) -> dict[str, Any]:
    """Copy a Hugging Face ``ViTModel`` (transformers 5.x module names) into NumPy float64 params.

    ``Conv2d.weight`` ``(d, C, P, P)`` becomes ``(C*P*P, d)``; ``nn.Linear`` weights are
    transposed to ``(d_in, d_out)``; layers use ``concepts.transformer``'s keys, with
    ``layernorm_before`` as ``norm1`` and ``layernorm_after`` as ``norm2``.

    :raises TypeError: for a model without ViT's module names.
    """
    require_torch()
    vit = getattr(model, "vit", model)
    if not hasattr(vit, "embeddings") or not hasattr(vit.embeddings, "patch_embeddings"):
        raise TypeError(f"model must be a transformers ViTModel; got {type(model).__name__}")

    def a(t: Any) -> np.ndarray:
        return t.detach().cpu().double().numpy().copy()

    e, cfg = vit.embeddings, vit.config
    conv = e.patch_embeddings.projection
    layers = []
    for layer in vit.layers:
        sa, p = layer.attention, {}
        for c, lin in zip("qkvo", (sa.q_proj, sa.k_proj, sa.v_proj, sa.o_proj), strict=True):
            p[f"self_attn.w_{c}"], p[f"self_attn.b_{c}"] = a(lin.weight).T, a(lin.bias)
        for i, lin in ((1, layer.mlp.fc1), (2, layer.mlp.fc2)):
            p[f"ffn.w_{i}"], p[f"ffn.b_{i}"] = a(lin.weight).T, a(lin.bias)
        for i, ln in ((1, layer.layernorm_before), (2, layer.layernorm_after)):
            p[f"norm{i}.gamma"], p[f"norm{i}.beta"] = a(ln.weight), a(ln.bias)
        layers.append(p)
    pool = getattr(vit, "pooler", None)
    return {
        "patch_weight": a(conv.weight).reshape(conv.weight.shape[0], -1).T,  # (C*P*P, d), "chw" rows
        "patch_bias": a(conv.bias),
        "cls_token": a(e.cls_token).reshape(-1),
        "position_embeddings": a(e.position_embeddings)[0],
        "layers": layers,
        "ln_weight": a(vit.layernorm.weight),
        "ln_bias": a(vit.layernorm.bias),
        "pooler": None if pool is None else {"w": a(pool.dense.weight).T, "b": a(pool.dense.bias)},
        "patch_size": conv.kernel_size[0],
        "num_heads": cfg.num_attention_heads,
        "eps": cfg.layer_norm_eps,
    }
