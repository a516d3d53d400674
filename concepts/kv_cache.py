"""KV cache: keep every layer's past keys and values so a decoder feeds one new token per step.

Follows the incremental decoding of GPT-style decoders (the ``past_key_values`` of Hugging
Face and fairseq), with grouped key/value heads as in Ainslie et al. (2023, GQA), on a tiny
pre-LN decoder with learned positions and seeded random weights. Leaves out RoPE, paged
and sliding-window caches (the page explains them), quantised caches and fused kernels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = [
    "KVCache",
    "TinyConfig",
    "TinyDecoder",
    "causal_attention",
    "causal_attention_torch",
    "generate_cached",
    "generate_full",
    "kv_cache_bytes",
    "kv_cache_bytes_per_token",
    "time_decode",
]


def _check_positive(name: str, n: int) -> None:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n!r}")


def _check_qkv(q_shape: tuple, k_shape: tuple, v_shape: tuple) -> None:
    q_shape, k_shape, v_shape = tuple(q_shape), tuple(k_shape), tuple(v_shape)
    if len(q_shape) != 4:
        raise ValueError(f"q must have shape (B, h, T_q, d); got {q_shape}")
    if len(k_shape) != 4 or k_shape != v_shape:
        raise ValueError(f"k and v must share one shape (B, h_kv, T_k, d); got {k_shape} and {v_shape}")
    (b, h, t_q, d), (b_k, h_kv, t_k, d_k) = q_shape, k_shape
    if b_k != b or d_k != d or h_kv < 1 or h % h_kv:
        raise ValueError(f"k must have shape ({b}, h_kv, T_k, {d}) with h_kv dividing {h}; got {k_shape}")
    if not 1 <= t_q <= t_k:
        raise ValueError(f"q must hold the last 1 <= T_q <= T_k positions; got T_q={t_q}, T_k={t_k}")


def causal_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Causal attention of the last ``T_q`` positions of a sequence over all its ``T_k`` keys.

    Query ``i`` sits at position ``T_k - T_q + i`` and sees keys ``0 .. T_k - T_q + i``
    (the causal mask aligned bottom-right). ``T_q = T_k`` is a full forward pass (prefill);
    ``T_q = 1`` is one decode step over the cache. Key/value head ``j`` serves query heads
    ``j*g .. j*g + g - 1`` with ``g = h / h_kv`` (grouped-query attention).

    :param q: queries of shape ``(B, h, T_q, d)``.
    :param k: keys of shape ``(B, h_kv, T_k, d)``, ``h_kv`` dividing ``h``.
    :param v: values of the same shape as ``k``.
    :returns: array of shape ``(B, h, T_q, d)``.
    :raises ValueError: on wrong ranks, mismatched shapes or ``T_q > T_k``.

    >>> import numpy as np
    >>> q = np.zeros((1, 1, 2, 2))  # equal scores: each query averages what it may see
    >>> v = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> np.round(causal_attention(q, v, v), 4).tolist()
    [[[[1.0, 2.0], [2.0, 3.0]]]]
    """
    _check_qkv(q.shape, k.shape, v.shape)
    t_q, d = q.shape[2:]
    t_k, g = k.shape[2], q.shape[1] // k.shape[1]
    k, v = np.repeat(k, g, axis=1), np.repeat(v, g, axis=1)  # (B, h, T_k, d)
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(d)  # S = Q K^T / sqrt(d), (B, h, T_q, T_k)
    future = np.arange(t_k)[None, :] > (t_k - t_q + np.arange(t_q))[:, None]  # (T_q, T_k)
    scores = np.where(future, -np.inf, scores)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)  # softmax over the keys
    return w @ v  # (B, h, T_q, d)


def causal_attention_torch(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """PyTorch mirror of :func:`causal_attention`, same arguments and shapes.

    >>> import torch
    >>> q = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    >>> v = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=torch.float64)
    >>> causal_attention_torch(q, v, v).tolist()
    [[[[1.0, 2.0], [2.0, 3.0]]]]
    """
    _check_qkv(q.shape, k.shape, v.shape)
    t_q, d = q.shape[2:]
    t_k, g = k.shape[2], q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)  # (B, h, T_k, d)
    scores = q @ k.transpose(-1, -2) / d**0.5  # S = Q K^T / sqrt(d), (B, h, T_q, T_k)
    pos_q = torch.arange(t_k - t_q, t_k, device=q.device)
    future = torch.arange(t_k, device=q.device)[None, :] > pos_q[:, None]  # (T_q, T_k)
    w = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
    return w @ v  # (B, h, T_q, d)


def kv_cache_bytes_per_token(n_layers: int, n_kv_heads: int, head_dim: int, bytes_per_elem: int) -> int:
    """Bytes the cache grows by per token: one key and one value per layer and KV head.

    :param n_layers: number of decoder layers.
    :param n_kv_heads: key/value heads per layer (``h`` for MHA, ``h/g`` for GQA, 1 for MQA).
    :param head_dim: width of one head.
    :param bytes_per_elem: 2 for fp16/bf16, 1 for int8/fp8, 4 for fp32.
    :raises ValueError: when an argument is not a positive integer.

    >>> kv_cache_bytes_per_token(32, 32, 128, 2)  # Llama-2-7B in fp16
    524288
    >>> kv_cache_bytes_per_token(32, 32, 128, 2) / 2**20  # MiB
    0.5
    """
    for name, n in [("n_layers", n_layers), ("n_kv_heads", n_kv_heads), ("head_dim", head_dim)]:
        _check_positive(name, n)
    _check_positive("bytes_per_elem", bytes_per_elem)
    return 2 * n_layers * n_kv_heads * head_dim * bytes_per_elem  # 2 (K and V) x L x h_kv x d_head x bytes


def kv_cache_bytes(
    n_layers: int, n_kv_heads: int, head_dim: int, bytes_per_elem: int, seq_len: int, *, batch: int = 1
) -> int:
    """Bytes of the whole cache: :func:`kv_cache_bytes_per_token` x ``seq_len`` x ``batch``.

    >>> kv_cache_bytes(32, 32, 128, 2, 4096) / 2**30  # Llama-2-7B, fp16, its full 4096-token context
    2.0
    """
    _check_positive("seq_len", seq_len)
    _check_positive("batch", batch)
    return kv_cache_bytes_per_token(n_layers, n_kv_heads, head_dim, bytes_per_elem) * seq_len * batch


class KVCache:
    """Per-layer keys and values, each of shape ``(B, h_kv, T, head_dim)``, grown along ``T``.

    >>> import torch
    >>> cache = KVCache(n_layers=1)
    >>> k = torch.zeros(1, 2, 3, 4)  # three positions of a prompt
    >>> _ = cache.append(0, k, k)
    >>> k_all, v_all = cache.append(0, k[:, :, :1], k[:, :, :1])  # one decode step
    >>> len(cache), tuple(k_all.shape)
    (4, (1, 2, 4, 4))
    """

    def __init__(self, n_layers: int) -> None:
        _check_positive("n_layers", n_layers)
        self.keys: list[torch.Tensor | None] = [None] * n_layers
        self.values: list[torch.Tensor | None] = [None] * n_layers

    def append(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append ``k, v`` of shape ``(B, h_kv, T_new, head_dim)`` to ``layer``; return all of them.

        :returns: keys and values of shape ``(B, h_kv, T_past + T_new, head_dim)``.
        :raises ValueError: on a bad layer index or shapes that do not extend the cache.
        """
        if not 0 <= layer < len(self.keys):
            raise ValueError(f"layer must be in [0, {len(self.keys)}); got {layer}")
        if k.dim() != 4 or k.shape != v.shape:
            raise ValueError(f"k and v must share a shape (B, h_kv, T, d); got {tuple(k.shape)} and {tuple(v.shape)}")
        past_k, past_v = self.keys[layer], self.values[layer]
        if past_k is not None:
            if k.shape[:2] != past_k.shape[:2] or k.shape[3] != past_k.shape[3]:
                want = (*past_k.shape[:2], "T", past_k.shape[3])
                raise ValueError(f"new k must have shape {want} to extend the cache; got {tuple(k.shape)}")
            k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)  # (B, h_kv, T_past + T_new, d)
        self.keys[layer], self.values[layer] = k, v
        return k, v

    def __len__(self) -> int:
        """Cached positions (of layer 0, which the forward pass extends first)."""
        return 0 if self.keys[0] is None else self.keys[0].shape[2]

    def nbytes(self) -> int:
        """Memory held by all cached keys and values."""
        return sum(t.numel() * t.element_size() for t in self.keys + self.values if t is not None)


@dataclass(frozen=True)
class TinyConfig:
    """Sizes of :class:`TinyDecoder`; ``n_kv_heads`` picks MHA (= n_heads), GQA or MQA (1).

    >>> TinyConfig(n_kv_heads=2).d_model // TinyConfig().n_heads  # head_dim
    8
    """

    vocab_size: int = 32
    max_len: int = 64  # learned positions: nothing past max_len can be encoded
    d_model: int = 32
    n_layers: int = 2
    n_heads: int = 4
    n_kv_heads: int = 4
    dtype: torch.dtype = torch.float64  # float64 so cached and full decoding agree to 1e-10

    def __post_init__(self) -> None:
        for name in ["vocab_size", "max_len", "d_model", "n_layers", "n_heads", "n_kv_heads"]:
            _check_positive(name, getattr(self, name))
        if self.d_model % self.n_heads or self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"need n_heads | d_model and n_kv_heads | n_heads; got d_model={self.d_model}, "
                f"n_heads={self.n_heads}, n_kv_heads={self.n_kv_heads}"
            )


class _Block(nn.Module):
    def __init__(self, c: TinyConfig) -> None:
        super().__init__()
        self.h, self.h_kv, self.hd = c.n_heads, c.n_kv_heads, c.d_model // c.n_heads
        self.ln1, self.ln2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.q = nn.Linear(c.d_model, c.d_model, bias=False)
        self.kv = nn.Linear(c.d_model, 2 * self.h_kv * self.hd, bias=False)
        self.o = nn.Linear(c.d_model, c.d_model, bias=False)
        hidden = 4 * c.d_model
        self.mlp = nn.Sequential(
            nn.Linear(c.d_model, hidden, bias=False), nn.GELU(), nn.Linear(hidden, c.d_model, bias=False)
        )

    def forward(self, x: torch.Tensor, cache: KVCache | None, layer: int) -> torch.Tensor:
        B, T, C = x.shape
        a = self.ln1(x)
        q = self.q(a).view(B, T, self.h, self.hd).transpose(1, 2)  # (B, h, T, hd)
        k, v = self.kv(a).view(B, T, 2, self.h_kv, self.hd).permute(2, 0, 3, 1, 4)  # each (B, h_kv, T, hd)
        if cache is not None:
            k, v = cache.append(layer, k, v)  # (B, h_kv, T_past + T, hd): the past is read, never recomputed
        y = causal_attention_torch(q, k, v).transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        x = x + self.o(y)  # pre-LN: x + Attn(LN(x))
        return x + self.mlp(self.ln2(x))  # x + MLP(LN(x))


class TinyDecoder(nn.Module):
    """A decoder-only transformer with seeded random weights (no training), for decoding experiments.

    ``forward(idx, cache)`` maps token ids ``(B, T)`` to logits ``(B, T, vocab)``. With a
    cache, the ``T`` tokens sit at positions ``len(cache) ..`` and their keys and values are
    appended to it.

    >>> import torch
    >>> model = TinyDecoder(TinyConfig(), seed=0)
    >>> tuple(model(torch.tensor([[1, 2, 3]])).shape)
    (1, 3, 32)
    """

    def __init__(self, config: TinyConfig | None = None, *, seed: int = 0) -> None:
        super().__init__()
        c = self.config = config or TinyConfig()
        self.wte, self.wpe = nn.Embedding(c.vocab_size, c.d_model), nn.Embedding(c.max_len, c.d_model)
        self.blocks = nn.ModuleList(_Block(c) for _ in range(c.n_layers))
        self.ln_f = nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        self.to(c.dtype).eval()
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.parameters():
                if p.dim() == 2:  # weights ~ N(0, 1/fan_in); LayerNorm keeps its ones and zeros
                    p.normal_(0.0, p.shape[1] ** -0.5, generator=gen)

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """Logits ``(B, T, vocab)`` for token ids ``idx`` of shape ``(B, T)``."""
        if idx.dim() != 2 or idx.shape[1] < 1:
            raise ValueError(f"idx must have shape (B, T) with T >= 1; got {tuple(idx.shape)}")
        start = 0 if cache is None else len(cache)
        if cache is not None and len(cache.keys) != self.config.n_layers:
            raise ValueError(f"cache must have {self.config.n_layers} layers; got {len(cache.keys)}")
        if start + idx.shape[1] > self.config.max_len:
            raise ValueError(
                f"positions must be < max_len={self.config.max_len}; got {start}..{start + idx.shape[1] - 1}"
            )
        x = self.wte(idx) + self.wpe(torch.arange(start, start + idx.shape[1]))  # (B, T, C)
        for layer, block in enumerate(self.blocks):
            x = block(x, cache, layer)
        return self.head(self.ln_f(x))  # (B, T, vocab)


def _check_generate(model: TinyDecoder, prompt: torch.Tensor, new_tokens: int) -> None:
    if prompt.dim() != 2 or prompt.shape[1] < 1:
        raise ValueError(f"prompt must have shape (B, T) with T >= 1; got {tuple(prompt.shape)}")
    _check_positive("new_tokens", new_tokens)
    if prompt.shape[1] + new_tokens > model.config.max_len:
        raise ValueError(
            f"prompt length + new_tokens must be <= max_len={model.config.max_len}; "
            f"got {prompt.shape[1]} + {new_tokens}"
        )


def generate_full(model: TinyDecoder, prompt: torch.Tensor, new_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy decoding without a cache: every step reruns the model on the whole prefix.

    :param prompt: token ids ``(B, T0)``; ``T0 + new_tokens`` must fit in ``max_len``.
    :returns: tokens ``(B, T0 + new_tokens)`` and the logits of each step ``(B, new_tokens, vocab)``.

    >>> import torch
    >>> tokens, logits = generate_full(TinyDecoder(), torch.tensor([[1, 2]]), 3)
    >>> tuple(tokens.shape), tuple(logits.shape)
    ((1, 5), (1, 3, 32))
    """
    _check_generate(model, prompt, new_tokens)
    seq, steps = prompt, []
    with torch.inference_mode():
        for _ in range(new_tokens):
            logits = model(seq)[:, -1]  # (B, vocab): only the last row is new, the rest is recomputed
            steps.append(logits)
            seq = torch.cat([seq, logits.argmax(-1, keepdim=True)], dim=1)
    return seq, torch.stack(steps, dim=1)


def generate_cached(model: TinyDecoder, prompt: torch.Tensor, new_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy decoding with a :class:`KVCache`: one prefill pass, then one token per step.

    Same arguments and returns as :func:`generate_full`, and the same numbers.

    >>> import torch
    >>> model, prompt = TinyDecoder(), torch.tensor([[1, 2]])
    >>> full, cached = generate_full(model, prompt, 3), generate_cached(model, prompt, 3)
    >>> torch.equal(full[0], cached[0]), torch.allclose(full[1], cached[1], rtol=0, atol=1e-10)
    (True, True)
    """
    _check_generate(model, prompt, new_tokens)
    cache, seq, steps = KVCache(model.config.n_layers), prompt, []
    with torch.inference_mode():
        logits = model(prompt, cache)[:, -1]  # prefill: the whole prompt in one pass fills the cache
        for step in range(new_tokens):
            steps.append(logits)
            nxt = logits.argmax(-1, keepdim=True)  # (B, 1)
            seq = torch.cat([seq, nxt], dim=1)
            if step + 1 < new_tokens:
                logits = model(nxt, cache)[:, -1]  # decode: one token in, attends to every cached position
    return seq, torch.stack(steps, dim=1)


def time_decode(
    model: TinyDecoder,
    prompt_len: int,
    new_tokens: int,
    *,
    use_cache: bool,
    batch: int = 1,
    repeats: int = 1,
    seed: int = 0,
    threads: int = 1,
) -> np.ndarray:
    """Wall-clock seconds of each greedy decode step, with or without the cache.

    After an untimed prefill of a random prompt, step ``i`` produces the next token of a
    sequence of ``prompt_len + 1 + i`` tokens: by one forward pass over one token (cache) or
    over all of them (no cache). Each entry is the fastest of ``repeats`` runs, timed with
    ``threads`` intra-op threads (restored afterwards): one thread keeps the timings steady
    on a shared machine.

    :returns: array of shape ``(new_tokens,)``.

    >>> t = time_decode(TinyDecoder(), 4, 3, use_cache=True)
    >>> t.shape, bool((t > 0).all())
    ((3,), True)
    """
    _check_positive("prompt_len", prompt_len)
    _check_positive("batch", batch)
    _check_positive("repeats", repeats)
    _check_positive("threads", threads)
    prompt = torch.randint(model.config.vocab_size, (batch, prompt_len), generator=torch.Generator().manual_seed(seed))
    _check_generate(model, prompt, new_tokens)
    best, saved_threads = np.full(new_tokens, np.inf), torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            for _ in range(repeats):
                cache = KVCache(model.config.n_layers) if use_cache else None
                seq = prompt
                nxt = model(prompt, cache)[:, -1].argmax(-1, keepdim=True)
                for i in range(new_tokens):
                    seq = torch.cat([seq, nxt], dim=1)  # (B, prompt_len + 1 + i)
                    start = time.perf_counter()
                    logits = model(nxt, cache) if use_cache else model(seq)
                    nxt = logits[:, -1].argmax(-1, keepdim=True)
                    best[i] = min(best[i], time.perf_counter() - start)
    finally:
        torch.set_num_threads(saved_threads)
    return best
