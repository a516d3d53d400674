"""Checks for the sampling exercises: temperature with top-k, and top-p with renormalisation.

The trusted references are ``torch.softmax`` and ``torch.topk`` in float64, the nucleus from
its pairwise definition (token ``i`` is kept when the tokens strictly more probable than it
hold less than ``top_p``), and values worked by hand. ``tests/concepts/test_sampling.py``
runs the same checks on ``concepts.sampling``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]

HALVES = np.log([0.5, 0.25, 0.125, 0.125])
SHAPES = [(1,), (5,), (3, 7), (2, 3, 11)]  # smallest first: a vocabulary of one, one row, batches


def _logits(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return 2.0 * np.random.default_rng(seed).standard_normal(shape)  # continuous: no ties


def _torch_top_k(z: np.ndarray, k: int, temperature: float) -> np.ndarray:
    torch = require_torch()
    t = torch.from_numpy(z) / temperature
    kth = torch.topk(t, min(k, t.shape[-1]), dim=-1).values[..., -1:]
    return torch.softmax(t.masked_fill(t < kth, float("-inf")), dim=-1).numpy()


def _nucleus(z: np.ndarray, top_p: float, temperature: float) -> np.ndarray:
    torch = require_torch()
    p = torch.softmax(torch.from_numpy(z) / temperature, dim=-1)
    above = (p.unsqueeze(-2) > p.unsqueeze(-1)) * p.unsqueeze(-2)  # [.., i, j] = p_j if p_j > p_i
    keep = above.sum(-1) < top_p  # the tokens more probable than i hold less than top_p
    q = p * keep
    return (q / q.sum(-1, keepdim=True)).numpy()


# ---------------------------------------------------------------- sampling.temperature-top-k


@check(
    "p = (0.4, 0.3, 0.2, 0.1), k = 2 gives (4/7, 3/7, 0, 0); logits (2, 1, 0) at T = 0.5, k = 2",
    section="sampling-top-k",
)
def check_top_k_hand_worked(candidate: Callable) -> None:
    """Top-2 keeps 0.4 and 0.3, which hold 0.7: renormalised 4/7 and 3/7. At T = 0.5 the
    logits become (4, 2, 0); the top two are in the ratio e^4 : e^2 = 0.8808 : 0.1192."""
    z = np.log([0.4, 0.3, 0.2, 0.1])
    compare(candidate(z, 2), [4 / 7, 3 / 7, 0.0, 0.0], inputs={"logits": z, "k": 2}, atol=1e-9)
    z = np.array([2.0, 1.0, 0.0])
    want = np.array([np.exp(4.0), np.exp(2.0), 0.0]) / (np.exp(4.0) + np.exp(2.0))
    compare(candidate(z, 2, temperature=0.5), want, inputs={"logits": z, "k": 2, "temperature": 0.5}, atol=1e-9)


@check("equals softmax(z / T) masked by torch.topk on random logits, any batch shape and k", section="sampling-top-k")
def check_top_k_against_torch(candidate: Callable) -> None:
    for i, shape in enumerate(SHAPES):
        z = _logits(shape, i)
        for k in sorted({1, 3, shape[-1], shape[-1] + 2}):
            for temperature in (1.0, 0.5, 2.0):
                got = candidate(z, k, temperature=temperature)
                inputs = {"logits": z, "k": k, "temperature": temperature}
                compare(got, _torch_top_k(z, k, temperature), inputs=inputs, rtol=1e-9, atol=1e-12)


@check("a tie with the k-th token keeps every tied token", section="sampling-top-k")
def check_top_k_ties(candidate: Callable) -> None:
    """p = (0.5, 0.25, 0.125, 0.125) and k = 3: the third and fourth tie, so both stay (as Hugging
    Face's TopKLogitsWarper does); the result never depends on how tokens are numbered."""
    compare(candidate(HALVES, 3), np.exp(HALVES), inputs={"logits": HALVES, "k": 3}, atol=1e-9)
    flipped = HALVES[[0, 1, 3, 2]]
    compare(candidate(flipped, 3), np.exp(flipped), inputs={"logits": flipped, "k": 3}, atol=1e-9)


# ---------------------------------------------------------------- sampling.top-p


@check(
    "p = (0.5, 0.3, 0.15, 0.05): top_p 0.75 keeps two tokens (0.625, 0.375); 0.4 keeps one; 1 keeps all",
    section="sampling-top-p",
)
def check_top_p_hand_worked(candidate: Callable) -> None:
    """Cumulative sums 0.5, 0.8, 0.95, 1: the first to reach 0.75 is the second token, which is
    kept (the nucleus includes the token that crosses top_p); 0.5 / 0.8 = 0.625. With top_p 0.4
    the top token alone (0.5) covers it and is kept; top_p = 1 keeps the distribution."""
    z = np.log([0.5, 0.3, 0.15, 0.05])
    compare(candidate(z, 0.75), [0.625, 0.375, 0.0, 0.0], inputs={"logits": z, "top_p": 0.75}, atol=1e-9)
    compare(candidate(z, 0.4), [1.0, 0.0, 0.0, 0.0], inputs={"logits": z, "top_p": 0.4}, atol=1e-9)
    compare(candidate(z, 1.0), np.exp(z), inputs={"logits": z, "top_p": 1.0}, atol=1e-9)


@check("equals the nucleus from its definition, renormalised, on random logits and batches", section="sampling-top-p")
def check_top_p_against_definition(candidate: Callable) -> None:
    for i, shape in enumerate(SHAPES):
        z = _logits(shape, 10 + i)
        for top_p in (0.1, 0.5, 0.9, 0.99):
            for temperature in (1.0, 0.7):
                got = candidate(z, top_p, temperature=temperature)
                expect(
                    np.allclose(np.asarray(got, dtype=float).sum(-1), 1.0),
                    "every row must sum to 1 after renormalising",
                )
                inputs = {"logits": z, "top_p": top_p, "temperature": temperature}
                compare(got, _nucleus(z, top_p, temperature), inputs=inputs, rtol=1e-9, atol=1e-12)


@check("temperature applies before the nucleus is chosen, as in Hugging Face's generate", section="sampling-order")
def check_top_p_temperature_first(candidate: Callable) -> None:
    """p = (0.5, 0.25, 0.125, 0.125), T = 0.5: the tempered top token has 16/22 = 0.727 >= 0.7, so
    the nucleus is that token alone. Filtering first would keep two tokens and give (0.8, 0.2)."""
    inputs = {"logits": HALVES, "top_p": 0.7, "temperature": 0.5}
    compare(candidate(HALVES, 0.7, temperature=0.5), [1.0, 0.0, 0.0, 0.0], inputs=inputs, atol=1e-9)


CHECKS: dict[str, list] = {
    "sampling.temperature-top-k": [check_top_k_hand_worked, check_top_k_against_torch, check_top_k_ties],
    "sampling.top-p": [check_top_p_hand_worked, check_top_p_against_definition, check_top_p_temperature_first],
}
