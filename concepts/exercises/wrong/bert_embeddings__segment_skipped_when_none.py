"""Adds no segment embedding when token_type_ids is None, instead of segment 0's row for every token."""

import numpy as np

EXPECTED_FAILURE = "check_embeddings_default_segment"


def bert_embeddings(
    input_ids,
    token_type_ids,
    word_embeddings,
    position_embeddings,
    token_type_embeddings,
    ln_weight,
    ln_bias,
    *,
    eps=1e-12,
):
    ids = np.asarray(input_ids)
    x = np.asarray(word_embeddings, dtype=float)[ids] + np.asarray(position_embeddings, dtype=float)[: ids.shape[1]]
    if token_type_ids is not None:
        x = x + np.asarray(token_type_embeddings, dtype=float)[np.asarray(token_type_ids)]
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * ln_weight + ln_bias
