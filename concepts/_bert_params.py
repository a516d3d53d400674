"""BERT's parameters: counts, random initialisation and the converter from Hugging Face (a private helper).

Counts follow Hugging Face's ``BertModel`` / ``BertForMaskedLM`` (BERT-base: 109,482,240 with
the pooler). The public names are re-exported by :mod:`concepts.bert`, which is where the
page and the API documentation find them; this file exists only to keep each module short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from concepts._checks import require_positive_int, require_rng

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "bert_mlm_param_count",
    "bert_param_count",
    "bert_params_from_torch",
    "init_bert_params",
]


def bert_param_count(
    vocab_size: int = 30522,
    d_model: int = 768,
    num_layers: int = 12,
    d_ff: int = 3072,
    max_len: int = 512,
    *,
    type_vocab_size: int = 2,
    pooler: bool = True,
) -> int:
    """Parameters of ``BertModel``: embeddings, ``num_layers`` post-LN layers, the pooler.

    Per layer ``4 (d^2 + d)`` for attention, ``2 d d_ff + d_ff + d`` for the FFN and
    ``4 d`` for two LayerNorms; embeddings ``(V + P + 2) d + 2 d``; pooler ``d^2 + d``.

    >>> from concepts.bert import bert_param_count
    >>> bert_param_count()  # BERT-base
    109482240
    >>> bert_param_count(pooler=False)
    108891648
    """
    sizes = {"vocab_size": vocab_size, "d_model": d_model, "num_layers": num_layers, "d_ff": d_ff}
    sizes.update(max_len=max_len, type_vocab_size=type_vocab_size)
    V, d, L, f, P, S = (require_positive_int(n, k) for k, n in sizes.items())
    embeddings = (V + P + S) * d + 2 * d
    layer = 4 * (d * d + d) + (2 * d * f + f + d) + 4 * d
    return embeddings + L * layer + (d * d + d if pooler else 0)


def bert_mlm_param_count(
    vocab_size: int = 30522,
    d_model: int = 768,
    num_layers: int = 12,
    d_ff: int = 3072,
    max_len: int = 512,
    *,
    type_vocab_size: int = 2,
    tied: bool = True,
) -> int:
    """Parameters of ``BertForMaskedLM`` (no pooler): encoder + transform (``d^2 + 3d``) + decoder bias ``V``.

    An untied decoder adds ``V d`` more (23,440,896 for BERT-base).

    >>> from concepts.bert import bert_mlm_param_count
    >>> bert_mlm_param_count(), bert_mlm_param_count(tied=False) - bert_mlm_param_count()
    (109514298, 23440896)
    """
    body = bert_param_count(
        vocab_size, d_model, num_layers, d_ff, max_len, type_vocab_size=type_vocab_size, pooler=False
    )
    return body + d_model * d_model + 3 * d_model + vocab_size + (0 if tied else vocab_size * d_model)


def init_bert_params(
    *,
    vocab_size: int = 100,
    d_model: int = 32,
    num_layers: int = 2,
    d_ff: int = 64,
    num_heads: int = 4,
    max_len: int = 64,
    rng: np.random.Generator | int | None = 0,
) -> dict[str, Any]:
    """Random BERT parameters (``N(0, 0.02^2)`` as BERT initialises, LayerNorm near identity), for examples.

    >>> from concepts.bert import init_bert_params
    >>> p = init_bert_params(rng=0)
    >>> len(p["layers"]), p["embeddings"]["word"].shape, p["num_heads"]
    (2, (100, 32), 4)
    """
    rng = require_rng(rng)
    d, f = d_model, d_ff

    def w(*shape: int) -> np.ndarray:
        return 0.02 * rng.standard_normal(shape)

    def ln() -> tuple[np.ndarray, np.ndarray]:
        return 1.0 + 0.1 * rng.standard_normal(d), 0.1 * rng.standard_normal(d)

    emb = {"word": w(vocab_size, d), "position": w(max_len, d), "token_type": w(2, d)}
    emb["ln_weight"], emb["ln_bias"] = ln()
    layers = []
    for _ in range(num_layers):
        layer = {
            k: w(d, d) if k.startswith("w_") else w(d) for k in ("w_q", "b_q", "w_k", "b_k", "w_v", "b_v", "w_o", "b_o")
        }
        layer.update(w_1=w(d, f), b_1=w(f), w_2=w(f, d), b_2=w(d))
        (layer["ln1_weight"], layer["ln1_bias"]), (layer["ln2_weight"], layer["ln2_bias"]) = ln(), ln()
        layers.append(layer)
    mlm = {"w": w(d, d), "b": w(d), "decoder_bias": w(vocab_size)}
    mlm["ln_weight"], mlm["ln_bias"] = ln()
    pooler = {"w": w(d, d), "b": w(d)}
    return {"embeddings": emb, "layers": layers, "pooler": pooler, "mlm": mlm, "num_heads": num_heads, "eps": 1e-12}


def bert_params_from_torch(model: nn.Module) -> dict[str, Any]:
    """Copy a Hugging Face ``BertModel`` or ``BertForMaskedLM`` into NumPy float64 params.

    ``nn.Linear`` weights ``(d_out, d_in)`` are transposed to ``(d_in, d_out)``. The MLM
    head's decoder is not copied when it is tied (it *is* the word embeddings); an untied one
    goes to ``params["mlm"]["decoder"]``. The output bias is read from ``decoder.bias``, the one
    the forward uses (tied to ``predictions.bias`` only when the weights are tied).

    :param model: a ``transformers`` ``BertModel`` or ``BertForMaskedLM``.
    :returns: the dict ``bert_forward`` and ``bert_mlm_logits`` take.
    :raises TypeError: for a model without BERT's module names.
    """
    bert = getattr(model, "bert", model)
    if not hasattr(bert, "embeddings") or not hasattr(bert, "encoder"):
        raise TypeError(f"model must be a transformers BertModel or BertForMaskedLM; got {type(model).__name__}")

    def a(t: Any) -> np.ndarray:
        return t.detach().cpu().double().numpy().copy()

    def lin(m: Any) -> tuple[np.ndarray, np.ndarray]:
        return a(m.weight).T, a(m.bias)  # nn.Linear's (d_out, d_in) -> our (d_in, d_out)

    def ln(m: Any) -> tuple[np.ndarray, np.ndarray]:
        return a(m.weight), a(m.bias)

    e = bert.embeddings
    emb = {"word": a(e.word_embeddings.weight), "position": a(e.position_embeddings.weight)}
    emb["token_type"], (emb["ln_weight"], emb["ln_bias"]) = a(e.token_type_embeddings.weight), ln(e.LayerNorm)
    layers = []
    for layer in bert.encoder.layer:
        sa, out = layer.attention.self, layer.attention.output
        p = {}
        for key, m in (("q", sa.query), ("k", sa.key), ("v", sa.value), ("o", out.dense)):
            p[f"w_{key}"], p[f"b_{key}"] = lin(m)
        p["w_1"], p["b_1"] = lin(layer.intermediate.dense)
        p["w_2"], p["b_2"] = lin(layer.output.dense)
        (p["ln1_weight"], p["ln1_bias"]), (p["ln2_weight"], p["ln2_bias"]) = (
            ln(out.LayerNorm),
            ln(layer.output.LayerNorm),
        )
        layers.append(p)
    pooler, mlm = None, None
    if getattr(bert, "pooler", None) is not None:
        pooler = dict(zip(("w", "b"), lin(bert.pooler.dense), strict=True))
    if hasattr(model, "cls"):
        pred = model.cls.predictions
        transform = lin(pred.transform.dense) + ln(pred.transform.LayerNorm)  # dense, then LayerNorm
        mlm = dict(zip(("w", "b", "ln_weight", "ln_bias"), transform, strict=True))
        mlm["decoder_bias"] = a(pred.decoder.bias)  # the bias the forward adds (an untied model keeps a stale twin)
        if pred.decoder.weight is not e.word_embeddings.weight:
            mlm["decoder"] = a(pred.decoder.weight).T
    cfg = {"num_heads": bert.config.num_attention_heads, "eps": bert.config.layer_norm_eps}
    return {"embeddings": emb, "layers": layers, "pooler": pooler, "mlm": mlm, **cfg}
