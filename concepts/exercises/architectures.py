"""Checks for the architectures exercises: the prefix-LM mask, and the three masks of an encoder-decoder.

The trusted references are masks written out by hand, the definitions element by element,
``torch.tril``, and experiments on random float64 attention layers run with PyTorch's SDPA:
changing a later token, or a padded one, must not move the outputs the mask protects.
``tests/concepts/test_architectures.py`` runs the same checks on ``concepts.architectures``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]

# Written out by hand, 1 = may attend; rows are queries, columns keys.
PREFIX_4_2 = [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
PREFIX_5_3 = [[1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]


def _sdpa(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    torch = require_torch()
    t = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)) for a in (q, k, v)]
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    return torch.nn.functional.scaled_dot_product_attention(*t, attn_mask=m).numpy()


def _attend(x_q: np.ndarray, x_kv: np.ndarray, mask: np.ndarray | None, seed: int) -> np.ndarray:
    """One random head: queries from ``x_q``, keys and values from ``x_kv`` (float64)."""
    rng = np.random.default_rng(seed)
    d = x_q.shape[-1]
    w_q, w_k, w_v = rng.standard_normal((3, d, d)) / math.sqrt(d)
    if x_q.ndim == 2:  # one sequence, (T, d)
        return _sdpa(x_q @ w_q, x_kv @ w_k, x_kv @ w_v, mask)
    q, k, v = ((x @ w)[:, None] for x, w in ((x_q, w_q), (x_kv, w_k), (x_kv, w_v)))  # (B, 1 head, T, d)
    return _sdpa(q, k, v, mask)[:, 0]


# ---------------------------------------------------------------- architectures.prefix-mask


@check("equals prefix-LM masks written out by hand", section="architectures-prefix-lm")
def check_prefix_hand_written(candidate: Callable) -> None:
    for (n, p), want in (((4, 2), PREFIX_4_2), ((5, 3), PREFIX_5_3)):
        compare(np.asarray(candidate(n, p)), np.array(want, dtype=bool), inputs={"seq_len": n, "prefix_len": p})


@check("prefix_len = 0 is the causal mask and prefix_len = seq_len the full one", section="architectures-prefix-lm")
def check_prefix_extremes(candidate: Callable) -> None:
    torch = require_torch()
    for n in (1, 2, 5):
        compare(
            candidate(n, 0), torch.ones(n, n, dtype=torch.bool).tril().numpy(), inputs={"seq_len": n, "prefix_len": 0}
        )
        compare(candidate(n, n), np.ones((n, n), dtype=bool), inputs={"seq_len": n, "prefix_len": n})


@check(
    "a prefix token never sees the continuation; a continuation token never sees its future",
    section="architectures-prefix-lm",
)
def check_prefix_no_leak(candidate: Callable) -> None:
    n, p = 6, 3
    mask = np.asarray(candidate(n, p))
    x = np.random.default_rng(0).standard_normal((n, 8))
    out = _attend(x, x, mask, seed=1)
    for j in range(p, n):  # change a continuation token: nothing before it may move
        x2 = x.copy()
        x2[j] += 5.0
        moved = _attend(x2, x2, mask, seed=1)
        compare(
            moved[:j],
            out[:j],
            inputs={"seq_len": n, "prefix_len": p, "changed token": j},
            what=f"the outputs before token {j}",
            rtol=0,
            atol=1e-12,
        )
    x2 = x.copy()
    x2[p - 1] += 5.0  # the last prefix token: every output, prefix included, sees it
    moved = _attend(x2, x2, mask, seed=1)
    expect(
        not np.allclose(moved[0], out[0]),
        f"changing prefix token {p - 1} did not change output 0: the prefix is not bidirectional",
    )


# ---------------------------------------------------------------- architectures.encdec-builder


def _padding(lengths: list[int], seq: int) -> np.ndarray:
    return np.arange(seq) < np.array(lengths)[:, None]


@check(
    "three boolean masks of shapes (B, 1, S, S), (B, 1, T, T) and (B, 1, T, S)", section="architectures-encoder-decoder"
)
def check_encdec_shapes(candidate: Callable) -> None:
    src, tgt = _padding([4, 2], 4), _padding([3, 1], 3)
    got = candidate(src, tgt)
    expect(
        isinstance(got, tuple | list) and len(got) == 3,
        f"return (encoder_self, decoder_self, cross); got {type(got).__name__}",
    )
    for name, m, want in zip(
        ("encoder_self", "decoder_self", "cross"), got, ((2, 1, 4, 4), (2, 1, 3, 3), (2, 1, 3, 4)), strict=True
    ):
        m = np.asarray(m)
        expect(
            m.shape == want, f"{name} has shape {m.shape}; expected {want} for S = 4 source and T = 3 target positions"
        )
        expect(m.dtype == bool, f"{name} has dtype {m.dtype}; expected bool (True = may attend)")


@check(
    "a batch worked by hand: full encoder, causal decoder, cross-attention over the real source",
    section="architectures-encoder-decoder",
)
def check_encdec_hand_worked(candidate: Callable) -> None:
    src, tgt = _padding([3, 1], 3), _padding([2, 1], 2)
    enc, dec, cross = (np.asarray(m) for m in candidate(src, tgt))
    inputs = {"src_mask": src, "tgt_mask": tgt}
    compare(
        enc[:, 0], np.array([[[1, 1, 1]] * 3, [[1, 0, 0]] * 3], dtype=bool), inputs=inputs, what="encoder_self[:, 0]"
    )
    compare(
        dec[:, 0], np.array([[[1, 0], [1, 1]], [[1, 0], [1, 0]]], dtype=bool), inputs=inputs, what="decoder_self[:, 0]"
    )
    compare(cross[:, 0], np.array([[[1, 1, 1]] * 2, [[1, 0, 0]] * 2], dtype=bool), inputs=inputs, what="cross[:, 0]")


@check(
    "changing padded source tokens never moves a real target output through cross-attention",
    section="architectures-encoder-decoder",
)
def check_encdec_cross_hides_source_padding(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    for src_lengths, tgt_lengths in (([5, 2, 3], [4, 4, 1]), ([3, 1, 2], [3, 3, 3])):
        src, tgt = _padding(src_lengths, max(src_lengths)), _padding(tgt_lengths, max(tgt_lengths))
        _, _, cross = candidate(src, tgt)
        memory = rng.standard_normal((*src.shape, 8))
        y = rng.standard_normal((*tgt.shape, 8))
        out = _attend(y, memory, np.asarray(cross), seed=3)
        memory2 = np.where(src[..., None], memory, 1e3 * rng.standard_normal(memory.shape))
        moved = _attend(y, memory2, np.asarray(cross), seed=3)
        inputs = {"src_mask": src, "tgt_mask": tgt}
        compare(moved[tgt], out[tgt], inputs=inputs, what="the real target outputs", rtol=0, atol=1e-10)


@check(
    "decoder self-attention: a later or padded target token never moves an earlier real output",
    section="architectures-decoder",
)
def check_encdec_decoder_causal(candidate: Callable) -> None:
    rng = np.random.default_rng(4)
    src, tgt = _padding([2, 3], 3), _padding([5, 3], 5)
    _, dec, _ = candidate(src, tgt)
    dec = np.asarray(dec)
    y = rng.standard_normal((2, 5, 8))
    out = _attend(y, y, dec, seed=5)
    for j in range(5):
        y2 = y.copy()
        y2[:, j] = 1e3 * rng.standard_normal((2, 8))
        moved = _attend(y2, y2, dec, seed=5)
        before = tgt.copy()
        before[:, j:] = False
        compare(
            moved[before],
            out[before],
            inputs={"tgt_mask": tgt, "changed token": j},
            what=f"the real outputs before target token {j}",
            rtol=0,
            atol=1e-10,
        )


CHECKS: dict[str, list] = {
    "architectures.prefix-mask": [check_prefix_hand_written, check_prefix_extremes, check_prefix_no_leak],
    "architectures.encdec-builder": [
        check_encdec_shapes,
        check_encdec_hand_worked,
        check_encdec_cross_hides_source_padding,
        check_encdec_decoder_causal,
    ],
}
