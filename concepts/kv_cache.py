"""KV cache: keep every layer's past keys and values so a decoder feeds one new token per step.

Follows the incremental decoding of GPT-style decoders (the ``past_key_values`` of Hugging
Face and fairseq), with grouped key/value heads as in Ainslie et al. (2023, GQA), on a tiny
pre-LN decoder with learned positions and seeded random weights. Leaves out RoPE, paged
and sliding-window caches, prefix caching and continuous batching (the page explains them),
quantised cache kernels (only their byte count is here) and fused kernels. PyTorch is
optional: the ``nn.Module`` ``TinyDecoder`` is built on first access.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive, require_positive_int, require_tensor, require_torch
from concepts.masking import causal_mask

if TYPE_CHECKING:
    import torch

__all__ = [  # and TinyDecoder, an nn.Module built lazily by the module's __getattr__
    "KVCache",
    "TinyConfig",
    "causal_attention",
    "causal_attention_torch",
    "decode_step",
    "generate_cached",
    "generate_full",
    "kv_cache_bytes",
    "kv_cache_bytes_per_token",
    "time_decode",
]


def _check_positive(name: str, n: int) -> None:
    require_positive_int(n, name)


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


def causal_attention(q: ArrayLike, k: ArrayLike, v: ArrayLike) -> np.ndarray:
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
    q, k, v = as_array(q, "q"), as_array(k, "k"), as_array(v, "v")
    _check_qkv(q.shape, k.shape, v.shape)
    t_q, d = q.shape[2:]
    t_k, g = k.shape[2], q.shape[1] // k.shape[1]
    k, v = np.repeat(k, g, axis=1), np.repeat(v, g, axis=1)  # (B, h, T_k, d)
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(d)  # S = Q K^T / sqrt(d), (B, h, T_q, T_k)
    scores = np.where(causal_mask(t_q, t_k, align="bottom-right"), scores, -np.inf)  # query i is position T_k-T_q+i
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)  # softmax over the keys
    return w @ v  # (B, h, T_q, d)


def decode_step(
    q: ArrayLike, k_new: ArrayLike, v_new: ArrayLike, k_cache: ArrayLike, v_cache: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One attention step over a cache: append the new keys and values, then attend the new queries.

    The new tokens sit at positions ``T_past .. T_past + T_new - 1``; each sees every cached
    position and the new ones up to itself (:func:`causal_attention`). ``T_new = 1`` is a
    decode step; an empty cache (``T_past = 0``) is a prefill.

    :param q: the new tokens' queries, shape ``(B, h, T_new, d)``.
    :param k_new: their keys, shape ``(B, h_kv, T_new, d)``; ``v_new`` likewise.
    :param k_cache: the cached keys, shape ``(B, h_kv, T_past, d)``; ``v_cache`` likewise.
    :returns: ``(output (B, h, T_new, d), keys (B, h_kv, T_past + T_new, d), values)``.
    :raises ValueError: when the new keys do not extend the cache or do not match ``q``.

    >>> import numpy as np
    >>> k_cache = v_cache = np.array([[[[1.0], [3.0]]]])  # 2 cached positions, d = 1
    >>> out, k, v = decode_step(np.zeros((1, 1, 1, 1)), [[[[5.0]]]], [[[[5.0]]]], k_cache, v_cache)
    >>> out.tolist(), k.shape  # equal scores: the mean of 1, 3 and 5
    ([[[[3.0]]]], (1, 1, 3, 1))
    """
    q, k_new, v_new = as_array(q, "q"), as_array(k_new, "k_new"), as_array(v_new, "v_new")
    k_cache, v_cache = as_array(k_cache, "k_cache"), as_array(v_cache, "v_cache")
    if k_cache.ndim != 4 or k_cache.shape != v_cache.shape:
        raise ValueError(
            f"k_cache and v_cache must share a shape (B, h_kv, T_past, d); got {k_cache.shape}, {v_cache.shape}"
        )
    if q.ndim != 4 or k_new.ndim != 4 or k_new.shape != v_new.shape or k_new.shape[2] != q.shape[2]:
        raise ValueError(
            f"q must be (B, h, T_new, d) and k_new, v_new (B, h_kv, T_new, d); "
            f"got {q.shape}, {k_new.shape}, {v_new.shape}"
        )
    if k_new.shape[:2] + k_new.shape[3:] != k_cache.shape[:2] + k_cache.shape[3:]:
        want = (*k_cache.shape[:2], "T_new", k_cache.shape[3])
        raise ValueError(f"k_new must have shape {want} to extend the cache; got {k_new.shape}")
    k_all = np.concatenate([k_cache, k_new], axis=2)  # (B, h_kv, T_past + T_new, d)
    v_all = np.concatenate([v_cache, v_new], axis=2)
    return causal_attention(q, k_all, v_all), k_all, v_all  # the new rows of a full causal pass


def causal_attention_torch(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """PyTorch mirror of :func:`causal_attention`, same arguments and shapes; keeps the dtype of ``q``.

    >>> import torch
    >>> q = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    >>> v = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=torch.float64)
    >>> causal_attention_torch(q, v, v).tolist()
    [[[[1.0, 2.0], [2.0, 3.0]]]]
    """
    torch = require_torch()
    q, k, v = require_tensor(q, "q"), require_tensor(k, "k"), require_tensor(v, "v")
    _check_qkv(q.shape, k.shape, v.shape)
    t_q, d = q.shape[2:]
    t_k, g = k.shape[2], q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)  # (B, h, T_k, d)
    scores = q @ k.transpose(-1, -2) / d**0.5  # S = Q K^T / sqrt(d), (B, h, T_q, T_k)
    allowed = torch.from_numpy(causal_mask(t_q, t_k, align="bottom-right")).to(q.device)  # (T_q, T_k)
    w = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1)
    return w @ v  # (B, h, T_q, d)


def kv_cache_bytes_per_token(num_layers: int, num_kv_heads: int, head_dim: int, bytes_per_elem: float) -> int:
    """Bytes the cache grows by per token: one key and one value per layer and KV head.

    :param num_layers: number of decoder layers.
    :param num_kv_heads: key/value heads per layer (``h`` for MHA, ``g`` for GQA, 1 for MQA).
    :param head_dim: width of one head.
    :param bytes_per_elem: 4 for fp32, 2 for fp16/bf16, 1 for int8/fp8, 0.5 for int4 (the
        per-group scales of a quantised cache are extra: see the page).
    :raises ValueError: for a size that is not a positive integer, a non-positive
        ``bytes_per_elem``, or a total that is not a whole number of bytes.

    >>> kv_cache_bytes_per_token(32, 32, 128, 2)  # Llama-2-7B in fp16
    524288
    >>> kv_cache_bytes_per_token(32, 32, 128, 2) / 2**20  # MiB
    0.5
    >>> kv_cache_bytes_per_token(32, 32, 128, 1)  # the same cache in int8 or fp8: half
    262144
    """
    for name, n in [("num_layers", num_layers), ("num_kv_heads", num_kv_heads), ("head_dim", head_dim)]:
        _check_positive(name, n)
    total = 2 * num_layers * num_kv_heads * head_dim * require_positive(bytes_per_elem, "bytes_per_elem")
    if total != int(total):  # 2 (K and V) x L x h_kv x d_head x bytes
        raise ValueError(f"bytes_per_elem must give whole bytes per token; got {bytes_per_elem} -> {total} bytes")
    return int(total)


def kv_cache_bytes(
    num_layers: int, num_kv_heads: int, head_dim: int, bytes_per_elem: float, seq_len: int, *, batch: int = 1
) -> int:
    """Bytes of the whole cache: :func:`kv_cache_bytes_per_token` x ``seq_len`` x ``batch``.

    >>> kv_cache_bytes(32, 32, 128, 2, 4096) / 2**30  # Llama-2-7B, fp16, its full 4096-token context
    2.0
    """
    _check_positive("seq_len", seq_len)
    _check_positive("batch", batch)
    return kv_cache_bytes_per_token(num_layers, num_kv_heads, head_dim, bytes_per_elem) * seq_len * batch


class KVCache:
    """Per-layer keys and values, each a ``torch.Tensor`` of shape ``(B, h_kv, T, head_dim)``, grown along ``T``.

    >>> import torch
    >>> cache = KVCache(num_layers=1)
    >>> k = torch.zeros(1, 2, 3, 4)  # three positions of a prompt
    >>> _ = cache.append(0, k, k)
    >>> k_all, v_all = cache.append(0, k[:, :, :1], k[:, :, :1])  # one decode step
    >>> len(cache), tuple(k_all.shape)
    (4, (1, 2, 4, 4))
    """

    def __init__(self, num_layers: int) -> None:
        _check_positive("num_layers", num_layers)
        self.keys: list[torch.Tensor | None] = [None] * num_layers
        self.values: list[torch.Tensor | None] = [None] * num_layers

    def append(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append ``k, v`` of shape ``(B, h_kv, T_new, head_dim)`` to ``layer``; return all of them.

        :returns: keys and values of shape ``(B, h_kv, T_past + T_new, head_dim)``.
        :raises TypeError: when ``k`` or ``v`` is not a ``torch.Tensor`` (a NumPy array, say).
        :raises ValueError: on a bad layer index or shapes that do not extend the cache.
        """
        torch = require_torch()
        k, v = require_tensor(k, "k"), require_tensor(v, "v")
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(self.keys):
            raise ValueError(f"layer must be an int in [0, {len(self.keys)}); got {layer!r}")
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
    """Sizes of ``TinyDecoder``; ``num_kv_heads`` picks MHA (= num_heads), GQA or MQA (1).

    ``dtype`` is a ``torch.dtype`` or its name (``"float64"``, ``"float32"``, ...).

    >>> TinyConfig(num_kv_heads=2).d_model // TinyConfig().num_heads  # head_dim
    8
    """

    vocab_size: int = 32
    max_len: int = 64  # learned positions: nothing past max_len can be encoded
    d_model: int = 32
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 4
    dtype: Any = "float64"  # float64 so cached and full decoding agree to 1e-10

    def __post_init__(self) -> None:
        for name in ["vocab_size", "max_len", "d_model", "num_layers", "num_heads", "num_kv_heads"]:
            _check_positive(name, getattr(self, name))
        if self.d_model % self.num_heads or self.num_heads % self.num_kv_heads:
            raise ValueError(
                f"need num_heads | d_model and num_kv_heads | num_heads; got d_model={self.d_model}, "
                f"num_heads={self.num_heads}, num_kv_heads={self.num_kv_heads}"
            )

    def torch_dtype(self) -> torch.dtype:
        """``dtype`` as a ``torch.dtype``."""
        torch = require_torch()
        dtype = getattr(torch, self.dtype, None) if isinstance(self.dtype, str) else self.dtype
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise ValueError(f"dtype must be a floating torch.dtype or its name; got {self.dtype!r}")
        return dtype


def __getattr__(name: str) -> Any:
    """Build the ``nn.Module`` classes on first access, so importing this module needs no PyTorch."""
    if name == "TinyDecoder":
        from concepts._tiny_decoder import model_classes

        return model_classes()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check_generate(model: Any, prompt: torch.Tensor, new_tokens: int) -> None:
    if require_tensor(prompt, "prompt").dim() != 2 or prompt.shape[1] < 1:
        raise ValueError(f"prompt must have shape (B, T) with T >= 1; got {tuple(prompt.shape)}")
    _check_positive("new_tokens", new_tokens)
    if prompt.shape[1] + new_tokens > model.config.max_len:
        raise ValueError(
            f"prompt length + new_tokens must be <= max_len={model.config.max_len}; "
            f"got {prompt.shape[1]} + {new_tokens}"
        )


def generate_full(model: Any, prompt: torch.Tensor, new_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy decoding without a cache: every step reruns the model on the whole prefix.

    Runs under ``torch.no_grad()``, not ``inference_mode()``: the returned tensors are
    ordinary ones that can be fed back into the model.

    :param model: a ``TinyDecoder``.
    :param prompt: token ids ``(B, T0)``; ``T0 + new_tokens`` must fit in ``max_len``.
    :returns: tokens ``(B, T0 + new_tokens)`` and the logits of each step ``(B, new_tokens, vocab)``.

    >>> import torch
    >>> from concepts.kv_cache import TinyDecoder
    >>> tokens, logits = generate_full(TinyDecoder(), torch.tensor([[1, 2]]), 3)
    >>> tuple(tokens.shape), tuple(logits.shape)
    ((1, 5), (1, 3, 32))
    """
    torch = require_torch()
    _check_generate(model, prompt, new_tokens)
    seq, steps = prompt, []
    with torch.no_grad():
        for _ in range(new_tokens):
            logits = model(seq)[:, -1]  # (B, vocab): only the last row is new, the rest is recomputed
            steps.append(logits)
            seq = torch.cat([seq, logits.argmax(-1, keepdim=True)], dim=1)
    return seq, torch.stack(steps, dim=1)


def generate_cached(model: Any, prompt: torch.Tensor, new_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy decoding with a :class:`KVCache`: one prefill pass, then one token per step.

    Same arguments and returns as :func:`generate_full`, and the same numbers.

    >>> import torch
    >>> from concepts.kv_cache import TinyDecoder
    >>> model, prompt = TinyDecoder(), torch.tensor([[1, 2]])
    >>> full, cached = generate_full(model, prompt, 3), generate_cached(model, prompt, 3)
    >>> torch.equal(full[0], cached[0]), torch.allclose(full[1], cached[1], rtol=0, atol=1e-10)
    (True, True)
    """
    torch = require_torch()
    _check_generate(model, prompt, new_tokens)
    cache, seq, steps = KVCache(model.config.num_layers), prompt, []
    with torch.no_grad():
        logits = model(prompt, cache)[:, -1]  # prefill: the whole prompt in one pass fills the cache
        for step in range(new_tokens):
            steps.append(logits)
            nxt = logits.argmax(-1, keepdim=True)  # (B, 1)
            seq = torch.cat([seq, nxt], dim=1)
            if step + 1 < new_tokens:
                logits = model(nxt, cache)[:, -1]  # decode: one token in, attends to every cached position
    return seq, torch.stack(steps, dim=1)


def time_decode(
    model: Any,
    prompt_len: int,
    new_tokens: int,
    *,
    use_cache: bool,
    batch: int = 1,
    repeats: int = 1,
    generator: torch.Generator | None = None,
    threads: int = 1,
) -> np.ndarray:
    """Wall-clock seconds of each greedy decode step, with or without the cache.

    After an untimed prefill of a random prompt, step ``i`` produces the next token of a
    sequence of ``prompt_len + 1 + i`` tokens: by one forward pass over one token (cache) or
    over all of them (no cache). Each entry is the fastest of ``repeats`` runs, timed with
    ``threads`` intra-op threads (restored afterwards): one thread keeps the timings steady
    on a shared machine. ``generator`` draws the prompt (seed 0 when ``None``).

    :returns: array of shape ``(new_tokens,)``.

    >>> from concepts.kv_cache import TinyDecoder
    >>> t = time_decode(TinyDecoder(), 4, 3, use_cache=True)
    >>> t.shape, bool((t > 0).all())
    ((3,), True)
    """
    torch = require_torch()
    _check_positive("prompt_len", prompt_len)
    _check_positive("batch", batch)
    _check_positive("repeats", repeats)
    _check_positive("threads", threads)
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    prompt = torch.randint(model.config.vocab_size, (batch, prompt_len), generator=gen)  # (batch, prompt_len)
    _check_generate(model, prompt, new_tokens)
    best, saved_threads = np.full(new_tokens, np.inf), torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():  # timings only: nothing computed here is returned
            for _ in range(repeats):
                cache = KVCache(model.config.num_layers) if use_cache else None
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
