"""LayerNorm with the unbiased variance (divide by d_model - 1), as np.var(ddof=1) or torch.var's default."""

import numpy as np

EXPECTED_FAILURE = "check_embeddings_hand_worked"


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
    types = np.zeros_like(ids) if token_type_ids is None else np.asarray(token_type_ids)
    x = np.asarray(word_embeddings, dtype=float)[ids] + np.asarray(position_embeddings, dtype=float)[: ids.shape[1]]
    x = x + np.asarray(token_type_embeddings, dtype=float)[types]
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True, ddof=1)
    return (x - mu) / np.sqrt(var + eps) * ln_weight + ln_bias
