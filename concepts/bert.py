"""BERT: a post-LN Transformer encoder trained by masked language modelling, with its heads.

Follows Devlin et al. (2019), "BERT: Pre-training of Deep Bidirectional Transformers", with
Hugging Face's ``BertModel`` / ``BertForMaskedLM`` as the reference for weights and outputs:
embeddings (word + position + token type, then LayerNorm with eps 1e-12), post-LN layers
(``LN(x + sublayer(x))``), exact (erf) GELU, a tanh pooler on [CLS], and an MLM head whose
decoder is tied to the word embeddings. It is assembled from the package's own parts:
LayerNorm from normalization, the FFN and GELU from feed_forward, multi-head attention, and
the padding mask and 80/10/10 corruption from masking. Weights are ``(d_in, d_out)`` and
multiply on the right. Leaves out dropout, relative position variants, the NSP head's
training and any tokenizer (see tokenization). The parameter counts, the random
initialisation and the converter from Hugging Face live in ``concepts/_bert_params.py`` and
are re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._bert_params import bert_mlm_param_count, bert_param_count, bert_params_from_torch, init_bert_params
from concepts._checks import as_array, require_positive_int
from concepts.feed_forward import feed_forward, gelu
from concepts.masking import batch_attention_mask, mlm_mask
from concepts.multi_head_attention import multi_head_attention
from concepts.normalization import layer_norm

__all__ = [
    "BERT_BASE",
    "bert_embeddings",
    "bert_encoder_layer",
    "bert_forward",
    "bert_layer",
    "bert_mlm_inputs",
    "bert_mlm_logits",
    "bert_mlm_param_count",
    "bert_param_count",
    "bert_params_from_torch",
    "best_span",
    "init_bert_params",
]

BERT_BASE = {"vocab_size": 30522, "d_model": 768, "num_layers": 12, "d_ff": 3072, "max_len": 512}
LAYER_KEYS = ("w_q", "b_q", "w_k", "b_k", "w_v", "b_v", "w_o", "b_o", "ln1_weight", "ln1_bias")
LAYER_KEYS += ("w_1", "b_1", "w_2", "b_2", "ln2_weight", "ln2_bias")


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
    """BERT's input layer: ``LayerNorm(E_word[id] + E_pos[t] + E_type[segment])`` for every token.

    Positions are ``0 .. seq_len - 1`` for every sequence (absolute, learned); segment 0 is
    sentence A (and [CLS]), segment 1 sentence B. LayerNorm uses the biased variance.

    :param input_ids: integer ids, shape ``(batch, seq_len)``.
    :param token_type_ids: 0/1 segment ids of the same shape; all 0 when ``None``.
    :param word_embeddings: ``(vocab_size, d_model)``.
    :param position_embeddings: ``(max_len, d_model)``, ``max_len >= seq_len``.
    :param token_type_embeddings: ``(type_vocab_size, d_model)``, 2 in BERT.
    :param ln_weight: LayerNorm gain ``(d_model,)``; ``ln_bias`` its shift.
    :param eps: LayerNorm's epsilon; BERT's is 1e-12.
    :returns: float64 array ``(batch, seq_len, d_model)``.
    :raises ValueError: for ids out of range or a sequence longer than ``max_len``.

    >>> import numpy as np
    >>> from concepts.bert import bert_embeddings
    >>> word, pos, typ = np.eye(3), np.zeros((4, 3)), np.zeros((2, 3))
    >>> x = bert_embeddings([[0, 2]], None, word, pos, typ, np.ones(3), np.zeros(3))
    >>> np.round(x, 4).tolist()  # one-hot rows, centred and scaled to unit variance
    [[[1.4142, -0.7071, -0.7071], [-0.7071, -0.7071, 1.4142]]]
    """
    ids = np.asarray(input_ids)
    word, pos = as_array(word_embeddings, "word_embeddings"), as_array(position_embeddings, "position_embeddings")
    typ = as_array(token_type_embeddings, "token_type_embeddings")
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"input_ids must be integers of shape (batch, seq_len); got {ids.dtype} {ids.shape}")
    types = np.zeros_like(ids) if token_type_ids is None else np.asarray(token_type_ids)
    if types.shape != ids.shape:
        raise ValueError(f"token_type_ids must have the shape of input_ids {ids.shape}; got {types.shape}")
    seq_len = ids.shape[1]
    if ids.min() < 0 or ids.max() >= word.shape[0] or types.min() < 0 or types.max() >= typ.shape[0]:
        raise ValueError(f"ids must lie in [0, {word.shape[0]}) and segments in [0, {typ.shape[0]})")
    if seq_len > pos.shape[0]:
        raise ValueError(f"seq_len must be at most max_len = {pos.shape[0]}; got {seq_len}")
    x = word[ids] + pos[np.arange(seq_len)] + typ[types]  # E_word + E_pos + E_type, (B, T, d_model)
    return layer_norm(x, x.shape[-1], ln_weight, ln_bias, eps=eps)


def bert_layer(
    x: ArrayLike,
    params: dict[str, Any],
    num_heads: int,
    *,
    mask: ArrayLike | None = None,
    eps: float = 1e-12,
    norm_position: str = "post",
    activation: str = "gelu",
) -> np.ndarray:
    """One BERT encoder layer, post-LN: ``h = LN(x + MHA(x))``, then ``LN(h + FFN(h))``.

    :param x: ``(batch, seq_len, d_model)``.
    :param params: ``LAYER_KEYS``: ``w_q, w_k, w_v, w_o`` ``(d_model, d_model)`` with biases
        ``b_*`` ``(d_model,)``; ``w_1`` ``(d_model, d_ff)``, ``b_1``, ``w_2`` ``(d_ff, d_model)``,
        ``b_2``; ``ln1_*`` after attention, ``ln2_*`` after the FFN.
    :param num_heads: attention heads; must divide ``d_model``.
    :param mask: key padding ``(batch, seq_len)``, ``True`` = real token (Hugging Face's
        ``attention_mask``); padded keys get weight 0, padded queries are computed anyway.
    :param eps: LayerNorm's epsilon.
    :param norm_position: ``"post"`` (BERT, the original Transformer) or ``"pre"``
        (``x + MHA(LN(x))``, GPT-2 and later; shown for contrast, not BERT).
    :param activation: ``"gelu"`` (exact, BERT's ``hidden_act``) or ``"gelu_tanh"``.
    :returns: float64 ``(batch, seq_len, d_model)``.
    :raises ValueError: for a missing weight, an unknown ``norm_position`` or bad shapes.

    >>> import numpy as np
    >>> from concepts.bert import bert_layer, init_bert_params
    >>> p = init_bert_params(vocab_size=10, d_model=4, num_layers=1, d_ff=8, rng=0)["layers"][0]
    >>> p["ln2_weight"], p["ln2_bias"] = np.ones(4), np.zeros(4)  # the last LayerNorm as identity affine
    >>> y = bert_layer(np.ones((1, 2, 4)) + np.arange(4), p, num_heads=2)
    >>> np.round(y.mean(-1), 6).tolist(), np.round(y.std(-1), 3).tolist()  # post-LN: normalised output
    ([[0.0, 0.0]], [[1.0, 1.0]])
    """
    missing = [k for k in LAYER_KEYS if k not in params]
    if missing:
        raise ValueError(f"params must hold {LAYER_KEYS}; missing {missing}")
    if norm_position not in ("post", "pre"):
        raise ValueError(f"norm_position must be 'post' or 'pre'; got {norm_position!r}")
    x = as_array(x, "x")
    d = x.shape[-1]
    attn_mask = None if mask is None else batch_attention_mask(np.asarray(mask, dtype=bool))  # (B, 1, T, T)
    p = params

    def ln(h: np.ndarray, i: int) -> np.ndarray:
        return layer_norm(h, d, p[f"ln{i}_weight"], p[f"ln{i}_bias"], eps=eps)

    def attend(h: np.ndarray) -> np.ndarray:
        biases = (p["b_q"], p["b_k"], p["b_v"], p["b_o"])
        return multi_head_attention(
            h, h, p["w_q"], p["w_k"], p["w_v"], p["w_o"], num_heads, biases=biases, mask=attn_mask
        )[0]

    def ffn(h: np.ndarray) -> np.ndarray:
        return feed_forward(h, p["w_1"], p["w_2"], b1=p["b_1"], b2=p["b_2"], activation=activation)

    if norm_position == "pre":
        h = x + attend(ln(x, 1))
        return h + ffn(ln(h, 2))
    h = ln(x + attend(x), 1)  # post-LN: normalise after the residual add
    return ln(h + ffn(h), 2)


def bert_encoder_layer(
    x: ArrayLike, params: dict[str, Any], num_heads: int, *, mask: ArrayLike | None = None, eps: float = 1e-12
) -> np.ndarray:
    """BERT's layer with its own conventions only (post-LN, exact GELU): ``bert_layer`` without the knobs.

    >>> import numpy as np
    >>> from concepts.bert import bert_encoder_layer, init_bert_params
    >>> p = init_bert_params(d_model=4, d_ff=8, num_layers=1, rng=0)["layers"][0]
    >>> bert_encoder_layer(np.zeros((2, 3, 4)), p, 2, mask=[[1, 1, 0], [1, 1, 1]]).shape
    (2, 3, 4)
    """
    return bert_layer(x, params, num_heads, mask=mask, eps=eps)


def bert_forward(
    input_ids: ArrayLike,
    params: dict[str, Any],
    *,
    token_type_ids: ArrayLike | None = None,
    mask: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``BertModel``'s forward: ``(last_hidden_state, pooler_output)``.

    The pooler is ``tanh(h_[CLS] W_p + b_p)``, the input of the NSP and sentence
    classification heads; ``None`` when ``params["pooler"]`` is ``None``.

    :param input_ids: ``(batch, seq_len)`` integer ids.
    :param params: as built by ``bert_params_from_torch`` or ``init_bert_params``.
    :param token_type_ids: ``(batch, seq_len)`` segment ids; zeros when omitted.
    :param mask: ``(batch, seq_len)`` attention mask, ``True``/1 = real token.
    :returns: ``(batch, seq_len, d_model)`` and ``(batch, d_model)`` (or ``None``).

    >>> import numpy as np
    >>> from concepts.bert import bert_forward, init_bert_params
    >>> p = init_bert_params(vocab_size=10, d_model=8, num_layers=2, d_ff=16, num_heads=2, rng=0)
    >>> h, pooled = bert_forward([[1, 5, 2, 0]], p, mask=[[1, 1, 1, 0]])
    >>> h.shape, pooled.shape, bool(np.all(np.abs(pooled) < 1))
    ((1, 4, 8), (1, 8), True)
    """
    e = params["embeddings"]
    tables = (e["word"], e["position"], e["token_type"], e["ln_weight"], e["ln_bias"])
    h = bert_embeddings(input_ids, token_type_ids, *tables, eps=params["eps"])
    for layer in params["layers"]:
        h = bert_layer(h, layer, params["num_heads"], mask=mask, eps=params["eps"])
    pool = params.get("pooler")
    pooled = None if pool is None else np.tanh(h[:, 0] @ pool["w"] + pool["b"])  # tanh(h_CLS W_p + b_p)
    return h, pooled


def bert_mlm_logits(
    input_ids: ArrayLike,
    params: dict[str, Any],
    *,
    token_type_ids: ArrayLike | None = None,
    mask: ArrayLike | None = None,
    tied: bool = True,
) -> np.ndarray:
    """``BertForMaskedLM``'s logits: ``LN(GELU(h W_t + b_t)) E_word^T + b``, shape ``(batch, seq_len, vocab_size)``.

    With ``tied=True`` the decoder is the word-embedding matrix itself (``params["mlm"]`` has
    no ``decoder``); ``tied=False`` uses ``params["mlm"]["decoder"]`` ``(d_model, vocab_size)``.

    >>> from concepts.bert import bert_mlm_logits, init_bert_params
    >>> p = init_bert_params(vocab_size=10, d_model=8, num_layers=1, d_ff=16, num_heads=2, rng=0)
    >>> bert_mlm_logits([[1, 3, 2]], p).shape
    (1, 3, 10)
    """
    h, _ = bert_forward(input_ids, params, token_type_ids=token_type_ids, mask=mask)
    m = params["mlm"]
    t = gelu(h @ m["w"] + m["b"])  # the transform: dense + exact GELU, (B, T, d_model)
    t = layer_norm(t, t.shape[-1], m["ln_weight"], m["ln_bias"], eps=params["eps"])
    decoder = params["embeddings"]["word"].T if tied else m["decoder"]  # (d_model, vocab_size)
    return t @ decoder + m["decoder_bias"]


def bert_mlm_inputs(
    tokens: ArrayLike,
    *,
    vocab_size: int,
    mask_token_id: int,
    special_ids: tuple[int, ...] = (0, 101, 102),
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """MLM corruption of a batch: ``concepts.masking.mlm_mask`` (15%, 80/10/10) with [PAD], [CLS], [SEP] never chosen.

    :param tokens: ``(batch, seq_len)`` integer ids.
    :param special_ids: ids that are never selected; BERT's uncased vocabulary has
        [PAD] = 0, [CLS] = 101, [SEP] = 102 (and [MASK] = 103).
    :returns: ``(inputs, labels)`` with labels -100 where nothing is predicted.

    >>> from concepts.bert import bert_mlm_inputs
    >>> inputs, labels = bert_mlm_inputs([[101, 7, 8, 102, 0]], vocab_size=200, mask_token_id=103, rng=0)
    >>> [labels[0, i] for i in (0, 3, 4)]  # special tokens are never targets
    [np.int64(-100), np.int64(-100), np.int64(-100)]
    """
    tokens = np.asarray(tokens)
    can_mask = ~np.isin(tokens, np.asarray(special_ids))
    return mlm_mask(tokens, vocab_size=vocab_size, mask_token_id=mask_token_id, can_mask=can_mask, rng=rng)


def best_span(
    start_logits: ArrayLike, end_logits: ArrayLike, *, max_answer_len: int = 30, allowed: ArrayLike | None = None
) -> tuple[int, int, float]:
    """The answer span of extractive QA: ``argmax start_i + end_j`` over ``i <= j < i + max_answer_len``.

    BERT's SQuAD head is one ``(d_model, 2)`` dense layer giving a start and an end logit per
    token; the two argmaxes taken apart can give ``end < start``, so the pair is chosen jointly.

    :param start_logits: ``(seq_len,)``; ``end_logits`` the same.
    :param max_answer_len: the longest span, in tokens.
    :param allowed: ``(seq_len,)`` boolean, ``True`` for context tokens a span may use.
    :returns: ``(start, end, score)``, both ends inclusive.
    :raises ValueError: for mismatched shapes or no allowed token.

    >>> from concepts.bert import best_span
    >>> best_span([0.0, 5.0, 1.0, 0.0], [4.0, 0.0, 1.0, 3.0])  # argmax end (0) lies before argmax start (1)
    (1, 3, 8.0)
    """
    s, e = as_array(start_logits, "start_logits"), as_array(end_logits, "end_logits")
    if s.ndim != 1 or s.shape != e.shape or s.size == 0:
        raise ValueError(f"start_logits and end_logits must be 1-D of one length; got {s.shape} and {e.shape}")
    max_answer_len = require_positive_int(max_answer_len, "max_answer_len")
    ok = np.ones(s.shape, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    if ok.shape != s.shape or not ok.any():
        raise ValueError(f"allowed must be boolean of shape {s.shape} with at least one True")
    i, j = np.arange(s.size)[:, None], np.arange(s.size)[None, :]
    valid = (j >= i) & (j < i + max_answer_len) & ok[:, None] & ok[None, :]  # (T, T)
    scores = np.where(valid, s[:, None] + e[None, :], -np.inf)  # score(i, j) = start_i + end_j
    start, end = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(start), int(end), float(scores[start, end])
