"""Speculative decoding: a cheap draft model proposes tokens, the target model checks them in one pass.

Follows speculative sampling as Leviathan et al. (2023, "Fast Inference from Transformers
via Speculative Decoding") and Chen et al. (2023) define it: accept draft token ``x`` with
probability ``min(1, p(x)/q(x))``, at the first rejection sample from the normalised residual
``max(0, p - q)``, and after ``g`` acceptances take one bonus token from the target. The
output then has exactly the target's distribution, which :func:`speculative_sequence_probs`
shows by enumerating every outcome on a tiny vocabulary. The NumPy half is the
specification on probability tables; :func:`speculative_generate` runs it on two
``TinyDecoder`` models of :mod:`concepts.kv_cache` with their caches. Leaves out batched
speculation (sequences accept different numbers of tokens), tree drafts (SpecInfer, Medusa,
EAGLE), lookahead and prompt-lookup decoding, and top-k/top-p (they change ``p`` and ``q``
before the same rule applies). The draft-making helpers :func:`truncated_draft` and
:func:`damp_blocks` live in ``concepts/_speculative_decoding_drafts.py`` and are re-exported here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import (
    as_array,
    require_nonnegative_int,
    require_positive_int,
    require_probability,
    require_rng,
    require_tensor,
    require_torch,
)
from concepts._speculative_decoding_drafts import damp_blocks, truncated_draft
from concepts.kv_cache import KVCache

if TYPE_CHECKING:
    import torch

__all__ = [
    "SpeculativeStats",
    "damp_blocks",
    "expected_acceptance_rate",
    "expected_tokens_per_call",
    "improvement_factor",
    "residual_distribution",
    "sequence_probs",
    "speculative_generate",
    "speculative_sequence_probs",
    "speculative_step",
    "truncated_draft",
    "verify_token",
]


def _distribution(x: ArrayLike, name: str) -> np.ndarray:
    d = as_array(x, name)
    if d.ndim != 1 or d.size < 1 or (d < 0).any() or abs(d.sum() - 1) > 1e-9:
        raise ValueError(f"{name} must be a probability vector (V,) summing to 1; got {np.round(d, 4).tolist()}")
    return d


def residual_distribution(p: ArrayLike, q: ArrayLike) -> np.ndarray:
    """The distribution to sample from after a rejection: ``max(0, p - q)``, normalised.

    It holds the mass the target ``p`` puts where the draft ``q`` under-proposes. When
    ``p == q`` nothing is ever rejected and the residual is empty; ``p`` is returned then.

    :param p: target probabilities ``(V,)``; ``q``: draft probabilities ``(V,)``.
    :returns: probabilities ``(V,)``.

    >>> residual_distribution([0.5, 0.3, 0.2], [0.2, 0.6, 0.2]).tolist()  # only token 0 is short
    [1.0, 0.0, 0.0]
    """
    p, q = _distribution(p, "p"), _distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must share one vocabulary; got shapes {p.shape} and {q.shape}")
    r = np.maximum(p - q, 0.0)  # p'(x) = max(0, p(x) - q(x)) / sum_y max(0, p(y) - q(y))
    return p.copy() if r.sum() == 0 else r / r.sum()


def verify_token(p: ArrayLike, q: ArrayLike, token: int) -> tuple[float, np.ndarray]:
    """Verify one drafted token: its acceptance probability and the distribution used if it is rejected.

    :param p: target probabilities ``(V,)`` at this position; ``q``: the draft's.
    :param token: the drafted token, sampled from ``q`` (so ``q[token] > 0``).
    :returns: ``(min(1, p[token] / q[token]), residual_distribution(p, q))``.
    :raises ValueError: for a token outside the vocabulary or one the draft could not propose.

    >>> a, r = verify_token([0.5, 0.3, 0.2], [0.2, 0.6, 0.2], 1)
    >>> round(a, 4), r.tolist()  # the draft over-proposes token 1: keep it half the time
    (0.5, [1.0, 0.0, 0.0])
    """
    p, q = _distribution(p, "p"), _distribution(q, "q")
    if isinstance(token, bool) or not isinstance(token, int | np.integer) or not 0 <= token < q.size:
        raise ValueError(f"token must be an int in [0, {q.size}); got {token!r}")
    if q[token] == 0:
        raise ValueError(f"token {token} has draft probability 0, so the draft could not have proposed it")
    return float(min(1.0, p[token] / q[token])), residual_distribution(p, q)


def speculative_step(
    p: ArrayLike, q: ArrayLike, draft: ArrayLike, *, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """One draft-then-verify step: the accepted draft tokens, then one token from the target.

    :param p: target probabilities ``(g + 1, V)``: row ``i`` follows the context and the
        first ``i`` drafted tokens (row ``g`` gives the bonus token).
    :param q: draft probabilities ``(g, V)`` that ``draft`` was sampled from.
    :param draft: the ``g`` drafted tokens.
    :param rng: ``np.random.Generator``, seed or ``None``.
    :returns: int array of ``k + 1`` tokens: ``k`` accepted drafts, then the residual sample
        at the first rejection or, when all ``g`` are accepted, the bonus token from ``p[g]``.

    >>> p = [[0.0, 1.0], [0.5, 0.5]]  # the target never emits token 0 first
    >>> speculative_step(p, [[1.0, 0.0]], [0], rng=0).tolist()  # rejected, residual = token 1
    [1]
    >>> len(speculative_step(p, p[:1], [1], rng=0))  # q = p: always accepted, plus a bonus
    2
    """
    p, q, draft = as_array(p, "p"), as_array(q, "q"), np.asarray(draft)
    if p.ndim != 2 or q.ndim != 2 or p.shape != (q.shape[0] + 1, q.shape[1]) or draft.shape != (q.shape[0],):
        raise ValueError(f"need p (g+1, V), q (g, V), draft (g,); got {p.shape}, {q.shape}, {draft.shape}")
    rng = require_rng(rng)
    out = []
    for i, x in enumerate(draft.tolist()):
        accept, residual = verify_token(p[i], q[i], x)
        if rng.random() >= accept:  # reject with probability 1 - min(1, p(x)/q(x))
            return np.array([*out, rng.choice(residual.size, p=residual)])
        out.append(x)
    return np.array([*out, rng.choice(p.shape[1], p=_distribution(p[-1], "p[g]"))])  # all accepted: bonus


def expected_acceptance_rate(p: ArrayLike, q: ArrayLike) -> float:
    """``a = sum_x min(p(x), q(x)) = 1 - TV(p, q)``: the chance a token drafted from ``q`` is accepted.

    >>> round(expected_acceptance_rate([0.5, 0.3, 0.2], [0.2, 0.6, 0.2]), 4)
    0.7
    """
    p, q = _distribution(p, "p"), _distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must share one vocabulary; got shapes {p.shape} and {q.shape}")
    return float(np.minimum(p, q).sum())


def expected_tokens_per_call(a: float, g: int) -> float:
    """Expected tokens per target call, ``(1 - a^(g+1)) / (1 - a)``, for i.i.d. acceptance ``a`` and ``g`` drafts.

    ``g + 1`` when ``a = 1``; 1 when ``a = 0`` (the target's own token still comes out).

    >>> round(expected_tokens_per_call(0.8, 4), 4)
    3.3616
    """
    a = require_probability(a, "a")
    g = require_nonnegative_int(g, "g")
    return float(g + 1) if a == 1 else (1 - a ** (g + 1)) / (1 - a)  # 1 + a + ... + a^g


def improvement_factor(a: float, g: int, c: float) -> float:
    """Wall-clock speed-up over plain decoding: ``(1 - a^(g+1)) / ((1 - a)(g c + 1))``.

    ``c`` is the cost of one draft call over one target call; a step costs ``g`` draft
    calls and one target call that scores ``g + 1`` positions as fast as one.

    >>> round(improvement_factor(0.8, 4, 0.05), 4)
    2.8013
    """
    if not c >= 0:
        raise ValueError(f"c (draft cost / target cost) must be >= 0; got {c!r}")
    return expected_tokens_per_call(a, g) / (g * c + 1)


def sequence_probs(
    model: Callable[..., ArrayLike], prompt: tuple[int, ...], length: int
) -> dict[tuple[int, ...], float]:
    """Probability of every continuation of ``length`` tokens under plain sampling from ``model``.

    >>> probs = sequence_probs(lambda ctx: [0.25, 0.75], (0,), 2)
    >>> probs[(1, 1)]
    0.5625
    """
    length = require_positive_int(length, "length")
    out = {(): 1.0}
    for _ in range(length):  # P(x_1..x_n) = prod_t p(x_t | prompt, x_<t)
        out = {(*s, y): w * py for s, w in out.items() for y, py in enumerate(model(tuple(prompt) + s)) if py > 0}
    return out


def _step_outcomes(target: Callable[..., ArrayLike], draft: Callable[..., ArrayLike], ctx: tuple, g: int) -> dict:
    """Exact probability of each token tuple one speculative step appends to ``ctx``."""
    out: dict[tuple[int, ...], float] = {}
    vocab = len(draft(ctx))
    for xs in itertools.product(range(vocab), repeat=g):  # every draft, weighted by q(x_1..x_g)
        reach = float(np.prod([draft(ctx + xs[:i])[x] for i, x in enumerate(xs)]))
        if reach == 0:
            continue
        for i, x in enumerate(xs):
            accept, residual = verify_token(target(ctx + xs[:i]), draft(ctx + xs[:i]), x)
            for y, r in enumerate(residual):  # rejected at i: x_1..x_{i} kept, then y ~ residual
                key = (*xs[:i], y)
                out[key] = out.get(key, 0.0) + reach * (1 - accept) * r
            reach *= accept
        for y, b in enumerate(target(ctx + xs)):  # all g accepted: the bonus token
            out[(*xs, y)] = out.get((*xs, y), 0.0) + reach * b
    return out


def speculative_sequence_probs(
    target: Callable[..., ArrayLike], draft: Callable[..., ArrayLike], prompt: tuple[int, ...], length: int, g: int
) -> dict[tuple[int, ...], float]:
    """Exact probability of every continuation of ``length`` tokens under speculative decoding.

    Enumerates all drafts and all accept/reject outcomes of each step (``V^g`` drafts per
    step), truncating the last step's output to ``length``. Equal to
    :func:`sequence_probs` of ``target``, whatever ``draft`` is.

    >>> target, draft = (lambda ctx: [0.25, 0.75]), (lambda ctx: [0.9, 0.1])
    >>> spec = speculative_sequence_probs(target, draft, (0,), 2, g=2)
    >>> round(spec[(1, 1)], 12)
    0.5625
    """
    length, g = require_positive_int(length, "length"), require_positive_int(g, "g")
    done: dict[tuple[int, ...], float] = {}
    frontier = {(): 1.0}
    while frontier:
        nxt: dict[tuple[int, ...], float] = {}
        for s, w in frontier.items():
            for add, pr in _step_outcomes(target, draft, tuple(prompt) + s, g).items():
                t = (s + add)[:length]
                pool = done if len(t) == length else nxt
                pool[t] = pool.get(t, 0.0) + w * pr
        frontier = nxt
    return {s: float(w) for s, w in done.items() if w > 0}


# ---------------------------------------------------------------- on TinyDecoder models (PyTorch)


@dataclass
class SpeculativeStats:
    """Counts of one :func:`speculative_generate` run."""

    target_calls: int = 0
    draft_calls: int = 0
    checked: int = 0  # drafted tokens the target judged (those after a rejection are never judged)
    accepted: int = 0
    overlap_sum: float = 0.0  # sum over judged positions of sum_x min(p, q) (sampling only)

    @property
    def acceptance_rate(self) -> float:
        """Measured fraction of judged draft tokens that were accepted."""
        return self.accepted / self.checked if self.checked else float("nan")

    @property
    def expected_acceptance(self) -> float:
        """Mean of ``sum_x min(p(x), q(x))`` over judged positions: the acceptance rate it predicts."""
        return self.overlap_sum / self.checked if self.checked else float("nan")


def _truncate(cache: KVCache, n: int) -> None:
    """Forget cached positions ``n`` onwards (the drafts the target rejected)."""
    for i, (k, v) in enumerate(zip(cache.keys, cache.values, strict=True)):
        if k is not None:
            cache.keys[i], cache.values[i] = k[:, :, :n], v[:, :, :n]


def _probs(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    return (logits.double() / temperature).softmax(-1)


def speculative_generate(
    target: Any,
    draft: Any,
    prompt: torch.Tensor,
    new_tokens: int,
    *,
    g: int = 4,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, SpeculativeStats]:
    """Speculative decoding with two ``TinyDecoder`` models sharing a vocabulary, each with a KV cache.

    Each step: the draft proposes ``g`` tokens one by one; the target scores all ``g + 1``
    positions in one call; the acceptance rule runs left to right. ``temperature=0`` is
    greedy: a draft is accepted while it equals the target's argmax, and the output is the
    target's greedy output token for token. Batch 1 only.

    :param prompt: token ids ``(1, T0)``; ``T0 + new_tokens`` must fit in ``max_len``.
    :returns: tokens ``(1, T0 + new_tokens)`` and the run's :class:`SpeculativeStats`.

    >>> import torch
    >>> from concepts.kv_cache import TinyConfig, TinyDecoder, generate_cached
    >>> target = TinyDecoder(TinyConfig(num_layers=2))
    >>> prompt, draft = torch.tensor([[1, 2]]), truncated_draft(target, 1)
    >>> tokens, stats = speculative_generate(target, draft, prompt, 8, temperature=0)
    >>> torch.equal(tokens, generate_cached(target, prompt, 8)[0])
    True
    """
    torch = require_torch()
    prompt = require_tensor(prompt, "prompt")
    if prompt.dim() != 2 or prompt.shape[0] != 1 or prompt.shape[1] < 1:
        raise ValueError(f"prompt must have shape (1, T0) with T0 >= 1; got {tuple(prompt.shape)}")
    new_tokens, g = require_positive_int(new_tokens, "new_tokens"), require_nonnegative_int(g, "g")
    if target.config.vocab_size != draft.config.vocab_size:
        raise ValueError(
            f"target and draft must share a vocabulary; got {target.config.vocab_size} and {draft.config.vocab_size}"
        )
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0; got {temperature!r}")
    end = prompt.shape[1] + new_tokens
    if end > min(target.config.max_len, draft.config.max_len):
        raise ValueError(f"prompt length + new_tokens must fit in max_len; got {end}")
    tc, dc = KVCache(target.config.num_layers), KVCache(draft.config.num_layers)
    seq, stats = prompt[0].tolist(), SpeculativeStats()
    with torch.no_grad():
        while len(seq) < end:
            gg = min(g, end - len(seq) - 1)  # never draft past the requested length
            xs, qs = [], []
            for _ in range(gg):  # draft: feed whatever its cache lacks, sample one token
                ctx = seq + xs
                logits = draft(torch.tensor([ctx[len(dc) :]]), dc)[0, -1]
                stats.draft_calls += 1
                if temperature == 0:
                    xs.append(int(logits.argmax()))
                else:
                    qs.append(_probs(logits, temperature))
                    xs.append(int(torch.multinomial(qs[-1], 1, generator=generator)))
            ctx = seq + xs
            rows = target(torch.tensor([ctx[len(tc) :]]), tc)[0, -(gg + 1) :]  # (g + 1, V): one call
            stats.target_calls += 1
            out = []
            for i, x in enumerate(xs):
                stats.checked += 1
                if temperature == 0:
                    if x != int(rows[i].argmax()):
                        out.append(int(rows[i].argmax()))
                        break
                else:
                    p, q = _probs(rows[i], temperature), qs[i]
                    stats.overlap_sum += float(torch.minimum(p, q).sum())
                    u = torch.rand((), dtype=torch.float64, generator=generator)
                    if u >= torch.clamp(p[x] / q[x], max=1.0):  # reject: sample max(0, p - q), normalised
                        r = torch.clamp(p - q, min=0.0)
                        out.append(int(torch.multinomial(r / r.sum(), 1, generator=generator)))
                        break
                out.append(x)
                stats.accepted += 1
            else:  # every draft accepted: the bonus token from the target's last row
                last = rows[-1]
                bonus = (
                    last.argmax()
                    if temperature == 0
                    else torch.multinomial(_probs(last, temperature), 1, generator=generator)
                )
                out.append(int(bonus))
            seq += out
            _truncate(tc, len(seq) - 1)  # keep only positions whose tokens were kept
            _truncate(dc, min(len(dc), len(seq) - 1))
    return torch.tensor([seq]), stats
