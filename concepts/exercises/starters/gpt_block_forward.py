"""Exercise gpt.block-forward: one GPT-2 transformer block, forward, from given weights.

Check your solution with ``python -m quiz check gpt.block-forward <this file>``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def gpt2_block(x: ArrayLike, params: dict[str, ArrayLike], num_heads: int) -> np.ndarray:
    """One GPT-2 block on the residual stream ``x`` of shape ``(T, d_model)``, causal.

    GPT-2's conventions: pre-LN (``x = x + Attn(LN_1(x))``, then ``x = x + MLP(LN_2(x))``),
    LayerNorm with ``eps = 1e-5`` and a biased variance, the tanh form of GELU
    ``0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))``, and every linear map written
    ``h @ W + b`` with ``W`` of shape ``(d_in, d_out)`` (GPT-2's ``Conv1D``). ``params`` uses
    GPT-2's names without the ``transformer.h.<i>.`` prefix:

    - ``ln_1.weight``, ``ln_1.bias``, ``ln_2.weight``, ``ln_2.bias``: shape ``(d,)``;
    - ``attn.c_attn.weight`` ``(d, 3d)`` and ``attn.c_attn.bias`` ``(3d,)``: queries, keys and
      values side by side (in that order), each then split into ``num_heads`` heads of
      ``d / num_heads``; scores scaled by ``1 / sqrt(head_dim)``; query ``i`` sees keys ``j <= i``;
    - ``attn.c_proj.weight`` ``(d, d)``, ``attn.c_proj.bias`` ``(d,)``: the output projection;
    - ``mlp.c_fc.weight`` ``(d, 4d)``, ``mlp.c_fc.bias`` ``(4d,)``, ``mlp.c_proj.weight``
      ``(4d, d)``, ``mlp.c_proj.bias`` ``(d,)``: the MLP.

    :returns: the new residual stream, shape ``(T, d_model)``.

    >>> import numpy as np
    >>> d = 4
    >>> p = {n: np.zeros(s) for n, s in [("ln_1.weight", d), ("ln_1.bias", d), ("ln_2.weight", d), ("ln_2.bias", d),
    ...      ("attn.c_attn.weight", (d, 3 * d)), ("attn.c_attn.bias", 3 * d), ("attn.c_proj.weight", (d, d)),
    ...      ("attn.c_proj.bias", d), ("mlp.c_fc.weight", (d, 4 * d)), ("mlp.c_fc.bias", 4 * d),
    ...      ("mlp.c_proj.weight", (4 * d, d)), ("mlp.c_proj.bias", d)]}
    >>> gpt2_block(np.ones((2, d)), p, 2).tolist()  # zero weights: the pre-LN block is the identity
    [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    """
    raise NotImplementedError("write this function")
