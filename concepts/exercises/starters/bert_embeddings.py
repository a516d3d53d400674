"""Exercise bert.embeddings: BERT's input layer, word + position + segment embeddings, then LayerNorm.

Run ``python -m quiz check bert.embeddings bert_embeddings.py`` to grade it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def bert_embeddings(
    input_ids: ArrayLike,
    token_type_ids: ArrayLike | None,
    word_embeddings: ArrayLike,
    position_embeddings: ArrayLike,
    token_type_embeddings: ArrayLike,
    ln_weight: ArrayLike,
    ln_bias: ArrayLike,
    *,
    eps: float = 1e-12,
) -> np.ndarray:
    """``LayerNorm(E_word[id] + E_pos[t] + E_type[segment])`` for every token, as ``BertEmbeddings`` in eval mode.

    Specification:

    - ``input_ids``: integer ids of shape ``(batch, seq_len)``; ``token_type_ids`` the same
      shape with 0 (sentence A, and [CLS]) or 1 (sentence B). ``None`` means every token is
      in segment 0, and segment 0's embedding is still added.
    - ``word_embeddings`` ``(vocab_size, d_model)``, ``position_embeddings``
      ``(max_len, d_model)``, ``token_type_embeddings`` ``(2, d_model)``. Position
      ``t`` (0-based) of every sequence uses row ``t``.
    - LayerNorm over the last axis with the *biased* variance (divide by ``d_model``),
      ``eps`` inside the square root, then ``* ln_weight + ln_bias``. BERT's eps is 1e-12.
    - No dropout. Return a float64 array ``(batch, seq_len, d_model)``.

    >>> import numpy as np
    >>> word, pos, typ = np.eye(3), np.zeros((4, 3)), np.zeros((2, 3))
    >>> x = bert_embeddings([[0, 2]], None, word, pos, typ, np.ones(3), np.zeros(3))
    >>> np.round(x, 4).tolist()
    [[[1.4142, -0.7071, -0.7071], [-0.7071, -0.7071, 1.4142]]]
    """
    raise NotImplementedError("write this function")
