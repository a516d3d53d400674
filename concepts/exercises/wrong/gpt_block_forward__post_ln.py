"""Post-LN, as the original Transformer: LN(x + f(x)) normalises the stream itself, unlike GPT-2."""

from __future__ import annotations

import numpy as np

EXPECTED_FAILURE = "check_identity_with_zero_weights"


def _ln(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + 1e-5) * w + b


def _gelu(z: np.ndarray) -> np.ndarray:
    return 0.5 * z * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (z + 0.044715 * z**3)))


def _attn(h: np.ndarray, p: dict, heads: int) -> np.ndarray:
    T, d = h.shape
    q, k, v = np.split(h @ p["attn.c_attn.weight"] + p["attn.c_attn.bias"], 3, axis=-1)
    q, k, v = (a.reshape(T, heads, d // heads).transpose(1, 0, 2) for a in (q, k, v))
    s = q @ k.transpose(0, 2, 1) / np.sqrt(d // heads)
    s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    y = (w / w.sum(axis=-1, keepdims=True)) @ v
    return y.transpose(1, 0, 2).reshape(T, d) @ p["attn.c_proj.weight"] + p["attn.c_proj.bias"]


def _mlp(h: np.ndarray, p: dict) -> np.ndarray:
    return _gelu(h @ p["mlp.c_fc.weight"] + p["mlp.c_fc.bias"]) @ p["mlp.c_proj.weight"] + p["mlp.c_proj.bias"]


def gpt2_block(x: np.ndarray, params: dict[str, np.ndarray], num_heads: int) -> np.ndarray:
    x, p = np.asarray(x, dtype=np.float64), {n: np.asarray(a, dtype=np.float64) for n, a in params.items()}
    x = _ln(x + _attn(x, p, num_heads), p["ln_1.weight"], p["ln_1.bias"])
    return _ln(x + _mlp(x, p), p["ln_2.weight"], p["ln_2.bias"])
