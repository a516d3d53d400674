"""The from-scratch ``nn.Module`` of :mod:`concepts.multi_head_attention`, built on first use.

Kept apart so the concept module stays short; ``concepts.multi_head_attention.MultiHeadAttention``
builds the class through :func:`module_class` the first time it is accessed, so importing the
concept needs no PyTorch.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

from concepts._checks import require_tensor, require_torch

if TYPE_CHECKING:
    import torch

__all__ = ["module_class"]


@functools.cache
def module_class() -> type:
    """Build ``MultiHeadAttention`` (an ``nn.Module``) once, when it is first asked for."""
    from concepts.multi_head_attention import _check, _check_heads, _mask_kind

    torch = require_torch()
    nn = torch.nn

    class MultiHeadAttention(nn.Module):
        """Multi-head attention from scratch: four ``nn.Linear`` layers ``W_q, W_k, W_v, W_o`` and an explicit softmax.

        ``forward(x_q, x_kv, *, mask=None)`` takes the arguments of ``multi_head_attention``
        that are not weights and returns ``(output, weights)`` with the same shapes and mask
        convention (boolean ``True`` = may attend, or floating and added; any other dtype is
        refused). ``nn.Linear`` stores each weight as ``(d_out, d_in)``, the transpose of the
        NumPy functions' matrices.

        :param d_model: model width.
        :param num_heads: number of heads; must divide ``d_model``.
        :param bias: give the four projections biases (``nn.MultiheadAttention``'s default).

        >>> import torch
        >>> from concepts.multi_head_attention import MultiHeadAttention, mha_param_count
        >>> _ = torch.manual_seed(0)
        >>> mha = MultiHeadAttention(4, 2).double()
        >>> x = torch.randn(1, 3, 4, dtype=torch.float64)
        >>> out, w = mha(x, x)
        >>> tuple(out.shape), tuple(w.shape)
        ((1, 3, 4), (1, 2, 3, 3))
        >>> sum(p.numel() for p in mha.parameters()) == mha_param_count(4)
        True
        """

        def __init__(self, d_model: int, num_heads: int, *, bias: bool = True) -> None:
            super().__init__()
            _check_heads(d_model, num_heads)
            self.num_heads = num_heads
            self.W_q = nn.Linear(d_model, d_model, bias=bias)
            self.W_k = nn.Linear(d_model, d_model, bias=bias)
            self.W_v = nn.Linear(d_model, d_model, bias=bias)
            self.W_o = nn.Linear(d_model, d_model, bias=bias)

        def forward(
            self, x_q: torch.Tensor, x_kv: torch.Tensor, *, mask: torch.Tensor | None = None
        ) -> tuple[torch.Tensor, torch.Tensor]:
            """``(output (B, T_q, d_model), weights (B, h, T_q, T_k))``; ``mask`` as in ``multi_head_attention``."""
            require_tensor(x_q, "x_q")
            require_tensor(x_kv, "x_kv")
            shape, kind = (
                (None, "") if mask is None else (tuple(require_tensor(mask, "mask").shape), _mask_kind(mask.dtype))
            )
            ws = [tuple(lin.weight.shape) for lin in (self.W_q, self.W_k, self.W_v, self.W_o)]
            _check(tuple(x_q.shape), tuple(x_kv.shape), ws, self.num_heads, None, shape, kind)
            (batch, seq_q, d), seq_k, h = x_q.shape, x_kv.shape[1], self.num_heads
            q = self.W_q(x_q).view(batch, seq_q, h, d // h).transpose(1, 2)  # (B, h, T_q, d_head)
            k = self.W_k(x_kv).view(batch, seq_k, h, d // h).transpose(1, 2)  # (B, h, T_k, d_head)
            v = self.W_v(x_kv).view(batch, seq_k, h, d // h).transpose(1, 2)  # (B, h, T_k, d_head)
            scores = q @ k.transpose(-2, -1) / math.sqrt(d // h)  # Q_i K_i^T / sqrt(d_head), (B, h, T_q, T_k)
            if mask is not None and mask.dtype == torch.bool:
                scores = scores.masked_fill(~mask, float("-inf"))  # False = may not attend
            elif mask is not None:
                scores = scores + mask  # a floating mask is added
            dead = (scores == float("-inf")).all(dim=-1, keepdim=True)  # queries with no key left, (B, h, T_q, 1)
            weights = torch.softmax(scores.masked_fill(dead, 0.0), dim=-1).masked_fill(dead, 0.0)  # (B, h, T_q, T_k)
            concat = (weights @ v).transpose(1, 2).reshape(batch, seq_q, d)  # Concat(head_1, ..., head_h), (B, T_q, d)
            return self.W_o(concat), weights  # MultiHead = Concat(...) W_o

    MultiHeadAttention.__module__ = "concepts.multi_head_attention"
    return MultiHeadAttention
