"""Forgets to divide the attention scores by sqrt(d_head): the softmax is too sharp."""

import numpy as np

EXPECTED_FAILURE = "check_against_torch"


def _ln(z, gamma, beta, eps):
    return (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + eps) * gamma + beta


def _mha(z, p, h):
    B, T, d = z.shape
    q, k, v = (
        (z @ p[f"self_attn.w_{c}"] + p[f"self_attn.b_{c}"]).reshape(B, T, h, d // h).swapaxes(1, 2) for c in "qkv"
    )
    s = q @ k.swapaxes(-1, -2)  # should be divided by sqrt(d // h)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return (w @ v).swapaxes(1, 2).reshape(B, T, d) @ p["self_attn.w_o"] + p["self_attn.b_o"]


def pre_ln_encoder_layer(x, params, num_heads, *, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    h = x + _mha(_ln(x, p["norm1.gamma"], p["norm1.beta"], eps), p, num_heads)
    n2 = _ln(h, p["norm2.gamma"], p["norm2.beta"], eps)
    return h + np.maximum(n2 @ p["ffn.w_1"] + p["ffn.b_1"], 0.0) @ p["ffn.w_2"] + p["ffn.b_2"]
