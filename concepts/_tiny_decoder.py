"""The tiny decoder of :mod:`concepts.kv_cache`: ``nn.Module`` classes, built on first use.

Kept apart so the concept module stays short; ``concepts.kv_cache.TinyDecoder`` builds them
through :func:`model_classes` the first time it is accessed, so importing the concept needs
no PyTorch.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from concepts._checks import require_tensor, require_torch

if TYPE_CHECKING:
    import torch

    from concepts.kv_cache import KVCache

__all__ = ["model_classes"]


@functools.cache
def model_classes() -> tuple[type, type]:
    """Build ``_Block`` and ``TinyDecoder`` (``nn.Module`` subclasses) once, when first asked for."""
    from concepts.kv_cache import TinyConfig, causal_attention_torch

    torch = require_torch()
    nn = torch.nn

    class _Block(nn.Module):
        def __init__(self, c: TinyConfig) -> None:
            super().__init__()
            self.h, self.h_kv, self.hd = c.num_heads, c.num_kv_heads, c.d_model // c.num_heads
            self.ln1, self.ln2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
            self.q = nn.Linear(c.d_model, c.d_model, bias=False)
            self.kv = nn.Linear(c.d_model, 2 * self.h_kv * self.hd, bias=False)
            self.o = nn.Linear(c.d_model, c.d_model, bias=False)
            hidden = 4 * c.d_model
            self.mlp = nn.Sequential(
                nn.Linear(c.d_model, hidden, bias=False), nn.GELU(), nn.Linear(hidden, c.d_model, bias=False)
            )

        def forward(self, x: torch.Tensor, cache: KVCache | None, layer: int) -> torch.Tensor:
            B, T, C = x.shape
            a = self.ln1(x)
            q = self.q(a).view(B, T, self.h, self.hd).transpose(1, 2)  # (B, h, T, hd)
            k, v = self.kv(a).view(B, T, 2, self.h_kv, self.hd).permute(2, 0, 3, 1, 4)  # each (B, h_kv, T, hd)
            if cache is not None:
                k, v = cache.append(layer, k, v)  # (B, h_kv, T_past + T, hd): the past is read, never recomputed
            y = causal_attention_torch(q, k, v).transpose(1, 2).reshape(B, T, C)  # (B, T, C)
            x = x + self.o(y)  # pre-LN: x + Attn(LN(x))
            return x + self.mlp(self.ln2(x))  # x + MLP(LN(x))

    class TinyDecoder(nn.Module):
        """A decoder-only transformer with random weights (no training), for decoding experiments.

        ``generator`` draws the weights (a fresh generator seeded with 0 when ``None``, so two
        models built without one are equal).

        ``forward(idx, cache)`` maps token ids ``(B, T)`` to logits ``(B, T, vocab)``. With a
        cache, the ``T`` tokens sit at positions ``len(cache) ..`` and their keys and values are
        appended to it.

        >>> import torch
        >>> from concepts.kv_cache import TinyConfig, TinyDecoder
        >>> model = TinyDecoder(TinyConfig(), generator=torch.Generator().manual_seed(0))
        >>> tuple(model(torch.tensor([[1, 2, 3]])).shape)
        (1, 3, 32)
        """

        def __init__(self, config: TinyConfig | None = None, *, generator: torch.Generator | None = None) -> None:
            super().__init__()
            c = self.config = config or TinyConfig()
            self.wte, self.wpe = nn.Embedding(c.vocab_size, c.d_model), nn.Embedding(c.max_len, c.d_model)
            self.blocks = nn.ModuleList(_Block(c) for _ in range(c.num_layers))
            self.ln_f = nn.LayerNorm(c.d_model)
            self.head = nn.Linear(c.d_model, c.vocab_size, bias=False)
            self.to(c.torch_dtype()).eval()
            gen = generator if generator is not None else torch.Generator().manual_seed(0)
            with torch.no_grad():
                for p in self.parameters():
                    if p.dim() == 2:  # weights ~ N(0, 1/fan_in); LayerNorm keeps its ones and zeros
                        p.normal_(0.0, p.shape[1] ** -0.5, generator=gen)

        def forward(self, idx: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
            """Logits ``(B, T, vocab)`` for token ids ``idx`` of shape ``(B, T)``."""
            if require_tensor(idx, "idx").dim() != 2 or idx.shape[1] < 1:
                raise ValueError(f"idx must have shape (B, T) with T >= 1; got {tuple(idx.shape)}")
            start = 0 if cache is None else len(cache)
            if cache is not None and len(cache.keys) != self.config.num_layers:
                raise ValueError(f"cache must have {self.config.num_layers} layers; got {len(cache.keys)}")
            if start + idx.shape[1] > self.config.max_len:
                raise ValueError(
                    f"positions must be < max_len={self.config.max_len}; got {start}..{start + idx.shape[1] - 1}"
                )
            x = self.wte(idx) + self.wpe(torch.arange(start, start + idx.shape[1]))  # (B, T, C)
            for layer, block in enumerate(self.blocks):
                x = block(x, cache, layer)
            return self.head(self.ln_f(x))  # (B, T, vocab)

    _Block.__module__ = TinyDecoder.__module__ = "concepts.kv_cache"
    return _Block, TinyDecoder
