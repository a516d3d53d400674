"""Uses GELU's tanh approximation (GPT-2's gelu_new) where BERT's hidden_act "gelu" is the exact erf form."""

import math

import numpy as np

EXPECTED_FAILURE = "check_layer_against_torch"


def _ln(h, w, b, eps):
    mu = h.mean(-1, keepdims=True)
    return (h - mu) / np.sqrt(h.var(-1, keepdims=True) + eps) * w + b


def _mha(h, p, num_heads, mask):
    B, T, d = h.shape
    dh = d // num_heads

    def split(z):
        return z.reshape(B, T, num_heads, dh).transpose(0, 2, 1, 3)

    q, k, v = (split(h @ p[f"w_{n}"] + p[f"b_{n}"]) for n in "qkv")
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh)
    if mask is not None:
        s = np.where(np.asarray(mask, dtype=bool)[:, None, None, :], s, -np.inf)
    w = np.exp(s - s.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    return (w @ v).transpose(0, 2, 1, 3).reshape(B, T, d) @ p["w_o"] + p["b_o"]


def _gelu(z):
    return 0.5 * z * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (z + 0.044715 * z**3)))


def bert_encoder_layer(x, params, num_heads, *, mask=None, eps=1e-12):
    p, x = params, np.asarray(x, dtype=float)
    h = _ln(x + _mha(x, p, num_heads, mask), p["ln1_weight"], p["ln1_bias"], eps)
    return _ln(h + _gelu(h @ p["w_1"] + p["b_1"]) @ p["w_2"] + p["b_2"], p["ln2_weight"], p["ln2_bias"], eps)
