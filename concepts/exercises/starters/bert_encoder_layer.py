"""Exercise bert.encoder-layer: one BERT encoder layer forward (post-LN, exact GELU) from given weights.

Run ``python -m quiz check bert.encoder-layer bert_encoder_layer.py`` to grade it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def bert_encoder_layer(
    x: ArrayLike, params: dict[str, Any], num_heads: int, *, mask: ArrayLike | None = None, eps: float = 1e-12
) -> np.ndarray:
    """``h = LN1(x + MHA(x))``, then ``LN2(h + FFN(h))``: BERT's post-LN layer, as ``BertLayer`` in eval mode.

    Specification:

    - ``x``: float array ``(batch, seq_len, d_model)``. Return the same shape, float64.
    - ``params`` holds NumPy arrays, all multiplying on the right (``x @ W``, ``W`` of
      shape ``(d_in, d_out)``): ``w_q, w_k, w_v, w_o`` ``(d_model, d_model)`` with biases
      ``b_q, b_k, b_v, b_o`` ``(d_model,)``; ``w_1`` ``(d_model, d_ff)``, ``b_1`` ``(d_ff,)``,
      ``w_2`` ``(d_ff, d_model)``, ``b_2`` ``(d_model,)``; LayerNorm gains and shifts
      ``ln1_weight, ln1_bias`` (after attention) and ``ln2_weight, ln2_bias`` (after the FFN).
    - Multi-head self-attention: ``num_heads`` heads, head ``i`` uses columns
      ``i*d_head:(i+1)*d_head`` of the projections, scores divided by ``sqrt(d_head)``,
      heads concatenated then ``@ w_o + b_o``.
    - ``mask``: ``(batch, seq_len)``, 1/True for a real token, 0 for padding (Hugging Face's
      ``attention_mask``). Padded *keys* get weight 0; padded queries are still computed.
    - FFN: ``GELU(h @ w_1 + b_1) @ w_2 + b_2`` with the exact GELU ``x * Phi(x)``
      (``Phi`` the standard normal CDF, through ``math.erf``), not the tanh form.
    - LayerNorm over the last axis with the biased variance and ``eps`` inside the root.

    >>> import numpy as np
    >>> d = 4
    >>> p = {k: np.zeros((d, d)) for k in ("w_q", "w_k", "w_v", "w_o")}
    >>> p.update({k: np.zeros(d) for k in ("b_q", "b_k", "b_v", "b_o", "b_2", "ln1_bias", "ln2_bias")})
    >>> p.update(w_1=np.zeros((d, 8)), b_1=np.zeros(8), w_2=np.zeros((8, d)))
    >>> p.update(ln1_weight=np.ones(d), ln2_weight=np.ones(d))
    >>> y = bert_encoder_layer(np.array([[[1.0, 2.0, 3.0, 4.0]]]), p, 2)  # both sublayers output 0
    >>> np.round(y, 4).tolist()  # so the layer is LayerNorm(x)
    [[[-1.3416, -0.4472, 0.4472, 1.3416]]]
    """
    raise NotImplementedError("write this function")
