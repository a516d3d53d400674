"""Checks for the BERT exercises: the embedding layer, and one post-LN encoder layer.

The trusted references are written here with PyTorch's own functions in float64
(``F.embedding``, ``F.layer_norm``, ``F.linear``, ``F.scaled_dot_product_attention``,
``F.gelu``), following the layout of Hugging Face's ``BertEmbeddings`` and ``BertLayer``
(the package itself never imports ``transformers``; ``tests/concepts/test_bert.py`` checks
the model against it), plus values worked by hand. The same tests run these checks on
``concepts.bert``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare

__all__ = ["CHECKS"]

EPS = 1e-12


def _t(a: np.ndarray):
    return require_torch().from_numpy(np.asarray(a))


def _embedding_case(rng: np.random.Generator, batch: int, seq_len: int, d: int = 8, vocab: int = 11) -> dict:
    return {
        "input_ids": rng.integers(0, vocab, (batch, seq_len)),
        "token_type_ids": rng.integers(0, 2, (batch, seq_len)),
        "word_embeddings": rng.standard_normal((vocab, d)),
        "position_embeddings": rng.standard_normal((seq_len + 3, d)),
        "token_type_embeddings": 2.0 * rng.standard_normal((2, d)),
        "ln_weight": 1.0 + 0.3 * rng.standard_normal(d),
        "ln_bias": 0.3 * rng.standard_normal(d),
    }


def _torch_embeddings(c: dict) -> np.ndarray:
    torch = require_torch()
    F = torch.nn.functional
    ids = _t(c["input_ids"])
    types = torch.zeros_like(ids) if c["token_type_ids"] is None else _t(c["token_type_ids"])
    pos = torch.arange(ids.shape[1])
    x = F.embedding(ids, _t(c["word_embeddings"])) + F.embedding(pos, _t(c["position_embeddings"]))
    x = x + F.embedding(types, _t(c["token_type_embeddings"]))
    d = x.shape[-1]
    return F.layer_norm(x, (d,), _t(c["ln_weight"]), _t(c["ln_bias"]), EPS).numpy()


def _call_embeddings(candidate: Callable, c: dict):
    return candidate(
        c["input_ids"],
        c["token_type_ids"],
        c["word_embeddings"],
        c["position_embeddings"],
        c["token_type_embeddings"],
        c["ln_weight"],
        c["ln_bias"],
    )


# ---------------------------------------------------------------- bert.embeddings


@check("one-hot words, zero positions and segments give rows of 1.4142 and -0.7071", section="bert-embeddings")
def check_embeddings_hand_worked(candidate: Callable) -> None:
    """Row (1, 0, 0) has mean 1/3 and biased variance 2/9, so it maps to (2, -1, -1) / sqrt(2)."""
    c = {
        "input_ids": np.array([[0, 2]]),
        "token_type_ids": None,
        "word_embeddings": np.eye(3),
        "position_embeddings": np.zeros((4, 3)),
        "token_type_embeddings": np.zeros((2, 3)),
        "ln_weight": np.ones(3),
        "ln_bias": np.zeros(3),
    }
    r, s = 2 / 2**0.5, -1 / 2**0.5
    compare(_call_embeddings(candidate, c), [[[r, s, s], [s, s, r]]], inputs={"input_ids": c["input_ids"]}, atol=1e-9)


@check("equals F.embedding sums + F.layer_norm (eps 1e-12), with segments and positions", section="bert-embeddings")
def check_embeddings_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for batch, seq_len in ((1, 1), (1, 4), (3, 6)):
        c = _embedding_case(rng, batch, seq_len)
        inputs = {"input_ids": c["input_ids"], "token_type_ids": c["token_type_ids"]}
        compare(_call_embeddings(candidate, c), _torch_embeddings(c), inputs=inputs, rtol=1e-9, atol=1e-10)


@check("token_type_ids=None means segment 0 for every token (its embedding is still added)", section="bert-embeddings")
def check_embeddings_default_segment(candidate: Callable) -> None:
    c = _embedding_case(np.random.default_rng(1), 2, 5)
    c["token_type_ids"] = None
    compare(_call_embeddings(candidate, c), _torch_embeddings(c), inputs={"input_ids": c["input_ids"]}, rtol=1e-9)


# ---------------------------------------------------------------- bert.encoder-layer


def _layer_case(rng: np.random.Generator, d: int, d_ff: int) -> dict:
    p = {k: 0.4 * rng.standard_normal((d, d)) for k in ("w_q", "w_k", "w_v", "w_o")}
    p.update({k: 0.3 * rng.standard_normal(d) for k in ("b_q", "b_k", "b_v", "b_o", "b_2", "ln1_bias", "ln2_bias")})
    p.update(w_1=0.5 * rng.standard_normal((d, d_ff)), b_1=0.5 * rng.standard_normal(d_ff))
    p.update(w_2=0.3 * rng.standard_normal((d_ff, d)))
    p.update(ln1_weight=1.0 + 0.3 * rng.standard_normal(d), ln2_weight=1.0 + 0.3 * rng.standard_normal(d))
    return p


def _torch_layer(x: np.ndarray, p: dict, num_heads: int, mask: np.ndarray | None) -> np.ndarray:
    """``BertLayer`` in float64 from PyTorch's functions: post-LN, exact GELU."""
    torch = require_torch()
    F = torch.nn.functional
    t = {k: _t(v) for k, v in p.items()}
    h = _t(x)
    B, T, d = h.shape

    def lin(z, w, b):
        return F.linear(z, w.T, b)  # nn.Linear keeps (d_out, d_in); ours are (d_in, d_out)

    def heads(z):
        return z.view(B, T, num_heads, d // num_heads).transpose(1, 2)  # (B, h, T, d_head)

    q, k, v = (heads(lin(h, t[f"w_{n}"], t[f"b_{n}"])) for n in "qkv")
    attn_mask = None if mask is None else _t(mask.astype(bool))[:, None, None, :]  # (B, 1, 1, T)
    a = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask).transpose(1, 2).reshape(B, T, d)
    h1 = F.layer_norm(h + lin(a, t["w_o"], t["b_o"]), (d,), t["ln1_weight"], t["ln1_bias"], EPS)
    f = lin(F.gelu(lin(h1, t["w_1"], t["b_1"])), t["w_2"], t["b_2"])
    return F.layer_norm(h1 + f, (d,), t["ln2_weight"], t["ln2_bias"], EPS).numpy()


@check("a layer whose sublayers output 0 returns LayerNorm(x) with the second LayerNorm's affine", section="bert-layer")
def check_layer_zero_sublayers(candidate: Callable) -> None:
    """Zero weights and biases make MHA(x) = 0 and FFN(h) = 0; post-LN then gives LN2(LN1(x)), LN1 plain."""
    d = 4
    p = {k: np.zeros((d, d)) for k in ("w_q", "w_k", "w_v", "w_o")}
    p.update({k: np.zeros(d) for k in ("b_q", "b_k", "b_v", "b_o", "b_2", "ln1_bias", "ln2_bias")})
    p.update(w_1=np.zeros((d, 8)), b_1=np.zeros(8), w_2=np.zeros((8, d)), ln1_weight=np.ones(d))
    p.update(ln2_weight=np.array([1.0, 2.0, 1.0, 1.0]), ln2_bias=np.array([0.0, 0.0, 0.0, 5.0]))
    x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    z = (x - 2.5) / np.sqrt(1.25 + EPS)  # biased variance of (1, 2, 3, 4) is 1.25
    compare(candidate(x, p, 2), z * p["ln2_weight"] + p["ln2_bias"], inputs={"x": x}, atol=1e-9)


@check("equals BertLayer's computation (post-LN, exact GELU) from torch functions, no mask", section="bert-layer")
def check_layer_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    for batch, seq_len, d, h in ((1, 1, 4, 1), (1, 3, 4, 2), (2, 5, 8, 2)):
        p, x = _layer_case(rng, d, 2 * d), rng.standard_normal((batch, seq_len, d))
        compare(candidate(x, p, h), _torch_layer(x, p, h, None), inputs={"x": x, "num_heads": h}, rtol=1e-8, atol=1e-9)


@check("a padding mask (batch, seq_len), 1 = real token, hides padded keys from every query", section="bert-layer")
def check_layer_padding(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    p, x = _layer_case(rng, 8, 16), rng.standard_normal((3, 5, 8))
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])
    inputs = {"x": x, "mask": mask}
    compare(candidate(x, p, 4, mask=mask), _torch_layer(x, p, 4, mask), inputs=inputs, rtol=1e-8, atol=1e-9)


CHECKS: dict[str, list] = {
    "bert.embeddings": [check_embeddings_hand_worked, check_embeddings_against_torch, check_embeddings_default_segment],
    "bert.encoder-layer": [check_layer_zero_sublayers, check_layer_against_torch, check_layer_padding],
}
