"""Speed benchmarks: ``tox -e bench`` prints one table of ratios, all measured in one run.

Not part of plain ``tox``: timings say nothing about correctness, and a loaded machine
would make a timed test flaky. Correctness lives in ``tests/``; here we only measure.

- BPE training on about 1 MB of text (this Python's own standard-library sources) with
  2,000 merges: the package's incremental trainer against a naive trainer, defined below,
  that recounts every pair after every merge (both must learn identical merges), and
  against Hugging Face ``tokenizers``' Rust ``BpeTrainer`` behind its byte-level
  pre-tokenizer, on the same text and number of merges. The second ratio is printed, not
  asserted: the target is our time at most 1.0x the Rust trainer's.
- KV-cache decoding against full recomputation, generating 256, 512 and 1024 tokens with a
  small decoder.
- Multi-head attention in NumPy, batched over heads, against the per-head loop, and
  against PyTorch's ``scaled_dot_product_attention``, at a small size (where the loop's
  Python overhead shows) and a large one (where both do the same arithmetic).
- Speculative decoding (issue 11): a 12-layer ``TinyDecoder`` drafted by its own first
  block (``concepts.speculative_decoding``), sampled and greedy, against plain decoding; the
  measured acceptance rate and tokens per target call are printed beside the formula's
  prediction.
- Flash attention: peak memory (``tracemalloc``) and time of the tiled NumPy forward against
  naive attention at N = 1024, 2048 and 4096 (d = 64), in a table of its own; the target is
  a tiled peak at most 1/10 of the naive one at N = 4096.

Usage: ``python bench/run.py [--quick]`` (``--quick`` shrinks every size, for a smoke run).
"""

from __future__ import annotations

import argparse
import platform
import sys
import sysconfig
import time
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from concepts import kv_cache, tokenization  # noqa: E402
from concepts import multi_head_attention as mha  # noqa: E402
from concepts import speculative_decoding as spec  # noqa: E402
from concepts.attention import scaled_dot_product_attention  # noqa: E402
from concepts.flash_attention import flash_attention, peak_memory_bytes  # noqa: E402

Row = tuple[str, str, float, float, str]  # name, case, ours (s), baseline (s), target


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs, in seconds: the least disturbed by other work."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def corpus(n_chars: int) -> str:
    """About ``n_chars`` of real text: this interpreter's standard-library sources, in a fixed order."""
    parts, size = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        parts.append(text)
        size += len(text)
        if size >= n_chars:
            break
    return "".join(parts)[:n_chars]


def naive_train_bpe(text: str, num_merges: int) -> tuple[list[tuple[tuple[int, int], int]], int]:
    """The baseline: the same rules as ``train_bpe``, but every pair recounted after every merge.

    It already counts over unique chunks with their frequencies, as the package does, so
    the measured ratio is the gain of incremental counting alone. Returns the merges and
    how many of them had a tie for the top count (where the tie-breaking rule decides).
    """
    chunks = Counter(tokenization.pretokenize(text))
    words = [list(c.encode("utf-8")) for c in chunks]
    freqs = list(chunks.values())
    vocab = {i: bytes([i]) for i in range(256)}
    ids = {b: i for i, b in vocab.items()}
    merges, ties = [], 0
    for _ in range(num_merges):
        counts: Counter = Counter()
        for word, freq in zip(words, freqs, strict=True):
            for pair in pairwise(word):
                counts[pair] += freq
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))  # most frequent, then smallest ids
        ties += sum(n == counts[pair] for n in counts.values()) > 1
        new_bytes = vocab[pair[0]] + vocab[pair[1]]
        new_id = ids.setdefault(new_bytes, len(vocab))
        vocab[new_id] = new_bytes
        merges.append((pair, new_id))
        words = [_merge(word, pair, new_id) for word in words]
    return merges, ties


def _merge(word: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def rust_train_bpe(text: str, num_merges: int) -> int:
    """Hugging Face ``tokenizers``' BpeTrainer, byte-level like ours: returns the merges learned.

    The 256-character byte alphabet is given up front, so ``vocab_size = 256 + num_merges``
    asks for exactly ``num_merges`` merges; ``min_frequency=0`` lets every pair compete.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(
        vocab_size=256 + num_merges,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=0,
        show_progress=False,
    )
    tokenizer.train_from_iterator([text], trainer=trainer)
    return tokenizer.get_vocab_size() - 256


def bench_bpe(n_chars: int, merges: int, repeats: int) -> list[Row]:
    text = corpus(n_chars)
    print(f"  BPE: {len(text):,} characters, {merges:,} merges", file=sys.stderr)
    ours = tokenization.train_bpe(text, merges).merges
    start = time.perf_counter()
    naive, ties = naive_train_bpe(text, merges)
    t_naive = time.perf_counter() - start
    if ours != naive:
        raise SystemExit("bench: the incremental and naive trainers learned different merges")
    if rust_train_bpe(text, merges) != merges:
        raise SystemExit("bench: tokenizers' BpeTrainer did not learn the requested number of merges")
    # Interleaved, best of each: a burst of load from other work hits both trainers alike.
    # CPU time (all threads of the process) is printed too: on a shared machine the Rust
    # trainer's threads get a larger share of the cores than our one thread does.
    t_ours, t_rust, cpu_ours, cpu_rust = [], [], [], []
    for _ in range(repeats):
        for fn, wall, cpu in [
            (lambda: tokenization.train_bpe(text, merges), t_ours, cpu_ours),
            (lambda: rust_train_bpe(text, merges), t_rust, cpu_rust),
        ]:
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    label = f"{len(text) / 1e6:.1f} MB, {merges:,} merges"
    print(
        f"  BPE: ours / tokenizers = {min(t_ours) / min(t_rust):.2f} in wall time, "
        f"{min(cpu_ours) / min(cpu_rust):.2f} in CPU time (target <= 1.0)\n"
        f"  BPE wall times: ours {', '.join(seconds(t) for t in t_ours)}; "
        f"tokenizers {', '.join(seconds(t) for t in t_rust)}\n"
        f"  BPE: {ties:,} of {len(naive):,} merges had a tie for the top count",
        file=sys.stderr,
    )
    return [
        ("BPE training: incremental vs recount", label, min(t_ours), t_naive, ">= 20x"),
        ("BPE training: ours vs tokenizers Rust", label, min(t_ours), min(t_rust), ">= 1.0x"),
    ]


def bench_kv(lengths: list[int], repeats: int) -> list[Row]:
    config = kv_cache.TinyConfig(
        vocab_size=256,
        max_len=max(lengths),
        d_model=128,
        num_layers=4,
        num_heads=8,
        num_kv_heads=8,
        dtype=torch.float32,
    )
    torch.manual_seed(0)
    model = kv_cache.TinyDecoder(config).eval()
    rows = []
    for length in lengths:
        prompt = 16
        print(f"  KV cache: {length} tokens", file=sys.stderr)
        steps = length - prompt
        cached = sum(kv_cache.time_decode(model, prompt, steps, use_cache=True, repeats=repeats))
        full = sum(kv_cache.time_decode(model, prompt, steps, use_cache=False, repeats=repeats))
        target = "> 5x" if length == max(lengths) else "grows"
        rows.append(("KV-cache decode vs recompute", f"{length} tokens, d=128, 4 layers", cached, full, target))
    return rows


def bench_mha(batch: int, seq: int, d_model: int, heads: int, repeats: int) -> list[Row]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, seq, d_model)).astype(np.float32)
    w = {k: (v.astype(np.float32) if k != "biases" else None) for k, v in mha.init_mha_weights(d_model).items()}
    w["biases"] = None
    print(f"  MHA: batch {batch}, seq {seq}, d_model {d_model}, {heads} heads", file=sys.stderr)

    def batched() -> object:
        return mha.multi_head_attention(x, x, num_heads=heads, **w)

    def loop() -> object:
        return mha.multi_head_attention_loop(x, x, num_heads=heads, **w)

    xt = torch.from_numpy(x)
    wt = {k: torch.from_numpy(v) for k, v in w.items() if v is not None}

    def sdpa() -> object:
        with torch.inference_mode():
            return mha.multi_head_attention_sdpa_torch(xt, xt, num_heads=heads, **wt)

    batched()  # warm-up
    t_batched = best_of(batched, repeats)
    t_loop = best_of(loop, repeats)
    t_sdpa = best_of(sdpa, repeats)
    case = f"B={batch}, T={seq}, d={d_model}, h={heads}"
    return [
        ("MHA NumPy: batched vs per-head loop", case, t_batched, t_loop, "report"),
        ("MHA: torch SDPA vs NumPy batched", case, t_sdpa, t_batched, "report"),
    ]


# ---------------------------------------------------------------- flash attention: memory, then time


def bench_flash(lengths: list[int], repeats: int, head_dim: int = 64) -> list[tuple[int, int, int, float, float]]:
    """Peak memory (tracemalloc) and best time of the tiled NumPy forward against the naive one.

    One head, float64, tiles of 64 x 64. Returns ``(N, naive bytes, tiled bytes, naive s, tiled s)``
    per length; timing runs without tracemalloc, which slows allocation.
    """
    rows = []
    for n in lengths:
        print(f"  flash attention: N = {n}, d = {head_dim}", file=sys.stderr)
        q, k, v = (np.random.default_rng(i).standard_normal((n, head_dim)) for i in range(3))
        naive_bytes = peak_memory_bytes(scaled_dot_product_attention, q, k, v)
        tiled_bytes = peak_memory_bytes(flash_attention, q, k, v)
        t_naive = best_of(lambda: scaled_dot_product_attention(q, k, v), repeats)  # noqa: B023 - called at once
        t_tiled = best_of(lambda: flash_attention(q, k, v), repeats)  # noqa: B023
        rows.append((n, naive_bytes, tiled_bytes, t_naive, t_tiled))
    return rows


def flash_table(rows: list[tuple[int, int, int, float, float]], head_dim: int = 64) -> str:
    """The flash rows as a Markdown table: peak memory, its ratio (target <= 0.1 at the largest N), time."""
    lines = [
        "| flash vs naive (NumPy, float64) | naive peak | tiled peak | tiled / naive | naive time | tiled time |",
        "|---|---|---|---|---|---|",
    ]
    for n, naive_bytes, tiled_bytes, t_naive, t_tiled in rows:
        lines.append(
            f"| N={n}, d={head_dim}, tiles 64x64 | {naive_bytes / 2**20:.1f} MiB | {tiled_bytes / 2**20:.2f} MiB "
            f"| {tiled_bytes / naive_bytes:.4f} | {seconds(t_naive)} | {seconds(t_tiled)} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- speculative decoding (issue 11)


def bench_speculative(new_tokens: int, g: int, repeats: int) -> tuple[list[Row], list[str]]:
    """Speculative against plain decoding of one target, with the acceptance rate and the formula's prediction.

    Random weights give a draft that seldom agrees with the target, so agreement is made by
    construction: the target's blocks after the first are damped (residual branches x 0.15,
    ``spec.damp_blocks``) and the draft is the target's own first block with its embeddings,
    final norm and head (``spec.truncated_draft``). Sampling at temperature 1 is compared
    with the same loop at g = 0 (one target call per token: plain sampling); greedy with
    ``kv_cache.generate_cached``, and the tokens must be identical. c, the cost of a draft
    call over a target call, is the ratio of their cached greedy decoding times.
    """
    config = kv_cache.TinyConfig(
        vocab_size=256, max_len=new_tokens + 16, d_model=512, num_layers=12, num_heads=8, dtype=torch.float32
    )
    target = spec.damp_blocks(kv_cache.TinyDecoder(config, generator=torch.Generator().manual_seed(0)), 1, 0.15)
    draft = spec.truncated_draft(target, 1)
    prompt = torch.randint(256, (1, 16), generator=torch.Generator().manual_seed(0))

    def run(drafts: int, temperature: float) -> tuple[torch.Tensor, spec.SpeculativeStats]:
        gen = torch.Generator().manual_seed(0)
        return spec.speculative_generate(
            target, draft, prompt, new_tokens, g=drafts, temperature=temperature, generator=gen
        )

    saved = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: extra threads only add contention on a shared machine
    try:
        print(f"  speculative decoding: {new_tokens} tokens, g = {g}", file=sys.stderr)
        jobs = {
            "spec": lambda: run(g, 1.0),
            "plain": lambda: run(0, 1.0),
            "greedy": lambda: run(g, 0.0),
            "cached": lambda: kv_cache.generate_cached(target, prompt, new_tokens),
            "draft": lambda: kv_cache.generate_cached(draft, prompt, new_tokens),  # for c: as many calls
        }
        times: dict[str, list[float]] = {key: [] for key in jobs}
        for _ in range(repeats):  # alternate, so a burst of load from other work hits every variant alike
            for key, job in jobs.items():
                start = time.perf_counter()
                job()
                times[key].append(time.perf_counter() - start)
        t_spec, t_plain, t_greedy, t_cached, t_draft = (min(times[key]) for key in jobs)
        c = t_draft / t_cached  # one draft call over one target call, both one token through the cache
        _, sampled = run(g, 1.0)
        tokens, greedy = run(g, 0.0)
        if not torch.equal(tokens, kv_cache.generate_cached(target, prompt, new_tokens)[0]):
            raise SystemExit("greedy speculative decoding differs from the target's greedy output")
    finally:
        torch.set_num_threads(saved)
    case = f"{new_tokens} tokens, g={g}, 1 of 12 layers"
    rows = [
        ("Speculative vs plain sampling (T=1)", case, t_spec, t_plain, "report"),
        ("Speculative vs plain greedy", case, t_greedy, t_cached, "report"),
    ]
    lines = [f"Speculative decoding, draft/target cost c = {c:.3f} (measured per call):"]
    for name, stats, t_ours, t_base in (("sampled", sampled, t_spec, t_plain), ("greedy", greedy, t_greedy, t_cached)):
        a = stats.acceptance_rate
        lines.append(
            f"  {name}: acceptance {a:.3f} measured"
            + (f" (sum min(p, q) predicts {stats.expected_acceptance:.3f})" if name == "sampled" else "")
            + f"; tokens per target call {new_tokens / stats.target_calls:.2f} measured, "
            f"{spec.expected_tokens_per_call(a, g):.2f} by (1 - a^(g+1)) / (1 - a); "
            f"speed-up {t_base / t_ours:.2f}x measured, {spec.improvement_factor(a, g, c):.2f}x predicted"
        )
    return rows, lines


# ---------------------------------------------------------------- gpt (the capstone, issue 10): its own rows


def bench_gpt(train_seconds: float, new_tokens: int, repeats: int) -> tuple[list[Row], list[str]]:
    """Training tokens per second of ``concepts.gpt.train``, and 256 new tokens with and without the KV cache."""
    from concepts import gpt

    print(f"  GPT: training {train_seconds:.0f} s, generating {new_tokens} tokens", file=sys.stderr)
    out = gpt.train(train_seconds, generator=torch.Generator().manual_seed(0), threads=1, log=None)
    config = gpt.GPTConfig(vocab_size=512, max_len=new_tokens + 8, d_model=64, num_layers=2, num_heads=4)
    model = gpt.GPT(config).eval()
    prompt = torch.randint(512, (1, 8), generator=torch.Generator().manual_seed(0))
    runs = {}
    for use_cache in (True, False):
        runs[use_cache] = best_of(
            lambda c=use_cache: gpt.generate(model, prompt, new_tokens, use_cache=c, greedy=True), repeats
        )
    same = torch.equal(*(gpt.generate(model, prompt, new_tokens, use_cache=c, greedy=True) for c in (True, False)))
    rows = [
        ("GPT generation, cache vs none", f"{new_tokens} new tokens, d=64, 2 layers", runs[True], runs[False], "> 1x")
    ]
    lines = [
        f"GPT training (concepts.gpt.train, 1 thread): {out['tokens_per_s']:.0f} tokens/s over {out['steps']} steps; "
        f"held-out {out['heldout_loss']:.3f} vs unigram {out['unigram']:.3f} nats/token",
        f"GPT cached and uncached generation give the same tokens: {'yes' if same else 'NO'}",
    ]
    return rows, lines


def seconds(t: float) -> str:
    if t >= 1:
        return f"{t:.2f} s"
    return f"{t * 1e3:.1f} ms" if t >= 1e-3 else f"{t * 1e6:.0f} µs"


def table(rows: list[Row]) -> str:
    head = f"| {'benchmark':<38} | {'case':<30} | {'ours':>9} | {'baseline':>9} | {'speed-up':>8} | {'target':<7} |"
    rule = "|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|"
    lines = [head, rule]
    for name, case, ours, base, target in rows:
        speed_up = f"{base / ours:.1f}x"
        lines.append(
            f"| {name:<38} | {case:<30} | {seconds(ours):>9} | {seconds(base):>9} | {speed_up:>8} | {target:<7} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a few seconds")
    args = parser.parse_args()
    print(
        f"Measuring on {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, torch {torch.__version__} ...",
        file=sys.stderr,
    )
    if args.quick:
        rows = bench_bpe(50_000, 100, 2) + bench_kv([64, 128], 1) + bench_mha(2, 64, 64, 4, 3)
        spec_rows, spec_lines = bench_speculative(32, 4, 1)
    else:
        rows = bench_bpe(1_000_000, 2000, 5) + bench_kv([256, 512, 1024], 2)
        # Small sizes show Python overhead (what batching removes); large ones, the arithmetic.
        rows += bench_mha(1, 16, 64, 8, 200) + bench_mha(8, 256, 512, 8, 5)
        spec_rows, spec_lines = bench_speculative(128, 4, 3)
    rows += spec_rows
    gpt_rows, gpt_lines = bench_gpt(5, 64, 1) if args.quick else bench_gpt(30, 256, 2)  # gpt (issue 10)
    rows += gpt_rows
    print(table(rows))
    kv = [r for r in rows if r[0].startswith("KV")]
    ratios = [base / ours for _, _, ours, base, _ in kv]
    growing = all(a < b for a, b in pairwise(ratios))
    shown = ", ".join(f"{r:.1f}x" for r in ratios)
    print(f"\nKV-cache speed-up grows with length: {'yes' if growing else 'no'} ({shown})")
    ours, rust = next((r[2], r[3]) for r in rows if r[0].endswith("Rust"))
    print(f"BPE training, our time / tokenizers' time: {ours / rust:.2f} (target: at most 1.0)")
    print("\n".join(spec_lines))
    print("\n".join(gpt_lines))  # gpt (issue 10)
    flash = bench_flash([256, 512], 1) if args.quick else bench_flash([1024, 2048, 4096], 2)
    print("\n" + flash_table(flash))
    n, naive_bytes, tiled_bytes, _, _ = flash[-1]
    print(f"Flash attention peak memory / naive at N = {n}: {tiled_bytes / naive_bytes:.4f} (target: at most 0.1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
