"""Checks for the masking exercises: a causal mask with both alignments, and a padded batch's mask.

The trusted references are the definitions written out element by element (query ``i`` may
see key ``j`` iff ``j <= i + offset``), ``torch.tril``, and PyTorch's
``scaled_dot_product_attention`` run on each sequence with its padding cut off. A property
check runs a random attention layer: changing a future or a padded token must never change
an earlier or a real output. ``tests/concepts/test_masking.py`` runs the same checks on
``concepts.masking``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS", "one_layer"]


def _by_definition(seq_q: int, seq_k: int, offset: int) -> np.ndarray:
    return np.array([[j <= i + offset for j in range(seq_k)] for i in range(seq_q)], dtype=bool)


# ---------------------------------------------------------------- masking.causal-mask


@check("a boolean numpy array of shape (seq_q, seq_k)", section="masking-causal")
def check_causal_shape_and_dtype(candidate: Callable) -> None:
    for args in ((3,), (2, 5), (5, 2)):
        got = np.asarray(candidate(*args))
        want = (args[0], args[-1])
        expect(got.shape == want, f"causal_mask{args} has shape {got.shape}; expected {want}")
        expect(got.dtype == bool, f"causal_mask{args} has dtype {got.dtype}; expected bool (True = may attend)")


@check("square masks equal torch.ones(n, n).tril(): query i sees keys 0..i", section="masking-causal")
def check_causal_square(candidate: Callable) -> None:
    torch = require_torch()
    for n in (1, 2, 3, 6):
        compare(candidate(n), torch.ones(n, n, dtype=torch.bool).tril().numpy(), inputs={"seq_q": n})


@check("rectangular masks aligned top-left: query i sees keys j <= i, as SDPA's is_causal", section="masking-causal")
def check_causal_top_left(candidate: Callable) -> None:
    for seq_q, seq_k in ((1, 4), (2, 5), (5, 2), (3, 3)):
        compare(candidate(seq_q, seq_k), _by_definition(seq_q, seq_k, 0), inputs={"seq_q": seq_q, "seq_k": seq_k})


@check(
    "bottom-right alignment: query i sees keys j <= i + seq_k - seq_q (decoding with a cache)", section="masking-causal"
)
def check_causal_bottom_right(candidate: Callable) -> None:
    for seq_q, seq_k in ((1, 4), (2, 5), (5, 2), (3, 3)):
        got = candidate(seq_q, seq_k, align="bottom-right")
        inputs = {"seq_q": seq_q, "seq_k": seq_k, "align": "bottom-right"}
        compare(got, _by_definition(seq_q, seq_k, seq_k - seq_q), inputs=inputs)


# ---------------------------------------------------------------- masking.batch-mask


def _sdpa(q, k, v, *, mask=None, is_causal=False) -> np.ndarray:
    torch = require_torch()
    t = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)) for a in (q, k, v)]
    m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    return torch.nn.functional.scaled_dot_product_attention(*t, attn_mask=m, is_causal=is_causal).numpy()


def one_layer(x: np.ndarray, mask: np.ndarray, seed: int = 0) -> np.ndarray:
    """A random single-layer, two-head self-attention model in float64: (B, T, d) -> (B, T, d)."""
    rng = np.random.default_rng(seed)
    batch, seq, d = x.shape
    w_q, w_k, w_v, w_o = rng.standard_normal((4, d, d)) / math.sqrt(d)
    heads = [(x @ w).reshape(batch, seq, 2, d // 2).swapaxes(1, 2) for w in (w_q, w_k, w_v)]  # (B, h, T, d_k)
    return _sdpa(*heads, mask=mask).swapaxes(1, 2).reshape(batch, seq, d) @ w_o


def _padding(lengths: list[int], seq: int, side: str) -> np.ndarray:
    pos = np.arange(seq)
    lengths_col = np.array(lengths)[:, None]
    return pos < lengths_col if side == "right" else pos >= seq - lengths_col


@check("shape (batch, 1, seq_len, seq_len), dtype bool", section="masking-combined")
def check_batch_shape_and_dtype(candidate: Callable) -> None:
    padding = _padding([3, 1], 3, "right")
    for kwargs in ({}, {"is_causal": True}, {"prefix_len": 2}):
        got = np.asarray(candidate(padding, **kwargs))
        expect(
            got.shape == (2, 1, 3, 3),
            f"with {kwargs or 'no structure'} the mask has shape {got.shape}; expected (2, 1, 3, 3)",
        )
        expect(got.dtype == bool, f"the mask has dtype {got.dtype}; expected bool (True = may attend)")


@check("each real query's output equals SDPA over its own unpadded sequence", section="masking-padding")
def check_batch_padding_against_sdpa(candidate: Callable) -> None:
    rng = np.random.default_rng(5)
    for side in ("right", "left"):
        for is_causal in (False, True):
            lengths, seq = [5, 2, 4], 5
            padding = _padding(lengths, seq, side)
            q, k, v = (rng.standard_normal((3, 2, seq, 4)) for _ in range(3))
            mask = np.asarray(candidate(padding, is_causal=is_causal))
            out = _sdpa(q, k, v, mask=mask)
            for b in range(3):
                real = np.flatnonzero(padding[b])
                alone = _sdpa(q[b][:, real], k[b][:, real], v[b][:, real], is_causal=is_causal)
                inputs = {"mask": padding, "is_causal": is_causal, "sequence": b}
                compare(
                    out[b][:, real],
                    alone,
                    inputs=inputs,
                    what=f"the real outputs of sequence {b}",
                    rtol=1e-9,
                    atol=1e-12,
                )


@check("with is_causal, changing token j never changes an output before j", section="masking-causal")
def check_batch_causality(candidate: Callable) -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 8))
    mask = np.asarray(candidate(np.ones((2, 6), dtype=bool), is_causal=True))
    out = one_layer(x, mask)
    for j in range(6):
        x2 = x.copy()
        x2[:, j] = 100 * rng.standard_normal((2, 8))
        out2 = one_layer(x2, mask)
        compare(
            out2[:, :j],
            out[:, :j],
            inputs={"changed token": j},
            what=f"the outputs before token {j}",
            rtol=0,
            atol=1e-12,
        )
        expect(
            not np.allclose(out2[:, j], out[:, j]),
            f"changing token {j} did not change its own output: is the diagonal masked?",
        )


@check("whatever sits at a padded position, no real output changes", section="masking-padding")
def check_batch_padding_invisible(candidate: Callable) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 6, 8))
    for side in ("right", "left"):
        padding = _padding([6, 3, 1], 6, side)
        for kwargs in ({}, {"is_causal": True}, {"prefix_len": 2}):
            mask = np.asarray(candidate(padding, **kwargs))
            x2 = np.where(padding[..., None], x, 1e3 * rng.standard_normal(x.shape))
            got, want = one_layer(x2, mask)[padding], one_layer(x, mask)[padding]
            compare(got, want, inputs={"mask": padding, **kwargs}, what="the real tokens' outputs", rtol=0, atol=1e-10)


@check("prefix_len: bidirectional over the prefix, causal after it; 0 is causal", section="masking-prefix-lm")
def check_batch_prefix_lm(candidate: Callable) -> None:
    for seq, prefix in ((5, 2), (4, 0), (3, 3)):
        want = np.array([[j <= i or j < prefix for j in range(seq)] for i in range(seq)])[None, None]
        compare(
            candidate(np.ones((1, seq), dtype=bool), prefix_len=prefix),
            want,
            inputs={"seq_len": seq, "prefix_len": prefix},
        )


@check("mask_queries=True empties the padded queries' rows and nothing else", section="masking-fully-masked")
def check_batch_mask_queries(candidate: Callable) -> None:
    padding = _padding([3, 1], 3, "right")
    causal = np.tril(np.ones((3, 3), dtype=bool))
    want = causal & padding[:, None, None, :] & padding[:, None, :, None]
    compare(
        candidate(padding, is_causal=True, mask_queries=True),
        want,
        inputs={"mask": padding, "is_causal": True, "mask_queries": True},
    )
    compare(
        candidate(padding, is_causal=True),
        causal & padding[:, None, None, :],
        inputs={"mask": padding, "is_causal": True},
    )


CHECKS: dict[str, list] = {
    "masking.causal-mask": [
        check_causal_shape_and_dtype,
        check_causal_square,
        check_causal_top_left,
        check_causal_bottom_right,
    ],
    "masking.batch-mask": [
        check_batch_shape_and_dtype,
        check_batch_padding_against_sdpa,
        check_batch_causality,
        check_batch_padding_invisible,
        check_batch_prefix_lm,
        check_batch_mask_queries,
    ],
}
