"""Checks for the encoder-decoder exercises: teacher forcing's shift right, and T5's position buckets.

The trusted references are written here in PyTorch, independently of
``concepts.encoder_decoder_models``: ``torch.roll`` then a start token then ``masked_fill``
for the shift, and a direct transcription of Mesh TensorFlow's bucketing rule with
``torch.log`` in float32 (the arithmetic ``transformers``' ``T5Attention`` uses, with which
``tests/concepts/test_encoder_decoder_models.py`` compares our code exactly), plus values
worked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS", "torch_buckets", "torch_shift_right"]


def torch_shift_right(labels: np.ndarray, decoder_start_token_id: int, pad_token_id: int) -> np.ndarray:
    """Roll right by one, overwrite the first column with the start token, replace -100 by the pad."""
    torch = require_torch()
    t = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    rolled = torch.roll(t, shifts=1, dims=-1)
    rolled[..., 0] = decoder_start_token_id
    return rolled.masked_fill(rolled == -100, pad_token_id).numpy()


def torch_buckets(rel: np.ndarray, bidirectional: bool, num_buckets: int, max_distance: int) -> np.ndarray:
    """T5's rule: sign half (bidirectional) or future to 0 (causal), exact below max_exact, log above."""
    torch = require_torch()
    r = torch.from_numpy(np.asarray(rel, dtype=np.int64))
    offset = torch.zeros_like(r)
    if bidirectional:
        num_buckets //= 2
        offset = torch.where(r > 0, num_buckets, 0)
        n = r.abs()
    else:
        n = torch.clamp(-r, min=0)
    max_exact = num_buckets // 2
    ratio = torch.log(n.clamp(min=1).float() / max_exact) / math.log(max_distance / max_exact)
    large = (max_exact + (ratio * (num_buckets - max_exact)).long()).clamp(max=num_buckets - 1)
    return (offset + torch.where(n < max_exact, n, large)).numpy()


# ---------------------------------------------------------------- encoder_decoder_models.shift-right


@check("worked by hand: (5, 6, -100, -100) with start 2 and pad 1 gives (2, 5, 6, 1)", section="encdec-teacher-forcing")
def check_hand_worked_example(candidate: Callable) -> None:
    """The decoder sees the start token, then each label one step late; the -100 that slides in becomes the pad."""
    labels = np.array([[5, 6, -100, -100]])
    got = candidate(labels, decoder_start_token_id=2, pad_token_id=1)
    compare(got, np.array([[2, 5, 6, 1]]), inputs={"labels": labels}, rtol=0, atol=0)
    labels = np.array([[7, 8, 9]])
    got = candidate(labels, decoder_start_token_id=0, pad_token_id=0)
    compare(got, np.array([[0, 7, 8]]), inputs={"labels": labels}, rtol=0, atol=0)


@check("equals a PyTorch roll, start token and masked_fill on random padded labels", section="encdec-teacher-forcing")
def check_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for batch, seq_len, start, pad in ((1, 1, 0, 0), (2, 3, 2, 1), (3, 7, 0, 0), (4, 12, 5, 3)):
        labels = rng.integers(1, 50, size=(batch, seq_len))
        for row in labels:
            row[rng.integers(1, seq_len + 1) :] = -100
        labels[0, rng.integers(0, seq_len)] = -100
        got = candidate(labels, decoder_start_token_id=start, pad_token_id=pad)
        inputs = {"labels": labels, "decoder_start_token_id": start, "pad_token_id": pad}
        compare(got, torch_shift_right(labels, start, pad), inputs=inputs, rtol=0, atol=0)


@check(
    "no -100 reaches the decoder, and the input's shape and dtype are integer and unchanged",
    section="encdec-teacher-forcing",
)
def check_no_ignore_index(candidate: Callable) -> None:
    labels = np.full((2, 5), -100)
    labels[:, 0] = 4
    got = np.asarray(candidate(labels, decoder_start_token_id=0, pad_token_id=0))
    expect(got.shape == labels.shape, f"the output must have the labels' shape {labels.shape}; got {got.shape}")
    expect(np.issubdtype(got.dtype, np.integer), f"the output must hold integer ids; got dtype {got.dtype}")
    expect(not (got == -100).any(), f"-100 must become pad_token_id before it reaches the embedding; got\n{got}")


# ---------------------------------------------------------------- encoder_decoder_models.relative-position-bucket


@check("worked by hand: T5's defaults on -200, -20, -7, 0, 7, 8, 20, 200", section="encdec-relative-buckets")
def check_bucket_hand_worked(candidate: Callable) -> None:
    """Bidirectional: 16 buckets per side, exact below 8; 20 -> 8 + floor(log(2.5) / log(16) * 8) = 10, plus 16
    after the query; 200 is past max_distance and capped at 15 (31). Causal: 32 buckets for the past,
    exact below 16; -20 -> 16 + floor(log(1.25) / log(8) * 16) = 17; the future is bucket 0."""
    rel = np.array([-200, -20, -7, 0, 7, 8, 20, 200])
    compare(candidate(rel), np.array([15, 10, 7, 0, 23, 24, 26, 31]), inputs={"relative_position": rel}, rtol=0, atol=0)
    got = candidate(rel, bidirectional=False)
    want = np.array([31, 17, 7, 0, 0, 0, 0, 0])
    compare(got, want, inputs={"relative_position": rel, "bidirectional": False}, rtol=0, atol=0)


@check(
    "equals the float32 PyTorch rule on every offset in [-600, 600], both directions", section="encdec-relative-buckets"
)
def check_bucket_against_torch(candidate: Callable) -> None:
    rel = np.arange(-600, 601)
    for num_buckets, max_distance in ((32, 128), (16, 64), (64, 256)):
        for bidirectional in (True, False):
            kwargs = {"bidirectional": bidirectional, "num_buckets": num_buckets, "max_distance": max_distance}
            got = candidate(rel, **kwargs)
            want = torch_buckets(rel, bidirectional, num_buckets, max_distance)
            compare(got, want, inputs={"relative_position": rel, **kwargs}, rtol=0, atol=0)


@check(
    "a (query, key) matrix keeps its shape and every bucket lies in [0, num_buckets)", section="encdec-relative-buckets"
)
def check_bucket_matrix(candidate: Callable) -> None:
    rel = np.arange(300)[None, :] - np.arange(40)[:, None]  # key - query
    for bidirectional in (True, False):
        got = np.asarray(candidate(rel, bidirectional=bidirectional))
        expect(got.shape == rel.shape, f"the buckets must have the input's shape {rel.shape}; got {got.shape}")
        expect(got.min() >= 0 and got.max() < 32, f"buckets must lie in [0, 32); got {got.min()} to {got.max()}")
        compare(got, torch_buckets(rel, bidirectional, 32, 128), inputs={"relative_position": rel}, rtol=0, atol=0)


CHECKS: dict[str, list] = {
    "encoder_decoder_models.shift-right": [check_hand_worked_example, check_against_torch, check_no_ignore_index],
    "encoder_decoder_models.relative-position-bucket": [
        check_bucket_hand_worked,
        check_bucket_against_torch,
        check_bucket_matrix,
    ],
}
