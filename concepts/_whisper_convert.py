"""Whisper's encoder converter: Hugging Face ``WhisperEncoder`` weights to NumPy params (a private helper).

Turns a transformers ``WhisperEncoder`` into the parameter dict that
:func:`concepts.whisper.whisper_encoder` reads. The public name is re-exported by
:mod:`concepts.whisper`, which is where the page and the API documentation find it; this
file exists only to keep each module short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from concepts._checks import require_torch

if TYPE_CHECKING:
    from torch import nn

__all__ = ["whisper_encoder_params_from_torch"]


def whisper_encoder_params_from_torch(encoder: nn.Module) -> dict[str, Any]:
    """Copy a Hugging Face ``WhisperEncoder`` (transformers 5.x names) into NumPy float64 params.

    ``Conv1d.weight`` ``(c_out, c_in, 3)`` becomes ``(3, c_in, c_out)``; linear weights are
    transposed to ``(d_in, d_out)``; the missing ``k_proj`` bias becomes zeros.

    :raises TypeError: for a module without ``conv1``, ``conv2`` and ``layers``.
    """
    require_torch()
    if not all(hasattr(encoder, k) for k in ("conv1", "conv2", "layers", "embed_positions")):
        raise TypeError(f"encoder must be a transformers WhisperEncoder; got {type(encoder).__name__}")

    def a(t: Any) -> np.ndarray:
        return t.detach().cpu().double().numpy().copy()

    layers = []
    for layer in encoder.layers:
        sa, p = layer.self_attn, {}
        for c, lin in zip("qkvo", (sa.q_proj, sa.k_proj, sa.v_proj, sa.out_proj), strict=True):
            p[f"self_attn.w_{c}"] = a(lin.weight).T
            p[f"self_attn.b_{c}"] = np.zeros(lin.out_features) if lin.bias is None else a(lin.bias)
        for i, lin in ((1, layer.fc1), (2, layer.fc2)):
            p[f"ffn.w_{i}"], p[f"ffn.b_{i}"] = a(lin.weight).T, a(lin.bias)
        for i, ln in ((1, layer.self_attn_layer_norm), (2, layer.final_layer_norm)):
            p[f"norm{i}.gamma"], p[f"norm{i}.beta"] = a(ln.weight), a(ln.bias)
        layers.append(p)
    return {
        "conv1_w": a(encoder.conv1.weight).transpose(2, 1, 0), "conv1_b": a(encoder.conv1.bias),
        "conv2_w": a(encoder.conv2.weight).transpose(2, 1, 0), "conv2_b": a(encoder.conv2.bias),
        "stride2": encoder.conv2.stride[0], "positions": a(encoder.embed_positions.weight), "layers": layers,
        "ln_weight": a(encoder.layer_norm.weight), "ln_bias": a(encoder.layer_norm.bias),
        "num_heads": encoder.config.encoder_attention_heads,
    }  # fmt: skip
