"""Greedy and beam search: pick a likely output sequence of an autoregressive model without trying them all.

Follows beam search as neural machine translation uses it: length normalisation by
``length ** alpha`` (fairseq, Hugging Face) or by GNMT's ``((5 + length) / 6) ** alpha``
(Wu et al., 2016), n-gram blocking (``no_repeat_ngram_size``, after Paulus et al., 2017)
and the repetition penalty of CTRL (Keskar et al., 2019) as Hugging Face applies it. The
model is any function from a prefix to next-token log-probabilities; two tiny ones ship
here, and minimum Bayes risk (MBR) selection from a list of candidates (Kumar and Byrne,
2004; Eikema and Aziz, 2020), which lives in ``concepts/_decoding_mbr.py`` and is
re-exported here. Leaves out sampling (see the sampling page), GNMT's coverage penalty,
diverse and constrained beam search, batching the beams through a network with a KV cache,
and returning more than the best hypothesis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_rng, require_tensor, require_torch
from concepts._decoding_mbr import mbr_decode

if TYPE_CHECKING:
    import torch

__all__ = [
    "EOS",
    "apply_repetition_penalty",
    "apply_repetition_penalty_torch",
    "beam_search",
    "beam_search_torch",
    "block_repeated_ngrams",
    "greedy_search",
    "length_penalty",
    "mbr_decode",
    "table_lm",
    "tiny_lm",
]

EOS = 0  # the end-of-sequence token of the tiny models
NextLogProbs = Callable[[Sequence[int]], np.ndarray]  # the model: prefix -> (vocab,) log-probabilities
FORMS = ("simple", "gnmt")


def _int(name: str, n: object, low: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {n!r}")
    return int(n)


def tiny_lm(
    vocab_size: int = 5, *, context: int = 1, rng: np.random.Generator | int | None = 0, sharpness: float = 2.0
) -> Callable[[Sequence[int]], np.ndarray]:
    """A fixed random n-gram model: the next token's log-probabilities depend on the last ``context`` tokens.

    Token 0 is EOS. Positions before the start read as a start symbol, so the table has
    shape ``(vocab_size + 1,) * context + (vocab_size,)``; ``sharpness`` scales its logits;
    ``rng`` (a Generator, an int seed, or None) draws them, seed 0 by default.

    :returns: ``next_log_probs(prefix)``, giving an array of shape ``(vocab_size,)``.
    :raises ValueError: for ``vocab_size < 2`` or ``context < 0``.

    >>> import numpy as np
    >>> from concepts.decoding import tiny_lm
    >>> lm = tiny_lm(4, context=1, rng=0)
    >>> round(float(np.exp(lm([2, 3])).sum()), 4), bool(np.all(lm([1, 3]) == lm([3])))
    (1.0, True)
    """
    vocab_size, context = _int("vocab_size", vocab_size, 2), _int("context", context, 0)
    logits = sharpness * require_rng(rng).standard_normal((vocab_size + 1,) * context + (vocab_size,))
    table = logits - np.log(np.exp(logits).sum(-1, keepdims=True))  # log softmax over the next token

    def next_log_probs(prefix: Sequence[int]) -> np.ndarray:
        if any(not 0 <= t < vocab_size for t in prefix):
            raise ValueError(f"prefix tokens must lie in [0, {vocab_size}); got {list(prefix)}")
        last = ([vocab_size] * context + list(prefix))[len(prefix) :]  # the last `context` tokens
        return table[tuple(last)].copy()

    return next_log_probs


def table_lm(probs: Mapping[tuple[int, ...], Sequence[float]]) -> Callable[[Sequence[int]], np.ndarray]:
    """A hand-written model: the probabilities of the longest suffix of the prefix found in ``probs``.

    :param probs: maps a context (a tuple of tokens, ``()`` required) to next-token
        probabilities of one common length, each row summing to 1.
    :raises ValueError: without a ``()`` row, or for rows of different lengths or not summing to 1.

    >>> import numpy as np
    >>> from concepts.decoding import table_lm
    >>> lm = table_lm({(): [0.5, 0.5], (1,): [0.9, 0.1]})
    >>> [round(float(p), 4) for p in np.exp(lm([0, 1]))]  # backs off to the context (1,)
    [0.9, 0.1]
    """
    rows = {tuple(k): np.asarray(v, dtype=np.float64) for k, v in probs.items()}
    if () not in rows or len({r.shape for r in rows.values()}) != 1 or rows[()].ndim != 1:
        raise ValueError(f"probs needs a () row and rows of one length; got keys {list(rows)}")
    if any(not np.isclose(r.sum(), 1.0) or (r < 0).any() for r in rows.values()):
        raise ValueError("every row of probs must be non-negative and sum to 1")
    with np.errstate(divide="ignore"):
        table = {k: np.log(r) for k, r in rows.items()}
    return lambda prefix: next(table[tuple(prefix[i:])] for i in range(len(prefix) + 1) if tuple(prefix[i:]) in table)


def length_penalty(length: int, alpha: float, *, form: str = "simple") -> float:
    """The divisor of a finished hypothesis's summed log-probability.

    ``"simple"``: ``length ** alpha`` (fairseq's ``lenpen``, Hugging Face's
    ``length_penalty``). ``"gnmt"``: ``((5 + length) / 6) ** alpha`` (Wu et al., 2016),
    which is 1 at length 1. ``alpha = 0`` means no normalisation; ``alpha = 1`` with the
    simple form ranks by the mean log-probability per token.

    :param length: generated tokens, counting EOS, at least 1.
    :raises ValueError: for a length below 1, a non-finite ``alpha`` or an unknown form.

    >>> from concepts.decoding import length_penalty
    >>> length_penalty(4, 0.5), length_penalty(7, 1.0, form="gnmt")
    (2.0, 2.0)
    """
    length = _int("length", length, 1)
    if not math.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number; got {alpha!r}")
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}; got {form!r}")
    return float(length**alpha if form == "simple" else ((5 + length) / 6) ** alpha)  # lp(Y)


def _check_penalty(logits_shape: tuple, tokens_shape: tuple, penalty: float) -> None:
    if len(logits_shape) < 1 or len(tokens_shape) != len(logits_shape) or tokens_shape[:-1] != logits_shape[:-1]:
        raise ValueError(
            f"tokens must have shape {(*logits_shape[:-1], 'seq')} for logits {logits_shape}; got {tokens_shape}"
        )
    if not (math.isfinite(penalty) and penalty > 0):
        raise ValueError(f"penalty must be a positive finite number; got {penalty!r}")


def apply_repetition_penalty(logits: ArrayLike, tokens: ArrayLike, penalty: float) -> np.ndarray:
    """CTRL's repetition penalty as Hugging Face applies it, once per token that already occurred.

    A seen token's positive logit is divided by ``penalty`` and a negative one multiplied,
    so ``penalty > 1`` always makes it less likely; other tokens are untouched.

    :param logits: scores of shape ``(..., vocab)``.
    :param tokens: previous tokens of shape ``(..., seq)``, same leading axes.
    :raises ValueError: for mismatched shapes or a penalty that is not positive.

    >>> from concepts.decoding import apply_repetition_penalty
    >>> apply_repetition_penalty([2.0, -1.0, 3.0], [0, 1, 1], 2.0).tolist()
    [1.0, -2.0, 3.0]
    """
    logits, tokens = as_array(logits, "logits"), as_array(tokens, "tokens", dtype=np.int64)
    _check_penalty(logits.shape, tokens.shape, penalty)
    seen = np.zeros(logits.shape, dtype=bool)
    np.put_along_axis(seen, tokens, True, axis=-1)  # (..., vocab): has the token occurred?
    return np.where(seen, np.where(logits > 0, logits / penalty, logits * penalty), logits)  # x/θ if x>0 else xθ


def apply_repetition_penalty_torch(logits: torch.Tensor, tokens: torch.Tensor, penalty: float) -> torch.Tensor:
    """PyTorch mirror of ``apply_repetition_penalty``; keeps the dtype of ``logits``.

    >>> import torch
    >>> from concepts.decoding import apply_repetition_penalty_torch
    >>> apply_repetition_penalty_torch(torch.tensor([[2.0, -1.0, 3.0]]), torch.tensor([[0, 1, 1]]), 2.0).tolist()
    [[1.0, -2.0, 3.0]]
    """
    torch = require_torch()
    logits, tokens = require_tensor(logits, "logits"), require_tensor(tokens, "tokens")
    _check_penalty(tuple(logits.shape), tuple(tokens.shape), penalty)
    seen = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, tokens, True)  # (..., vocab)
    return torch.where(seen, torch.where(logits > 0, logits / penalty, logits * penalty), logits)


def _banned(tokens: Sequence[int], n: int) -> list[int]:
    """Tokens that would complete an n-gram already in ``tokens``: ``[1, 2, 1]``, n=2 -> ``[2]``."""
    last = tuple(tokens[len(tokens) - n + 1 :]) if n > 1 else ()
    return [tokens[i + n - 1] for i in range(len(tokens) - n + 1) if tuple(tokens[i : i + n - 1]) == last]


def block_repeated_ngrams(logits: ArrayLike, tokens: Sequence[int], n: int) -> np.ndarray:
    """Set to ``-inf`` every next token that would repeat an n-gram of ``tokens`` (``no_repeat_ngram_size=n``).

    :param logits: scores of shape ``(vocab,)``.
    :param tokens: the sequence so far (prompt and generated tokens).
    :raises ValueError: for ``n < 1`` or logits that are not one-dimensional.

    >>> from concepts.decoding import block_repeated_ngrams
    >>> block_repeated_ngrams([0.0, 0.0, 0.0], [1, 2, 1], 2).tolist()  # "1 2" happened: no 2 after 1
    [0.0, 0.0, -inf]
    """
    n, out = _int("n", n, 1), np.array(logits, dtype=np.float64)
    if out.ndim != 1:
        raise ValueError(f"logits must have shape (vocab,); got {out.shape}")
    out[_banned([int(t) for t in tokens], n)] = -np.inf
    return out


def _check_search(
    prompt: list[int], beam_width: int, max_len: int, eos: int, alpha: float, form: str, ngram: int, penalty: float
) -> None:
    for name, n, low in (("beam_width", beam_width, 1), ("max_len", max_len, 1), ("eos", eos, 0)):
        _int(name, n, low)
    _int("no_repeat_ngram_size", ngram, 0)
    length_penalty(1, alpha, form=form)
    if not (math.isfinite(penalty) and penalty > 0):
        raise ValueError(f"repetition_penalty must be a positive finite number; got {penalty!r}")
    if eos in prompt:
        raise ValueError(f"prompt must not contain eos = {eos}; got {prompt}")


def _next_scores(next_log_probs: NextLogProbs, prefix: list[int], ngram: int, penalty: float) -> np.ndarray:
    """The model's log-probabilities after the repetition penalty and n-gram blocking, shape ``(vocab,)``."""
    row = np.asarray(next_log_probs(prefix), dtype=np.float64)
    if row.ndim != 1 or (row > 1e-9).any():
        raise ValueError(
            f"next_log_probs must return log-probabilities (<= 0) of shape (vocab,); got shape {row.shape}"
        )
    if penalty != 1.0 and prefix:
        row = apply_repetition_penalty(row, prefix, penalty)
    return block_repeated_ngrams(row, prefix, ngram) if ngram else row


def greedy_search(
    next_log_probs: Callable[[Sequence[int]], np.ndarray],
    prompt: Sequence[int] = (),
    *,
    max_len: int,
    eos: int = EOS,
    no_repeat_ngram_size: int = 0,
    repetition_penalty: float = 1.0,
) -> tuple[list[int], float]:
    """Take the most likely next token until EOS or ``max_len`` tokens.

    :param next_log_probs: the model, ``prefix -> (vocab,)`` log-probabilities.
    :param prompt: tokens before the output; they count for both repetition controls.
    :returns: the generated tokens (EOS included if reached) and their summed log-probability.
    :raises ValueError: for bad lengths, penalties, or an EOS inside the prompt.

    >>> from concepts.decoding import greedy_search, table_lm
    >>> lm = table_lm({(): [0.1, 0.5, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]})
    >>> tokens, score = greedy_search(lm, max_len=2)
    >>> tokens, round(score, 4)  # log(0.5 * 0.4)
    ([1, 0], -1.6094)
    """
    prompt = [int(t) for t in prompt]
    _check_search(prompt, 1, max_len, eos, 0.0, "simple", no_repeat_ngram_size, repetition_penalty)
    tokens, score = [], 0.0
    for _ in range(max_len):
        row = _next_scores(next_log_probs, prompt + tokens, no_repeat_ngram_size, repetition_penalty)
        token = int(np.argmax(row))  # y_t = argmax_y log p(y | y_<t)
        tokens.append(token)
        score += float(row[token])
        if token == eos:
            break
    return tokens, score


def _done(finished: list, live_best: float, t: int, max_len: int, alpha: float, form: str, early: bool, k: int) -> bool:
    """Can the search stop after step ``t``? ``early``: once ``k`` hypotheses have finished
    (Hugging Face's ``early_stopping=True``), which is not exact for any ``alpha`` when ``k >= 2``:
    an EOS needs only a top-``k`` rank to finish, so a live prefix may still be better.
    Otherwise only when no live hypothesis can still win: its log-probability can only
    fall, so its best final score is at the most favourable length."""
    if not finished or early:
        return len(finished) >= k
    reach = max(live_best / length_penalty(n, alpha, form=form) for n in (t + 1, max_len))
    return max(s for s, _ in finished) >= reach


def beam_search(
    next_log_probs: Callable[[Sequence[int]], np.ndarray],
    prompt: Sequence[int] = (),
    *,
    beam_width: int,
    max_len: int,
    eos: int = EOS,
    alpha: float = 0.0,
    form: str = "simple",
    early_stopping: bool = False,
    no_repeat_ngram_size: int = 0,
    repetition_penalty: float = 1.0,
) -> tuple[list[int], float]:
    """Keep the ``beam_width`` best prefixes at every step; return the best finished hypothesis.

    Each step scores every (beam, token) pair by its summed log-probability and keeps the
    best ``2 * beam_width``: an EOS among the top ``beam_width`` finishes a hypothesis,
    scored ``sum log p / length_penalty(length, alpha)`` (length counts EOS), and the best
    non-EOS pairs fill the next beam. Live beams still open after ``max_len`` steps finish
    without EOS.

    :param alpha: the length-normalisation exponent; 0 ranks by the raw sum.
    :param form: ``"simple"`` (``length ** alpha``) or ``"gnmt"``; see ``length_penalty``.
    :param early_stopping: stop once ``beam_width`` hypotheses have finished (a heuristic,
        exact only for ``beam_width=1`` with ``alpha <= 0``); otherwise stop when no live
        hypothesis can still beat the best finished one (exact; Hugging Face's
        ``early_stopping="never"``).
    :returns: the best hypothesis's tokens and its normalised score.
    :raises ValueError: as ``greedy_search``, and for a bad ``beam_width``, ``alpha`` or ``form``.

    >>> from concepts.decoding import beam_search, table_lm
    >>> lm = table_lm({(): [0.1, 0.5, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]})
    >>> tokens, score = beam_search(lm, beam_width=2, max_len=2)
    >>> tokens, round(score, 4)  # log(0.4 * 0.9): beats greedy's log(0.5 * 0.4)
    ([2, 0], -1.0217)
    """
    prompt = [int(t) for t in prompt]
    _check_search(prompt, beam_width, max_len, eos, alpha, form, no_repeat_ngram_size, repetition_penalty)
    beams, scores, finished = [[]], np.zeros(1), []  # live prefixes, their log-probs (k,), (score, tokens)
    for t in range(1, max_len + 1):
        rows = np.stack(
            [_next_scores(next_log_probs, prompt + b, no_repeat_ngram_size, repetition_penalty) for b in beams]
        )
        total = scores[:, None] + rows  # log p(y_<=t) = log p(y_<t) + log p(y_t | y_<t), (k, V)
        best = np.argsort(-total, axis=None, kind="stable")[: 2 * beam_width]  # flat index = beam * V + token
        beams_, scores_ = [], []
        for rank, (b, token) in enumerate(zip(*np.divmod(best, total.shape[1]), strict=True)):
            if total[b, token] == -np.inf or len(beams_) == beam_width:
                break
            if token == eos and rank < beam_width:
                finished.append((total[b, token] / length_penalty(t, alpha, form=form), beams[b] + [eos]))
            elif token != eos:
                beams_.append(beams[b] + [int(token)])
                scores_.append(total[b, token])
        beams, scores = beams_, np.array(scores_)
        if not beams or _done(finished, scores.max(), t, max_len, alpha, form, early_stopping, beam_width):
            break
    else:  # still open after max_len tokens
        finished += [(s / length_penalty(max_len, alpha, form=form), b) for s, b in zip(scores, beams, strict=True)]
    score, tokens = max(finished, key=lambda f: f[0])
    return tokens, float(score)


def beam_search_torch(
    next_log_probs: Callable[[Sequence[int]], np.ndarray],
    prompt: Sequence[int] = (),
    *,
    beam_width: int,
    max_len: int,
    eos: int = EOS,
    alpha: float = 0.0,
    form: str = "simple",
    early_stopping: bool = False,
    no_repeat_ngram_size: int = 0,
    repetition_penalty: float = 1.0,
) -> tuple[list[int], float]:
    """PyTorch mirror of ``beam_search``: one ``topk`` over the ``(beam, vocab)`` scores per step, float64.

    >>> from concepts.decoding import beam_search_torch, table_lm
    >>> lm = table_lm({(): [0.1, 0.5, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]})
    >>> tokens, score = beam_search_torch(lm, beam_width=2, max_len=2)
    >>> tokens, round(score, 4)
    ([2, 0], -1.0217)
    """
    torch = require_torch()
    prompt = [int(t) for t in prompt]
    _check_search(prompt, beam_width, max_len, eos, alpha, form, no_repeat_ngram_size, repetition_penalty)
    beams, scores, finished = [[]], torch.zeros(1, dtype=torch.float64), []
    for t in range(1, max_len + 1):
        rows = torch.stack([torch.as_tensor(_next_scores(next_log_probs, prompt + b, 0, 1.0)) for b in beams])
        if repetition_penalty != 1.0 and prompt + beams[0]:
            seen = torch.tensor([prompt + b for b in beams])  # (k, len)
            rows = apply_repetition_penalty_torch(rows, seen, repetition_penalty)
        for i, b in enumerate(beams if no_repeat_ngram_size else []):
            rows[i, _banned(prompt + b, no_repeat_ngram_size)] = -math.inf  # n-gram blocking
        total = scores[:, None] + rows  # (k, V)
        top = torch.topk(total.flatten(), min(2 * beam_width, total.numel()))
        beams_, scores_ = [], []
        for rank, (s, flat) in enumerate(zip(top.values.tolist(), top.indices.tolist(), strict=True)):
            b, token = divmod(flat, total.shape[1])
            if s == -math.inf or len(beams_) == beam_width:
                break
            if token == eos and rank < beam_width:
                finished.append((s / length_penalty(t, alpha, form=form), beams[b] + [eos]))
            elif token != eos:
                beams_.append(beams[b] + [token])
                scores_.append(s)
        beams, scores = beams_, torch.tensor(scores_, dtype=torch.float64)
        if not beams or _done(finished, float(scores.max()), t, max_len, alpha, form, early_stopping, beam_width):
            break
    else:
        finished += [(s / length_penalty(max_len, alpha, form=form), b) for s, b in zip(scores.tolist(), beams)]  # noqa: B905
    score, tokens = max(finished, key=lambda f: f[0])
    return tokens, float(score)
