"""GPT: a GPT-2-style decoder assembled from this package's own parts, trained and sampled on a CPU.

Follows GPT-2 (Radford et al., 2019) as Hugging Face's ``GPT2LMHeadModel`` computes it:
learned positions, pre-LN blocks, the tanh form of GELU (``"gelu_new"``), a final
LayerNorm and an output layer tied to the token embedding. Every piece is imported, not
copied: the position table (:mod:`concepts.positional_encoding`), attention
(:mod:`concepts.attention`) under a causal and padding mask (:mod:`concepts.masking`), the
residual block and LayerNorm (:mod:`concepts.normalization`), the MLP
(:mod:`concepts.feed_forward`), the cache (:mod:`concepts.kv_cache`), the filtered
distribution (:mod:`concepts.sampling`), the BPE tokenizer (:mod:`concepts.tokenization`)
and the parameter count (:mod:`concepts.embeddings`). Leaves out dropout, fused kernels,
mixed precision and anything beyond one CPU training loop.

The training text ``_gpt_corpus.txt`` is prose from eight of this project's own pages,
written by the team: :func:`page_prose` strips code, directives, labels and tables, and
``python -c "from concepts.gpt import write_corpus; write_corpus()"`` regenerates it. The
configuration, the parameter count and the GPT-2 converter live in ``concepts/_gpt_params.py``,
the corpus, its tokenized split and the unigram baseline in ``concepts/_gpt_data.py``; both are
re-exported here.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int, require_tensor, require_torch
from concepts._gpt_data import (
    CORPUS,
    CORPUS_PAGES,  # noqa: F401  (not in __all__, but still importable from here)
    corpus_tokens,
    page_prose,
    unigram_baseline,
    write_corpus,  # noqa: F401  (not in __all__, but still importable from here)
)
from concepts._gpt_params import _BLOCK_NAMES, GPTConfig, gpt2_params_from_torch, gpt_param_count
from concepts.attention import scaled_dot_product_attention, scaled_dot_product_attention_torch
from concepts.feed_forward import feed_forward, feed_forward_torch
from concepts.kv_cache import KVCache
from concepts.masking import causal_mask
from concepts.normalization import layer_norm, layer_norm_torch, residual_block_torch
from concepts.positional_encoding import position_embedding_torch
from concepts.sampling import filtered_distribution_torch
from concepts.tokenization import decode, encode

if TYPE_CHECKING:
    import torch

__all__ = [  # and GPT, the nn.Module, built on first access by the module's __getattr__
    "CORPUS",
    "GPTConfig",
    "causal_lm_loss",
    "causal_lm_loss_torch",
    "generate",
    "gpt2_block",
    "gpt2_params_from_torch",
    "gpt_param_count",
    "page_prose",
    "train",
    "unigram_baseline",
]


def _block_attention(torch: Any, p: Any, h: Any, mask: Any, cache: KVCache | None, layer: int, heads: int) -> Any:
    B, T, C = h.shape
    q, k, v = (h @ p.attn_c_attn_weight + p.attn_c_attn_bias).split(C, dim=-1)  # Conv1D: x W + b, (B, T, C) each
    q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))  # (B, heads, T, head_dim)
    if cache is not None:
        k, v = cache.append(layer, k, v)  # (B, heads, T_past + T, head_dim)
    y, _ = scaled_dot_product_attention_torch(q, k, v, mask=mask)
    return y.transpose(1, 2).reshape(B, T, C) @ p.attn_c_proj_weight + p.attn_c_proj_bias


@functools.cache
def _model_class() -> type:
    torch = require_torch()
    nn = torch.nn

    class GPT(nn.Module):
        """GPT-2-style decoder: ``forward(idx, mask=None, positions=None, cache=None)`` gives logits ``(B, T, V)``.

        ``mask`` is boolean ``(B, T_past + T)``, ``True`` at real tokens; ``positions``
        ``(B, T)`` defaults to ``T_past, T_past + 1, ...``. Weights start as GPT-2's: N(0, 0.02).

        >>> import torch
        >>> from concepts.gpt import GPT, GPTConfig
        >>> model = GPT(GPTConfig(vocab_size=10, max_len=8, d_model=8, num_layers=1, num_heads=2))
        >>> tuple(model(torch.tensor([[1, 2, 3]])).shape)
        (1, 3, 10)
        """

        def __init__(self, config: GPTConfig, *, generator: torch.Generator | None = None) -> None:
            super().__init__()
            c = self.config = config
            d, gen = c.d_model, generator or torch.Generator().manual_seed(0)
            self.wte = nn.Embedding(c.vocab_size, d)
            nn.init.normal_(self.wte.weight, std=0.02, generator=gen)
            self.wpe = position_embedding_torch(c.max_len, d, std=0.02, generator=gen)
            sizes = {"ln_1_weight": (d,), "ln_1_bias": (d,), "attn_c_attn_weight": (d, 3 * d)}
            sizes |= {"attn_c_attn_bias": (3 * d,), "attn_c_proj_weight": (d, d), "attn_c_proj_bias": (d,)}
            sizes |= {"ln_2_weight": (d,), "ln_2_bias": (d,), "mlp_c_fc_weight": (d, 4 * d)}
            sizes |= {"mlp_c_fc_bias": (4 * d,), "mlp_c_proj_weight": (4 * d, d), "mlp_c_proj_bias": (d,)}

            def param(name: str, shape: tuple[int, ...]) -> nn.Parameter:
                if name.endswith("weight") and len(shape) == 2:
                    return nn.Parameter(torch.randn(shape, generator=gen) * 0.02)
                return nn.Parameter(torch.ones(shape) if name.startswith("ln") else torch.zeros(shape))

            self.blocks = nn.ModuleList(
                nn.ParameterDict({n: param(n, s) for n, s in sizes.items()}) for _ in range(c.num_layers)
            )
            self.ln_f = nn.LayerNorm(d, eps=c.eps)
            self.head = None if c.tied else nn.Parameter(torch.randn(c.vocab_size, d, generator=gen) * 0.02)

        def forward(self, idx: torch.Tensor, mask: Any = None, positions: Any = None, cache: Any = None) -> Any:
            c, start = self.config, 0 if cache is None else len(cache)
            if require_tensor(idx, "idx").dim() != 2 or idx.shape[1] < 1:
                raise ValueError(f"idx must have shape (B, T) with T >= 1; got {tuple(idx.shape)}")
            B, T = idx.shape
            if mask is not None and tuple(require_tensor(mask, "mask").shape) != (B, start + T):
                raise ValueError(f"mask must have shape (B, T_past + T) = {(B, start + T)}; got {tuple(mask.shape)}")
            if positions is None:
                positions = torch.arange(start, start + T).expand(B, T)
            if int(positions.max()) >= c.max_len:
                raise ValueError(f"positions must be < max_len={c.max_len}; got {int(positions.max())}")
            x = self.wte(idx) + self.wpe(positions)  # (B, T, d_model): token plus learned position
            allowed = torch.from_numpy(causal_mask(T, start + T, align="bottom-right"))  # (T, T_past + T)
            if mask is not None:
                allowed = allowed & mask.bool()[:, None, None, :]  # (B, 1, T, T_past + T): no key is a pad
            for i, p in enumerate(self.blocks):

                def ln(h: Any, w: Any, b: Any) -> Any:
                    return layer_norm_torch(h, c.d_model, w, b, eps=c.eps)

                def attn(h: Any, p: Any = p, i: int = i) -> Any:
                    return _block_attention(torch, p, h, allowed, cache, i, c.num_heads)

                def mlp(h: Any, p: Any = p) -> Any:
                    w1, w2, b1, b2 = p.mlp_c_fc_weight, p.mlp_c_proj_weight, p.mlp_c_fc_bias, p.mlp_c_proj_bias
                    return feed_forward_torch(h, w1, w2, b1=b1, b2=b2, activation=c.activation)

                norm1, norm2 = (
                    (lambda h, p=p: ln(h, p.ln_1_weight, p.ln_1_bias)),
                    (lambda h, p=p: ln(h, p.ln_2_weight, p.ln_2_bias)),
                )
                x = residual_block_torch(x, attn, norm1, norm_first=c.norm_first)  # x + Attn(LN(x))
                x = residual_block_torch(x, mlp, norm2, norm_first=c.norm_first)  # x + MLP(LN(x))
            h = layer_norm_torch(x, c.d_model, self.ln_f.weight, self.ln_f.bias, eps=c.eps)
            return h @ (self.wte.weight if c.tied else self.head).T  # tied: logits = h E^T, (B, T, V)

    GPT.__module__ = __name__
    return GPT


def __getattr__(name: str) -> Any:
    """Build the ``nn.Module`` class on first access, so importing this module needs no PyTorch."""
    if name == "GPT":
        return _model_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def generate(
    model: Any,
    prompt: torch.Tensor,
    new_tokens: int,
    *,
    use_cache: bool = True,
    greedy: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Extend ``prompt`` ``(B, T0)`` by ``new_tokens``: argmax, or a draw from the filtered distribution.

    With ``use_cache`` one prefill pass fills a :class:`concepts.kv_cache.KVCache` and each
    step feeds one token; without it each step reruns the whole prefix. Same tokens either way.

    >>> import torch
    >>> from concepts.gpt import GPT, GPTConfig, generate
    >>> model = GPT(GPTConfig(vocab_size=10, max_len=16, d_model=8, num_layers=1, num_heads=2)).double()
    >>> a = generate(model, torch.tensor([[1, 2]]), 5, generator=torch.Generator().manual_seed(0))
    >>> b = generate(model, torch.tensor([[1, 2]]), 5, use_cache=False, generator=torch.Generator().manual_seed(0))
    >>> torch.equal(a, b), tuple(a.shape)
    (True, (1, 7))
    """
    torch = require_torch()
    if require_tensor(prompt, "prompt").dim() != 2 or prompt.shape[1] < 1:
        raise ValueError(f"prompt must have shape (B, T) with T >= 1; got {tuple(prompt.shape)}")
    require_positive_int(new_tokens, "new_tokens")
    if prompt.shape[1] + new_tokens > model.config.max_len:
        raise ValueError(f"prompt + new_tokens must fit max_len={model.config.max_len}")
    cache = KVCache(model.config.num_layers) if use_cache else None
    seq, feed = prompt, prompt
    with torch.no_grad():
        for _ in range(new_tokens):
            logits = model(feed if use_cache else seq, cache=cache)[:, -1]  # (B, V)
            if greedy:
                nxt = logits.argmax(-1, keepdim=True)
            else:
                probs = filtered_distribution_torch(logits, temperature=temperature, top_k=top_k, top_p=top_p)
                nxt = torch.multinomial(probs, 1, generator=generator)  # (B, 1)
            seq, feed = torch.cat([seq, nxt], dim=1), nxt
    return seq


def causal_lm_loss(logits: ArrayLike, ids: ArrayLike, pad_id: int | None = None) -> float:
    """Mean cross-entropy (nats) of predicting ``ids[:, 1:]`` from ``logits[:, :-1]``, pads ignored.

    :param logits: shape ``(B, T, V)``; position ``t`` scores the token at ``t + 1``.
    :param ids: integer ids ``(B, T)``; targets equal to ``pad_id`` count for nothing.
    :raises ValueError: for mismatched shapes, ``T < 2`` or no target left.

    >>> round(causal_lm_loss([[[0.0, 0.0], [0.0, 0.0]]], [[0, 1]]), 4)  # log 2
    0.6931
    """
    z, y = as_array(logits, "logits"), np.asarray(ids)
    if z.ndim != 3 or y.shape != z.shape[:2] or z.shape[1] < 2 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"need logits (B, T, V) and integer ids (B, T) with T >= 2; got {z.shape} and {y.shape}")
    z, y = z[:, :-1], y[:, 1:]  # the shift: position t predicts token t + 1
    keep = np.ones(y.shape, bool) if pad_id is None else y != pad_id
    if not keep.any():
        raise ValueError("every target is padding; nothing to average")
    m = z.max(axis=-1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))  # log softmax, (B, T-1, V)
    nll = -np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
    return float(nll[keep].mean())


def causal_lm_loss_torch(logits: torch.Tensor, ids: torch.Tensor, pad_id: int | None = None) -> torch.Tensor:
    """PyTorch mirror of :func:`causal_lm_loss` (a scalar tensor autograd can differentiate).

    >>> import torch
    >>> round(float(causal_lm_loss_torch(torch.zeros(1, 2, 2), torch.tensor([[0, 1]]))), 4)
    0.6931
    """
    torch = require_torch()
    z, y = require_tensor(logits, "logits"), require_tensor(ids, "ids")
    if z.dim() != 3 or tuple(y.shape) != tuple(z.shape[:2]) or z.shape[1] < 2:
        raise ValueError(f"need logits (B, T, V) and ids (B, T) with T >= 2; got {tuple(z.shape)} and {tuple(y.shape)}")
    z, y = z[:, :-1].reshape(-1, z.shape[-1]), y[:, 1:].reshape(-1)
    return torch.nn.functional.cross_entropy(z, y, ignore_index=-100 if pad_id is None else pad_id)


def gpt2_block(x: ArrayLike, params: dict[str, ArrayLike], num_heads: int) -> np.ndarray:
    """One GPT-2 block in NumPy: ``x + Attn(LN1(x))``, then ``+ MLP(LN2(x))``, causal, tanh-GELU.

    :param x: the residual stream ``(T, d_model)``.
    :param params: GPT-2's block names without ``transformer.h.i.``: ``ln_1.weight``,
        ``attn.c_attn.weight`` ``(d, 3d)``, ``mlp.c_fc.weight`` ``(d, 4d)``, ... (all of ``x @ W + b``).
    :returns: ``(T, d_model)``.

    >>> d = 4
    >>> p = {n: np.zeros(d) for n in _BLOCK_NAMES}
    >>> p |= {"attn.c_attn.weight": np.zeros((d, 3 * d)), "attn.c_attn.bias": np.zeros(3 * d)}
    >>> p |= {"attn.c_proj.weight": np.zeros((d, d)), "mlp.c_fc.weight": np.zeros((d, 4 * d))}
    >>> p |= {"mlp.c_fc.bias": np.zeros(4 * d), "mlp.c_proj.weight": np.zeros((4 * d, d))}
    >>> gpt2_block(np.ones((2, d)), p, 2).tolist()  # zero weights: the block is the identity
    [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    """
    x = as_array(x, "x")
    p = {n: as_array(params[n], n) for n in _BLOCK_NAMES}
    T, d = x.shape
    h = layer_norm(x, d, p["ln_1.weight"], p["ln_1.bias"], eps=1e-5)
    q, k, v = np.split(h @ p["attn.c_attn.weight"] + p["attn.c_attn.bias"], 3, axis=-1)
    q, k, v = (t.reshape(T, num_heads, d // num_heads).transpose(1, 0, 2) for t in (q, k, v))  # (heads, T, hd)
    y, _ = scaled_dot_product_attention(q, k, v, is_causal=True)
    x = x + y.transpose(1, 0, 2).reshape(T, d) @ p["attn.c_proj.weight"] + p["attn.c_proj.bias"]
    h = layer_norm(x, d, p["ln_2.weight"], p["ln_2.bias"], eps=1e-5)
    w1, w2, b1, b2 = p["mlp.c_fc.weight"], p["mlp.c_proj.weight"], p["mlp.c_fc.bias"], p["mlp.c_proj.bias"]
    return x + feed_forward(h, w1, w2, b1=b1, b2=b2, activation="gelu_tanh")


TRAIN_CONFIG = GPTConfig(vocab_size=512, max_len=32, d_model=64, num_layers=2, num_heads=4)


def train(
    seconds: float = 60.0,
    *,
    generator: torch.Generator | None = None,
    batch: int = 64,
    lr: float = 3e-3,
    threads: int = 2,
    max_steps: int | None = None,
    log: Any = print,
) -> dict:
    """Train ``TRAIN_CONFIG`` on the shipped text for ``seconds`` of wall clock on ``threads`` threads (AdamW).

    ``generator`` draws the initial weights, then every batch (seed 0 when ``None``).

    :returns: ``model``, ``tokenizer``, ``steps``, ``tokens_per_s``, ``train_loss``, ``heldout_loss``, ``unigram``.
    """
    torch = require_torch()
    tok, tr, ho = corpus_tokens(TRAIN_CONFIG.vocab_size)
    c, previous_threads = TRAIN_CONFIG, torch.get_num_threads()
    torch.set_num_threads(require_positive_int(threads, "threads"))
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    model = _model_class()(c, generator=gen)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    train_t, held = torch.from_numpy(tr), torch.from_numpy(ho)
    held_windows = held[: len(held) // c.max_len * c.max_len].view(-1, c.max_len)  # ~110 windows

    def heldout_loss() -> float:
        with torch.no_grad():
            return float(causal_lm_loss_torch(model(held_windows), held_windows))

    start, step, loss = time.perf_counter(), 0, torch.tensor(float("nan"))
    try:
        while (elapsed := time.perf_counter() - start) < seconds and step != max_steps:
            rows = torch.randint(len(train_t) - c.max_len, (batch,), generator=gen)
            x = torch.stack([train_t[r : r + c.max_len] for r in rows.tolist()])  # (batch, max_len)
            for g in opt.param_groups:  # linear warm-up over 20 steps
                g["lr"] = lr * min(1.0, (step + 1) / 20)
            loss = causal_lm_loss_torch(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if log and step % 50 == 0:
                rate = step * batch * c.max_len / elapsed
                log(f"step {step:4d}  {rate:7.0f} tokens/s  train {loss.item():.3f}  held-out {heldout_loss():.3f}")
        final = heldout_loss()
    finally:
        torch.set_num_threads(previous_threads)
    rate = step * batch * c.max_len / (time.perf_counter() - start)
    base = unigram_baseline(tr, ho, c.vocab_size)
    return {
        "model": model.eval(),
        "tokenizer": tok,
        "steps": step,
        "tokens_per_s": rate,
        "train_loss": loss.item(),
        "heldout_loss": final,
        "unigram": base,
    }


def _main(argv: list[str] | None = None) -> int:
    import argparse

    torch = require_torch()
    parser = argparse.ArgumentParser(description="Train a tiny GPT on the shipped text, then sample from it.")
    parser.add_argument("--seconds", type=float, default=60.0, help="training time budget (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (default 2; 1 on a busy machine)")
    args = parser.parse_args(argv)
    out = train(args.seconds, generator=torch.Generator().manual_seed(args.seed), threads=args.threads)
    print(
        f"held-out loss {out['heldout_loss']:.3f} nats/token vs unigram baseline {out['unigram']:.3f} "
        f"({out['steps']} steps, {out['tokens_per_s']:.0f} tokens/s)"
    )
    tok, gen = out["tokenizer"], torch.Generator().manual_seed(args.seed)
    prompt = torch.tensor([encode(tok, "The attention")])
    ids = generate(
        out["model"], prompt, TRAIN_CONFIG.max_len - prompt.shape[1], temperature=0.8, top_k=40, generator=gen
    )
    print(decode(tok, ids[0].tolist()))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
