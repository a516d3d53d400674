"""LoRA's parameter counts: trainable adapter parameters per matrix and on a decoder (a private helper).

``r (d_in + d_out)`` per adapted matrix, and the sum over a Llama-style decoder's modules
by ``peft``'s names. The public names are re-exported by :mod:`concepts.lora`, which is
where the page and the API documentation find them; this file exists only to keep each
module short.
"""

from __future__ import annotations

from collections.abc import Iterable

from concepts._checks import require_positive_int

__all__ = [
    "decoder_lora_param_count",
    "lora_param_count",
]


def lora_param_count(d_in: int, d_out: int, r: int, *, num_modules: int = 1) -> int:
    """Trainable parameters of rank-``r`` adapters on ``num_modules`` matrices of shape ``(d_in, d_out)``.

    Each adapter holds ``A`` (``d_in r``) and ``B`` (``r d_out``): ``r (d_in + d_out)``
    instead of the ``d_in d_out`` of full fine-tuning.

    >>> from concepts.lora import lora_param_count
    >>> lora_param_count(4096, 4096, 8, num_modules=2 * 32)  # Llama-2-7B, r = 8 on q_proj and v_proj
    4194304
    """
    d_in, d_out, r, n = (require_positive_int(v, k) for v, k in
                         ((d_in, "d_in"), (d_out, "d_out"), (r, "r"), (num_modules, "num_modules")))  # fmt: skip
    return n * r * (d_in + d_out)


def decoder_lora_param_count(
    d_model: int,
    num_layers: int,
    r: int,
    *,
    num_heads: int,
    num_kv_heads: int | None = None,
    d_ff: int | None = None,
    targets: Iterable[str] = ("q_proj", "v_proj"),
) -> int:
    """LoRA's trainable parameters on a Llama-style decoder, by ``peft``'s module names.

    Shapes ``(d_in, d_out)``: ``q_proj`` and ``o_proj`` ``(d_model, d_model)``; ``k_proj``
    and ``v_proj`` ``(d_model, num_kv_heads * head_dim)``; ``gate_proj`` and ``up_proj``
    ``(d_model, d_ff)``; ``down_proj`` ``(d_ff, d_model)``; ``head_dim = d_model / num_heads``.

    >>> from concepts.lora import decoder_lora_param_count
    >>> decoder_lora_param_count(4096, 32, 8, num_heads=32)  # Llama-2-7B, q_proj and v_proj
    4194304
    """
    d_model, num_layers = require_positive_int(d_model, "d_model"), require_positive_int(num_layers, "num_layers")
    num_heads = require_positive_int(num_heads, "num_heads")
    kv = require_positive_int(num_heads if num_kv_heads is None else num_kv_heads, "num_kv_heads")
    if d_model % num_heads or num_heads % kv:
        raise ValueError(f"num_heads must divide d_model and num_kv_heads num_heads; got {d_model}, {num_heads}, {kv}")
    kv_dim = kv * (d_model // num_heads)
    shapes = {"q_proj": (d_model, d_model), "k_proj": (d_model, kv_dim), "v_proj": (d_model, kv_dim),
              "o_proj": (d_model, d_model)}  # fmt: skip
    if d_ff is not None:
        d_ff = require_positive_int(d_ff, "d_ff")
        shapes |= {"gate_proj": (d_model, d_ff), "up_proj": (d_model, d_ff), "down_proj": (d_ff, d_model)}
    targets = list(targets)
    unknown = [t for t in targets if t not in shapes]
    if unknown or not targets:
        raise ValueError(f"targets must be a non-empty subset of {sorted(shapes)} (MLP names need d_ff); got {targets}")
    return sum(lora_param_count(*shapes[t], r, num_modules=num_layers) for t in targets)
