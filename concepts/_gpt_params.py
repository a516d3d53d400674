"""GPT's configuration and parameters: the sizes, the count, and GPT-2's weight names (a private helper).

The count follows Hugging Face's ``GPT2LMHeadModel`` (GPT-2 small, tied: 124,439,808) and
lives in :mod:`concepts.embeddings`; the converter renames a ``GPT2LMHeadModel`` state dict
to this package's names. The public names are re-exported by :mod:`concepts.gpt`, which is
where the page and the API documentation find them; this file exists only to keep each
module short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from concepts._checks import require_positive_int
from concepts.embeddings import gpt2_param_count

__all__ = [
    "GPTConfig",
    "gpt2_params_from_torch",
    "gpt_param_count",
]


@dataclass(frozen=True)
class GPTConfig:
    """Sizes and conventions; the defaults are GPT-2 small's, the flags flip one convention each.

    >>> GPTConfig().d_model // GPTConfig().num_heads  # head_dim
    64
    """

    vocab_size: int = 50257
    max_len: int = 1024
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    eps: float = 1e-5
    norm_first: bool = True  # pre-LN, as GPT-2; False is the original Transformer's post-LN
    activation: str = "gelu_tanh"  # GPT-2's "gelu_new"; "gelu" is the exact erf form
    tied: bool = True  # the output layer is the token embedding

    def __post_init__(self) -> None:
        for name in ("vocab_size", "max_len", "d_model", "num_layers", "num_heads"):
            require_positive_int(getattr(self, name), name)
        if self.d_model % self.num_heads:
            raise ValueError(f"num_heads must divide d_model; got d_model={self.d_model}, num_heads={self.num_heads}")


def gpt_param_count(config: GPTConfig) -> int:
    """Parameters of the model ``GPT`` builds from ``config`` (the count lives in :mod:`concepts.embeddings`).

    >>> gpt_param_count(GPTConfig())  # GPT-2 small, tied
    124439808
    """
    c = config
    return gpt2_param_count(
        vocab_size=c.vocab_size, max_len=c.max_len, d_model=c.d_model, num_layers=c.num_layers, tied=c.tied
    )


_BLOCK_NAMES = ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight")
_BLOCK_NAMES += ("attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias")
_BLOCK_NAMES += ("mlp.c_proj.weight", "mlp.c_proj.bias")


def gpt2_params_from_torch(state_dict: dict[str, Any]) -> dict[str, Any]:
    """Our parameter names for a ``GPT2LMHeadModel`` state dict (tensors shared, nothing copied).

    GPT-2's ``Conv1D`` stores weights as ``(d_in, d_out)`` and computes ``x @ W + b``, which
    is the layout :func:`concepts.feed_forward.feed_forward_torch` takes: no transpose. The
    tied ``lm_head.weight`` is skipped; buffers (older versions' ``attn.bias`` masks) too.
    """
    out = {"wte.weight": state_dict["transformer.wte.weight"], "wpe.weight": state_dict["transformer.wpe.weight"]}
    out |= {f"ln_f.{p}": state_dict[f"transformer.ln_f.{p}"] for p in ("weight", "bias")}
    layers = {int(k.split(".")[2]) for k in state_dict if k.startswith("transformer.h.")}
    for i in sorted(layers):
        out |= {f"blocks.{i}.{n.replace('.', '_')}": state_dict[f"transformer.h.{i}.{n}"] for n in _BLOCK_NAMES}
    return out
