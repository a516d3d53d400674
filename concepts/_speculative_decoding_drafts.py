"""Speculative decoding's draft models: a truncated copy of the target, and damped later blocks (a private helper).

Builds the ``TinyDecoder`` drafts (from :mod:`concepts.kv_cache`) that
:func:`concepts.speculative_decoding.speculative_generate` runs on: the target's first
blocks as a self-speculative draft, and a way to make a random target agree with it. The
public names are re-exported by :mod:`concepts.speculative_decoding`, which is where the
page and the API documentation find them; this file exists only to keep each module short.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from concepts._checks import require_nonnegative_int, require_positive_int, require_torch

__all__ = [
    "damp_blocks",
    "truncated_draft",
]


def truncated_draft(target: Any, num_layers: int) -> Any:
    """A draft that is the target's first ``num_layers`` blocks, with its embeddings, final norm and head.

    A copy, not a view (self-speculative or early-exit drafting, as in LayerSkip).

    >>> from concepts.kv_cache import TinyConfig, TinyDecoder
    >>> truncated_draft(TinyDecoder(TinyConfig(num_layers=4)), 1).config.num_layers
    1
    """
    from concepts.kv_cache import TinyDecoder

    if not 1 <= require_positive_int(num_layers, "num_layers") <= target.config.num_layers:
        raise ValueError(f"num_layers must be in [1, {target.config.num_layers}]; got {num_layers}")
    draft = TinyDecoder(replace(target.config, num_layers=num_layers))
    keep = {
        k: v for k, v in target.state_dict().items() if not k.startswith("blocks.") or int(k.split(".")[1]) < num_layers
    }
    draft.load_state_dict(keep)
    return draft


def damp_blocks(model: Any, start: int, factor: float) -> Any:
    """Scale the residual branches (attention output and MLP output) of blocks ``start..`` by ``factor``, in place.

    With ``factor < 1`` the later blocks only nudge the residual stream, so the model's first
    ``start`` blocks (:func:`truncated_draft`) predict much like the whole model: agreement
    made by construction, standing in for a trained draft. Returns ``model``.

    >>> from concepts.kv_cache import TinyConfig, TinyDecoder
    >>> model = damp_blocks(TinyDecoder(TinyConfig(num_layers=2)), 1, 0.0)  # block 1 now adds nothing
    >>> float(model.blocks[1].o.weight.detach().abs().max())
    0.0
    """
    torch = require_torch()
    if not 0 <= require_nonnegative_int(start, "start") <= model.config.num_layers:
        raise ValueError(f"start must be in [0, {model.config.num_layers}]; got {start}")
    with torch.no_grad():
        for block in model.blocks[start:]:
            block.o.weight.mul_(factor)  # x + factor * Attn(LN(x))
            block.mlp[2].weight.mul_(factor)  # x + factor * MLP(LN(x))
    return model
