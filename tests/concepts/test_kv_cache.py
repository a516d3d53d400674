"""The KV cache checked against full recomputation and PyTorch's SDPA, in float64.

References: ``F.scaled_dot_product_attention`` with an explicit bottom-right causal mask
and ``enable_gqa=True`` (attention over a cache), a functional forward pass written here
from ``F.layer_norm``, SDPA and ``F.gelu`` (the tiny decoder is a standard pre-LN model),
and greedy decoding that recomputes the whole prefix at every step (the cache changes
nothing). Published configurations (Llama-2-7B, Llama-2-70B, Mistral 7B) are checked
through the byte formulas. Each ``check_*`` takes the implementation under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import bank_tolerance, check_numeric_keys

from concepts.exercises._harness import run_checks
from concepts.exercises.kv_cache import CHECKS
from concepts.grouped_query_attention import gqa_param_count
from concepts.kv_cache import (
    KVCache,
    TinyConfig,
    TinyDecoder,
    causal_attention,
    causal_attention_torch,
    decode_step,
    generate_cached,
    generate_full,
    kv_cache_bytes,
    kv_cache_bytes_per_token,
    time_decode,
)

MiB, GiB = 2**20, 2**30


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one intra-op thread avoids oversubscribing a shared two-core machine."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


# ------------------------------------------------------------------ attention over a cache


def sdpa_bottom_right(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """SDPA where query i is position T_k - T_q + i (the decode-time causal mask)."""
    t_q, t_k = q.shape[2], k.shape[2]
    allowed = torch.ones(t_q, t_k, dtype=torch.bool).tril(diagonal=t_k - t_q)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, enable_gqa=True)


def check_attention_against_sdpa(attn_fn, *, numpy_io: bool, shape, scale: float = 1.0) -> None:
    """``attn_fn(q, k, v)`` equals SDPA with a bottom-right causal mask and grouped KV heads."""
    b, h, h_kv, t_q, t_k, d = shape
    gen = torch.Generator().manual_seed(sum(shape))
    q = scale * torch.randn(b, h, t_q, d, dtype=torch.float64, generator=gen)
    k, v = (torch.randn(b, h_kv, t_k, d, dtype=torch.float64, generator=gen) for _ in range(2))
    want = sdpa_bottom_right(q, k, v)
    got = attn_fn(q.numpy(), k.numpy(), v.numpy()) if numpy_io else attn_fn(q, k, v)
    got = torch.as_tensor(np.asarray(got))
    assert got.shape == want.shape
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


ATTN_SHAPES = [  # (B, h, h_kv, T_q, T_k, d)
    (1, 1, 1, 1, 1, 4),  # length 1, batch of one
    (2, 4, 4, 5, 5, 8),  # prefill, MHA
    (2, 4, 2, 1, 9, 8),  # one decode step, GQA
    (3, 8, 1, 3, 7, 16),  # a chunk of three over a cache, MQA
    (1, 6, 3, 12, 20, 32),
]


@pytest.mark.parametrize("shape", ATTN_SHAPES)
@pytest.mark.parametrize("numpy_io", [True, False])
def test_attention_matches_sdpa(shape, numpy_io):
    fn = causal_attention if numpy_io else causal_attention_torch
    check_attention_against_sdpa(fn, numpy_io=numpy_io, shape=shape)


@pytest.mark.parametrize("numpy_io", [True, False])
def test_attention_large_logits(numpy_io):
    fn = causal_attention if numpy_io else causal_attention_torch
    check_attention_against_sdpa(fn, numpy_io=numpy_io, shape=(2, 4, 2, 3, 6, 8), scale=1e4)


def test_hand_worked_decode_step():
    """One head, d = 1 (so the scale sqrt(d) is 1), keys k = [0, ln 3], values v = [4, 8].

    Prefill (T_q = T_k = 2): query 0 may see key 0 only, so its output is v_0 = 4. Query 1
    with q = 1 scores [1*0, 1*ln 3] = [0, ln 3]; softmax gives [1/(1+3), 3/(1+3)] = [1/4, 3/4],
    so its output is 4/4 + 3*8/4 = 1 + 6 = 7. A decode step (T_q = 1) of the same query over
    the cached keys is the last prefill row: 7.
    """
    k = np.array([0.0, math.log(3.0)]).reshape(1, 1, 2, 1)
    v = np.array([4.0, 8.0]).reshape(1, 1, 2, 1)
    q = np.array([5.0, 1.0]).reshape(1, 1, 2, 1)  # query 0's value is irrelevant: one key visible
    np.testing.assert_allclose(causal_attention(q, k, v).ravel(), [4.0, 7.0], rtol=1e-12)
    np.testing.assert_allclose(causal_attention(q[:, :, 1:], k, v).ravel(), [7.0], rtol=1e-12)
    tq, tk, tv = (torch.from_numpy(a) for a in (q, k, v))
    torch.testing.assert_close(causal_attention_torch(tq[:, :, 1:], tk, tv).ravel(), torch.tensor([7.0]).double())


def test_sdpa_is_causal_is_top_left_for_one_query():
    """The page's pitfall: SDPA's is_causal aligns top-left, so one query sees only key 0."""
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 2, t, 4, dtype=torch.float64, generator=gen) for t in (1, 5, 5))
    wrong = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(wrong, v[:, :, :1])
    torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v), causal_attention_torch(q, k, v))
    assert not torch.allclose(wrong, causal_attention_torch(q, k, v))


def test_lower_right_causal_bias_is_our_mask():
    """The page's fix: torch.nn.attention.bias.causal_lower_right is the decode-time mask."""
    from torch.nn.attention.bias import causal_lower_right

    gen = torch.Generator().manual_seed(1)
    q = torch.randn(2, 4, 3, 8, dtype=torch.float64, generator=gen)
    k, v = (torch.randn(2, 4, 7, 8, dtype=torch.float64, generator=gen) for _ in range(2))
    got = F.scaled_dot_product_attention(q, k, v, attn_mask=causal_lower_right(3, 7))
    torch.testing.assert_close(got, causal_attention_torch(q, k, v), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ the tiny decoder


def reference_forward(model: TinyDecoder, idx: torch.Tensor) -> torch.Tensor:
    """A pre-LN decoder written from F.layer_norm, SDPA(is_causal, enable_gqa) and F.gelu."""
    c = model.config
    B, T = idx.shape
    hd = c.d_model // c.num_heads
    x = model.wte.weight[idx] + model.wpe.weight[:T]
    for blk in model.blocks:
        a = F.layer_norm(x, (c.d_model,), blk.ln1.weight, blk.ln1.bias)
        q = (a @ blk.q.weight.T).view(B, T, c.num_heads, hd).transpose(1, 2)
        k, v = (a @ blk.kv.weight.T).split(c.num_kv_heads * hd, dim=-1)
        k, v = (t.view(B, T, c.num_kv_heads, hd).transpose(1, 2) for t in (k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        x = x + y.transpose(1, 2).reshape(B, T, c.d_model) @ blk.o.weight.T
        m = F.layer_norm(x, (c.d_model,), blk.ln2.weight, blk.ln2.bias)
        x = x + F.gelu(m @ blk.mlp[0].weight.T) @ blk.mlp[2].weight.T
    return F.layer_norm(x, (c.d_model,), model.ln_f.weight, model.ln_f.bias) @ model.head.weight.T


CONFIGS = {
    "mha": TinyConfig(),
    "gqa": TinyConfig(num_kv_heads=2),
    "mqa": TinyConfig(num_kv_heads=1),
    "deeper-gqa": TinyConfig(d_model=48, num_layers=3, num_heads=6, num_kv_heads=3),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_model_is_a_standard_pre_ln_decoder(name):
    model = TinyDecoder(CONFIGS[name], generator=torch.Generator().manual_seed(1))
    idx = torch.randint(32, (2, 11), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(model(idx), reference_forward(model, idx), rtol=1e-10, atol=1e-10)


def check_cached_matches_full(full_fn, cached_fn, model, prompt: torch.Tensor, new_tokens: int) -> None:
    """Cached greedy decoding gives the logits of full recomputation (to 1e-10) and its tokens."""
    tokens_full, logits_full = full_fn(model, prompt, new_tokens)
    tokens_cached, logits_cached = cached_fn(model, prompt, new_tokens)
    assert logits_full.shape == logits_cached.shape == (prompt.shape[0], new_tokens, model.config.vocab_size)
    assert torch.allclose(logits_cached, logits_full, rtol=0, atol=1e-10)
    assert torch.equal(tokens_cached, tokens_full)
    assert torch.equal(tokens_full[:, : prompt.shape[1]], prompt)


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize(("batch", "prompt_len"), [(1, 5), (3, 4), (1, 1), (2, 1)])
def test_cached_decoding_is_exact(name, batch, prompt_len):
    model = TinyDecoder(CONFIGS[name], generator=torch.Generator().manual_seed(2))
    prompt = torch.randint(32, (batch, prompt_len), generator=torch.Generator().manual_seed(batch + prompt_len))
    check_cached_matches_full(generate_full, generate_cached, model, prompt, 30)


def test_cached_decoding_is_exact_with_large_logits():
    model = TinyDecoder(CONFIGS["gqa"], generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        model.head.weight.mul_(100.0)  # logits in the hundreds: the softmax-free argmax must still agree
    prompt = torch.randint(32, (2, 3), generator=torch.Generator().manual_seed(0))
    check_cached_matches_full(generate_full, generate_cached, model, prompt, 30)


def test_cached_decoding_fills_the_context():
    model = TinyDecoder(TinyConfig(max_len=16), generator=torch.Generator().manual_seed(4))
    check_cached_matches_full(generate_full, generate_cached, model, torch.tensor([[3, 1, 4]]), 13)


def check_chunked_prefill(model, cache_factory, idx: torch.Tensor, chunks: list[int]) -> None:
    """Feeding idx through the cache in chunks gives every row of one full forward pass."""
    cache = cache_factory(model.config.num_layers)
    with torch.no_grad():
        full = model(idx)
        parts, start = [], 0
        for size in chunks:
            parts.append(model(idx[:, start : start + size], cache))
            start += size
    assert start == idx.shape[1] == len(cache)
    assert torch.allclose(torch.cat(parts, dim=1), full, rtol=0, atol=1e-10)


@pytest.mark.parametrize("chunks", [[1] * 9, [4, 1, 1, 3], [9], [2, 7]])
def test_chunked_prefill_equals_one_pass(chunks):
    model = TinyDecoder(CONFIGS["gqa"], generator=torch.Generator().manual_seed(5))
    idx = torch.randint(32, (2, 9), generator=torch.Generator().manual_seed(1))
    check_chunked_prefill(model, KVCache, idx, chunks)


def check_past_kv_never_change(model, cache_factory) -> None:
    """Causality: the keys and values of positions < t do not depend on tokens at >= t."""
    gen = torch.Generator().manual_seed(7)
    idx = torch.randint(32, (1, 10), generator=gen)
    other = idx.clone()
    other[:, 6:] = (idx[:, 6:] + 1) % 32  # change the last four tokens
    caches = [cache_factory(model.config.num_layers) for _ in range(2)]
    with torch.no_grad():
        model(idx, caches[0])
        model(other, caches[1])
    for a, b in zip(caches[0].keys + caches[0].values, caches[1].keys + caches[1].values, strict=True):
        assert torch.allclose(a[:, :, :6], b[:, :, :6], rtol=0, atol=1e-12)
        assert not torch.allclose(a[:, :, 6:], b[:, :, 6:])  # the changed positions did change


def test_past_keys_and_values_never_change():
    check_past_kv_never_change(TinyDecoder(CONFIGS["mqa"], generator=torch.Generator().manual_seed(6)), KVCache)


def test_cache_shapes_and_bytes_follow_the_formula():
    """The cache holds (B, h_kv, T, head_dim) per layer, and its bytes are the formula's."""
    c = TinyConfig(num_layers=3, num_kv_heads=2)
    model, cache = TinyDecoder(c), KVCache(c.num_layers)
    with torch.no_grad():
        model(torch.zeros(4, 7, dtype=torch.long), cache)
        model(torch.zeros(4, 1, dtype=torch.long), cache)
    head_dim = c.d_model // c.num_heads
    assert all(t.shape == (4, 2, 8, head_dim) for t in cache.keys + cache.values)
    assert len(cache) == 8
    assert cache.nbytes() == kv_cache_bytes(3, 2, head_dim, 8, 8, batch=4) == 2 * 3 * 2 * 8 * 8 * 8 * 4


def test_full_recompute_processes_quadratically_many_positions():
    """The cost argument of the page: without a cache, step t reprocesses all T0 + t positions."""
    model = TinyDecoder()
    seen: list[int] = []
    model.wte.register_forward_hook(lambda mod, inp, out: seen.append(inp[0].shape[1]))
    generate_full(model, torch.tensor([[1, 2, 3]]), 10)
    assert seen == [3 + t for t in range(10)] and sum(seen) == 75
    seen.clear()
    generate_cached(model, torch.tensor([[1, 2, 3]]), 10)
    assert seen == [3] + [1] * 9 and sum(seen) == 12


# ------------------------------------------------------------------ memory formulas


def check_bytes_per_token(fn) -> None:
    """2 (K and V) x layers x KV heads x head_dim x bytes, on published configurations."""
    assert fn(32, 32, 128, 2) == 524288 == MiB // 2  # Llama-2-7B, fp16: 0.5 MiB per token
    assert fn(80, 8, 128, 2) == 327680 == 320 * 2**10  # Llama-2-70B (GQA, 8 KV heads): 320 KiB
    assert fn(80, 64, 128, 2) == 8 * fn(80, 8, 128, 2) == 5 * MiB // 2  # the same model with MHA: 2.5 MiB
    assert fn(32, 8, 128, 2) == 128 * 2**10  # Mistral 7B (8 KV heads): 128 KiB
    assert fn(32, 32, 128, 2) == 4 * fn(32, 8, 128, 2)  # 32 query heads sharing 8 KV heads: 4x smaller
    assert fn(32, 32, 128, 1) * 2 == fn(32, 32, 128, 2)  # int8 halves it
    assert fn(1, 1, 1, 1) == 2


def test_bytes_per_token():
    check_bytes_per_token(kv_cache_bytes_per_token)


def check_total_bytes(fn) -> None:
    """Per-token bytes x seq_len x batch."""
    assert fn(32, 32, 128, 2, 4096) == 2 * GiB  # Llama-2-7B, fp16, full 4096-token context
    assert fn(32, 32, 128, 2, 4096, batch=8) == 16 * GiB
    assert fn(32, 8, 128, 2, 4096) == 512 * MiB  # Mistral 7B: its 4096-token window caps the cache here
    assert fn(80, 8, 128, 2, 4096) == 1280 * MiB  # Llama-2-70B, full context


def test_total_bytes():
    check_total_bytes(kv_cache_bytes)


# ------------------------------------------------------------------ timing helper


def test_time_decode_shapes_and_restores_threads():
    model = TinyDecoder(TinyConfig(max_len=12))
    for use_cache in (True, False):
        t = time_decode(model, 3, 9, use_cache=use_cache, batch=2, repeats=2, threads=2)
        assert t.shape == (9,) and np.isfinite(t).all() and (t > 0).all()
        assert torch.get_num_threads() == 1  # the fixture's setting is restored


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("shapes", "match"),
    [
        (((3,), (1, 1, 2, 3), (1, 1, 2, 3)), r"q must have shape \(B, h, T_q, d\); got \(3,\)"),
        (((1, 2, 1, 4), (1, 2, 3, 4), (1, 2, 2, 4)), r"k and v must share one shape"),
        (((1, 4, 1, 4), (1, 3, 3, 4), (1, 3, 3, 4)), r"h_kv dividing 4; got \(1, 3, 3, 4\)"),
        (((2, 2, 1, 4), (1, 2, 3, 4), (1, 2, 3, 4)), r"k must have shape \(2, h_kv, T_k, 4\)"),
        (((1, 2, 5, 4), (1, 2, 3, 4), (1, 2, 3, 4)), r"T_q=5, T_k=3"),
    ],
)
@pytest.mark.parametrize("numpy_io", [True, False])
def test_attention_rejects_bad_shapes(shapes, match, numpy_io):
    if numpy_io:
        args = [np.zeros(s) for s in shapes]
        fn = causal_attention
    else:
        args = [torch.zeros(s) for s in shapes]
        fn = causal_attention_torch
    with pytest.raises(ValueError, match=match):
        fn(*args)


def test_bytes_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"num_layers must be a positive integer; got 0"):
        kv_cache_bytes_per_token(0, 32, 128, 2)
    with pytest.raises(ValueError, match=r"bytes_per_elem must be positive; got 0"):
        kv_cache_bytes_per_token(32, 32, 128, 0)
    with pytest.raises(ValueError, match=r"bytes_per_elem must give whole bytes per token; got 0.3"):
        kv_cache_bytes_per_token(1, 1, 1, 0.3)
    with pytest.raises(ValueError, match=r"seq_len must be a positive integer; got -1"):
        kv_cache_bytes(32, 32, 128, 2, -1)
    with pytest.raises(ValueError, match=r"batch must be a positive integer; got 0"):
        kv_cache_bytes(32, 32, 128, 2, 10, batch=0)


def test_cache_rejects_bad_appends():
    cache = KVCache(2)
    k = torch.zeros(1, 2, 3, 4)
    with pytest.raises(ValueError, match=r"layer must be an int in \[0, 2\); got 2"):
        cache.append(2, k, k)
    with pytest.raises(ValueError, match=r"k and v must share a shape"):
        cache.append(0, k, k[:, :, :1])
    cache.append(0, k, k)
    with pytest.raises(
        ValueError, match=r"new k must have shape \(1, 2, 'T', 4\) to extend the cache; got \(1, 1, 1, 4\)"
    ):
        cache.append(0, k[:, :1, :1], k[:, :1, :1])
    with pytest.raises(ValueError, match=r"num_layers must be a positive integer; got 0"):
        KVCache(0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"d_model": 30}, r"need num_heads \| d_model and num_kv_heads \| num_heads; got d_model=30"),
        ({"num_kv_heads": 3}, r"num_kv_heads=3"),
        ({"max_len": 0}, r"max_len must be a positive integer; got 0"),
    ],
)
def test_config_rejects_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TinyConfig(**kwargs)


def test_exceeding_max_positions_raises():
    model = TinyDecoder(TinyConfig(max_len=8))
    with pytest.raises(ValueError, match=r"positions must be < max_len=8; got 0..8"):
        model(torch.zeros(1, 9, dtype=torch.long))
    cache = KVCache(model.config.num_layers)
    model(torch.zeros(1, 8, dtype=torch.long), cache)
    with pytest.raises(ValueError, match=r"positions must be < max_len=8; got 8..8"):
        model(torch.zeros(1, 1, dtype=torch.long), cache)
    for generate in (generate_full, generate_cached):
        with pytest.raises(ValueError, match=r"prompt length \+ new_tokens must be <= max_len=8; got 5 \+ 4"):
            generate(model, torch.zeros(1, 5, dtype=torch.long), 4)
    with pytest.raises(ValueError, match=r"got 6 \+ 3"):
        time_decode(model, 6, 3, use_cache=True)


def test_model_and_generate_reject_bad_input():
    model = TinyDecoder()
    with pytest.raises(ValueError, match=r"idx must have shape \(B, T\) with T >= 1; got \(4,\)"):
        model(torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"cache must have 2 layers; got 3"):
        model(torch.zeros(1, 2, dtype=torch.long), KVCache(3))
    with pytest.raises(ValueError, match=r"prompt must have shape \(B, T\) with T >= 1; got \(1, 0\)"):
        generate_cached(model, torch.zeros(1, 0, dtype=torch.long), 3)
    with pytest.raises(ValueError, match=r"new_tokens must be a positive integer; got 0"):
        generate_full(model, torch.zeros(1, 2, dtype=torch.long), 0)
    with pytest.raises(ValueError, match=r"repeats must be a positive integer; got 0"):
        time_decode(model, 2, 2, use_cache=False, repeats=0)


# ------------------------------------------------------------------ audit fixes: usable outputs, types, lazy torch


@pytest.mark.parametrize("generate", [generate_full, generate_cached])
def test_generated_tensors_can_be_fed_back_into_the_model(generate):
    """The outputs are ordinary tensors: they used to be inference tensors (made under
    ``torch.inference_mode``), which a model with gradients enabled refuses to take back."""
    model = TinyDecoder()
    tokens, logits = generate(model, torch.tensor([[1, 2]]), 3)
    assert not tokens.is_inference() and not logits.is_inference()
    loss = F.cross_entropy(model(tokens)[0, 1:-1], tokens[0, 2:])  # with autograd on
    loss.backward()
    assert model.head.weight.grad is not None
    more, _ = generate(model, tokens, 2)  # continue from the output
    torch.testing.assert_close(more[:, :5], tokens, rtol=0, atol=0)
    logits.requires_grad_()


def test_cache_append_refuses_numpy_arrays():
    cache = KVCache(1)
    with pytest.raises(TypeError, match=r"k must be a torch\.Tensor; got a NumPy array"):
        cache.append(0, np.zeros((1, 2, 3, 4)), torch.zeros(1, 2, 3, 4))
    with pytest.raises(TypeError, match=r"v must be a torch\.Tensor; got list"):
        cache.append(0, torch.zeros(1, 2, 3, 4), [0.0])
    with pytest.raises(TypeError, match=r"q must be a torch\.Tensor; got a NumPy array"):
        causal_attention_torch(np.zeros((1, 1, 1, 2)), torch.zeros(1, 1, 1, 2), torch.zeros(1, 1, 1, 2))
    with pytest.raises(TypeError, match=r"q must be a NumPy array or array-like; got a torch\.Tensor"):
        causal_attention(torch.zeros(1, 1, 1, 2), np.zeros((1, 1, 1, 2)), np.zeros((1, 1, 1, 2)))


def test_module_imports_without_torch():
    """``import concepts.kv_cache`` and the byte counts need no PyTorch; the model asks for the extra."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import concepts.kv_cache as m\n"
        "print(m.kv_cache_bytes_per_token(32, 32, 128, 2), m.TinyConfig().num_kv_heads)\n"
        "try:\n    m.TinyDecoder\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "524288 4",
        "this function needs PyTorch, which is not installed: pip install 'interview-concepts[torch]'",
    ]


@pytest.mark.parametrize(
    ("dtype", "atol", "rtol"),
    [(torch.float32, 1e-5, 1e-5), (torch.bfloat16, 3e-2, 3e-2), (torch.float16, 3e-3, 3e-3)],
    ids=str,
)
@pytest.mark.parametrize("shape", [(2, 4, 2, 1, 9, 8), (1, 6, 3, 5, 12, 16)])
def test_attention_torch_matches_sdpa_in_low_precision(dtype, atol, rtol, shape):
    """``causal_attention_torch`` keeps the input dtype and agrees with SDPA in that dtype."""
    b, h, h_kv, t_q, t_k, d = shape
    gen = torch.Generator().manual_seed(sum(shape))
    q = torch.randn(b, h, t_q, d, generator=gen).to(dtype)
    k, v = (torch.randn(b, h_kv, t_k, d, generator=gen).to(dtype) for _ in range(2))
    got = causal_attention_torch(q, k, v)
    assert got.dtype == dtype
    torch.testing.assert_close(got, sdpa_bottom_right(q, k, v), atol=atol, rtol=rtol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_cached_decoding_tracks_full_recomputation_in_low_precision(dtype):
    """The page's claim: in float32 the cached logits are within 1e-5 of the full recomputation's
    (logits of size about 2); in bfloat16 and float16 within the dtype's rounding."""
    model = TinyDecoder(TinyConfig(dtype=dtype, num_kv_heads=2))
    prompt = torch.tensor([[3, 1, 4, 1, 5]])
    with torch.no_grad():
        full = model(torch.cat([prompt, torch.tensor([[9]])], 1))[:, -1]
        cache = KVCache(model.config.num_layers)
        model(prompt, cache)
        cached = model(torch.tensor([[9]]), cache)[:, -1]
    assert 1 < full.abs().max() < 4  # "logits of size about 2"
    tol = {torch.float32: 1e-5, torch.bfloat16: 2**-7 * 4, torch.float16: 2**-10 * 4}[dtype]  # 1e-5, or 2 ulp at 2
    torch.testing.assert_close(cached, full, atol=tol, rtol=0)


def test_quantised_cache_bytes():
    """int8/fp8 halve the fp16 cache and int4 quarters it (scales and zero points not counted)."""
    fp16 = kv_cache_bytes_per_token(32, 32, 128, 2)
    assert kv_cache_bytes_per_token(32, 32, 128, 1) == fp16 // 2 == 262_144
    assert kv_cache_bytes_per_token(32, 32, 128, 0.5) == fp16 // 4 == 131_072
    assert kv_cache_bytes_per_token(32, 32, 128, 4) == 2 * fp16


def llama2_7b_param_count() -> int:
    """Llama-2-7B: vocab 32,000, d 4,096, 32 layers, SwiGLU width 11,008, RMSNorm, untied head."""
    d, vocab, d_ff, layers = 4096, 32_000, 11_008, 32
    per_layer = gqa_param_count(d, 32, 32) + 3 * d * d_ff + 2 * d  # attention, SwiGLU MLP, two RMSNorm gains
    return 2 * vocab * d + layers * per_layer + d  # embeddings, head, layers, final norm


def test_bank_numeric_answers_are_right():
    """Every numeric key of the bank, recomputed from the package's byte counts and a page simulation."""
    per_token = kv_cache_bytes_per_token(32, 32, 128, 2)  # Llama-2-7B, fp16
    weights_gib = 2 * llama2_7b_param_count() / GiB
    seq_gib = kv_cache_bytes(32, 32, 128, 2, 4096) / GiB
    blocks = -(-1000 // 16)
    computed = {
        "kv_cache.llama2-7b-bytes": per_token,
        "kv_cache.batch-context-gib": kv_cache_bytes(32, 32, 128, 2, 4096, batch=8) / GiB,
        "kv_cache.gqa-factor": kv_cache_bytes_per_token(1, 32, 128, 2) / kv_cache_bytes_per_token(1, 8, 128, 2),
        "kv_cache.decode-intensity": 2 * 1 / 2,  # 2 FLOPs per weight per sequence, batch 1, 2 bytes per weight
        "kv_cache.mistral-window": kv_cache_bytes(32, 8, 128, 2, 4096) / MiB,
        "kv_cache.int8-scales-bytes": kv_cache_bytes_per_token(32, 32, 128, 1) + 2 * 32 * 32 * 2,
        "kv_cache.max-batch": math.floor((80 - weights_gib) / seq_gib),
        "kv_cache.prefix-saving": 99 * kv_cache_bytes(32, 32, 128, 2, 2000) / GiB,
        "kv_cache.paged-waste": blocks * 16 - 1000,
    }
    assert llama2_7b_param_count() == 6_738_415_616  # the published exact count
    check_numeric_keys("kv_cache", computed, bank_tolerance)


# ------------------------------------------------------------------ exercises: the learner's checks on our code


@pytest.mark.parametrize(
    ("exercise", "impl"),
    [("kv_cache.bytes-per-token", kv_cache_bytes_per_token), ("kv_cache.decode-step", decode_step)],
)
def test_exercise_checks_pass_on_our_code(exercise, impl):
    results = run_checks(CHECKS[exercise], impl)
    assert [(r.name, r.message) for r in results if not r.passed] == []


def test_decode_step_rejects_bad_shapes():
    q, k = np.zeros((1, 2, 1, 4)), np.zeros((1, 1, 1, 4))
    with pytest.raises(ValueError, match=r"k_new must have shape \(1, 2, 'T_new', 4\) to extend the cache"):
        decode_step(q, k, k, np.zeros((1, 2, 3, 4)), np.zeros((1, 2, 3, 4)))
    with pytest.raises(ValueError, match=r"q must be \(B, h, T_new, d\) and k_new, v_new"):
        decode_step(np.zeros((1, 2, 2, 4)), k, k, np.zeros((1, 1, 3, 4)), np.zeros((1, 1, 3, 4)))
    with pytest.raises(TypeError, match=r"k_cache must be a NumPy array or array-like; got a torch\.Tensor"):
        decode_step(q, k, k, torch.zeros(1, 1, 3, 4), np.zeros((1, 1, 3, 4)))
