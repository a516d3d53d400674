"""Exercise transformer.pre-ln-encoder: one pre-LN encoder layer from given weights.

Run ``python -m quiz check transformer.pre-ln-encoder transformer_pre_ln_encoder.py`` to grade it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike


def pre_ln_encoder_layer(
    x: ArrayLike, params: Mapping[str, ArrayLike], num_heads: int, *, eps: float = 1e-5
) -> np.ndarray:
    """One encoder layer, pre-LN, as ``nn.TransformerEncoderLayer(norm_first=True)`` computes it.

    Specification:

    - ``x`` has shape ``(batch, seq, d_model)``; compute in float64, return the same shape.
    - ``h = x + MHA(LN1(x))``, then ``out = h + FFN(LN2(h))``: each sublayer reads a
      normalised copy, and the residual stream itself is never normalised.
    - ``params`` holds ``(d_in, d_out)`` matrices applied as ``z @ W + b``:
      ``self_attn.w_q``, ``w_k``, ``w_v``, ``w_o`` ``(d_model, d_model)`` with biases
      ``self_attn.b_q`` ... ``b_o`` ``(d_model,)``; ``ffn.w_1`` ``(d_model, d_ff)``,
      ``ffn.b_1`` ``(d_ff,)``, ``ffn.w_2`` ``(d_ff, d_model)``, ``ffn.b_2``; and the
      LayerNorms' ``norm1.gamma``, ``norm1.beta``, ``norm2.gamma``, ``norm2.beta``.
    - Multi-head attention: split the projected queries, keys and values into ``num_heads``
      heads of ``d_model / num_heads`` consecutive features, ``softmax(Q K^T / sqrt(d_head)) V``
      per head over all positions (no mask), concatenate the heads, then ``@ w_o + b_o``.
    - ``FFN(z) = ReLU(z @ w_1 + b_1) @ w_2 + b_2``; ``LN(z) = (z - mean) / sqrt(var + eps) *
      gamma + beta`` over the last axis, with the biased variance. No dropout.

    >>> import numpy as np
    >>> names = [f"self_attn.{w}_{c}" for w in "wb" for c in "qkvo"] + ["ffn.w_1", "ffn.b_1", "ffn.w_2", "ffn.b_2"]
    >>> names += ["norm1.gamma", "norm1.beta", "norm2.gamma", "norm2.beta"]
    >>> p = {k: np.eye(2) if ".w_" in k else np.ones(2) if k.endswith("gamma") else np.zeros(2) for k in names}
    >>> pre_ln_encoder_layer(np.array([[[3.0, 1.0]]]), p, 1, eps=0.0).tolist()  # (3, 1) + (1, -1), then + (1, 0)
    [[[5.0, 0.0]]]
    """
    raise NotImplementedError("write this function")
