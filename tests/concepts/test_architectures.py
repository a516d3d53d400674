"""The three families' attention patterns, against hand-written masks and against what they imply.

Each check takes the implementation under test, so it can grade a learner's own builders.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from support import check_numeric_keys

from concepts.architectures import (
    allowed_pairs,
    attention_pattern,
    cross_attention_mask,
    encoder_decoder_masks,
    full_mask,
    sees_the_future,
)
from concepts.attention import scaled_dot_product_attention
from concepts.exercises._harness import run_checks
from concepts.exercises.architectures import CHECKS
from concepts.masking import causal_mask, mlm_mask, padding_mask, prefix_lm_mask
from concepts.transformer import decoder_layer_param_count, encoder_layer_param_count

BANK = json.loads((Path(__file__).parents[2] / "quiz" / "banks" / "architectures.json").read_text(encoding="utf-8"))

# Written out by hand, 1 = may attend. Rows are queries, columns keys.
ENCODER_3 = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
DECODER_4 = [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
PREFIX_4_2 = [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
PREFIX_5_3 = [[1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]


def check_against_hand_written(pattern_fn) -> None:
    """``pattern_fn(kind, seq_len, prefix_len=...)`` reproduces the masks written out above."""
    assert pattern_fn("encoder", 3).astype(int).tolist() == ENCODER_3
    assert pattern_fn("decoder", 4).astype(int).tolist() == DECODER_4
    assert pattern_fn("prefix_lm", 4, prefix_len=2).astype(int).tolist() == PREFIX_4_2
    assert pattern_fn("prefix_lm", 5, prefix_len=3).astype(int).tolist() == PREFIX_5_3
    for n in (1, 2, 5):
        assert pattern_fn("prefix_lm", n, prefix_len=0).tolist() == pattern_fn("decoder", n).tolist()
        assert pattern_fn("prefix_lm", n, prefix_len=n).tolist() == pattern_fn("encoder", n).tolist()


def test_patterns_equal_hand_written_masks() -> None:
    check_against_hand_written(attention_pattern)
    assert cross_attention_mask(2, 3).astype(int).tolist() == [[1, 1, 1], [1, 1, 1]]
    assert full_mask(1).tolist() == [[True]] and causal_mask(1).tolist() == [[True]]


def test_decoder_mask_is_torchs_causal_mask() -> None:
    for n in (1, 3, 8):
        assert causal_mask(n).tolist() == torch.ones(n, n, dtype=torch.bool).tril().tolist()


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16])
def test_allowed_pairs_formula_counts_the_mask(n: int) -> None:
    """n^2, n(n+1)/2 and p^2 + (n(n+1) - p(p+1))/2 equal the number of True entries."""
    assert allowed_pairs("encoder", n) == full_mask(n).sum() == n * n
    assert allowed_pairs("decoder", n) == causal_mask(n).sum()
    for p in range(n + 1):
        assert allowed_pairs("prefix_lm", n, prefix_len=p) == prefix_lm_mask(n, p).sum()


def test_hand_worked_counts() -> None:
    """n = 4, p = 2: rows see 2, 2, 3 and 4 keys, so 11 pairs; a decoder sees 1 + 2 + 3 + 4 = 10."""
    assert allowed_pairs("prefix_lm", 4, prefix_len=2) == 11
    assert allowed_pairs("decoder", 4) == 10
    assert allowed_pairs("encoder", 4) == 16


def one_layer(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Self-attention with fixed random projections, float64: enough to see what depends on what."""
    rng = np.random.default_rng(0)
    d = x.shape[-1]
    wq, wk, wv = (rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(3))
    out, _ = scaled_dot_product_attention(x @ wq, x @ wk, x @ wv, mask=mask)
    return out


def changed_outputs(mask: np.ndarray, position: int) -> set[int]:
    """Which outputs move when the token at ``position`` changes."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((mask.shape[0], 8))
    y = x.copy()
    y[position] += rng.standard_normal(8)
    diff = np.abs(one_layer(x, mask) - one_layer(y, mask)).max(axis=-1)
    return {int(i) for i in np.flatnonzero(diff > 1e-12)}


def test_encoder_outputs_see_later_tokens_and_decoder_outputs_never_do() -> None:
    n = 6
    assert changed_outputs(full_mask(n), 4) == set(range(n))  # everyone sees token 4
    assert changed_outputs(causal_mask(n), 4) == {4, 5}  # only token 4 and later
    assert sees_the_future(full_mask(n)) and not sees_the_future(causal_mask(n))


def test_prefix_lm_is_bidirectional_inside_the_prefix_only() -> None:
    n, p = 6, 3
    mask = prefix_lm_mask(n, p)
    assert changed_outputs(mask, 2) == set(range(n))  # a prefix token is seen by all
    assert changed_outputs(mask, 4) == {4, 5}  # a continuation token only by itself and later
    assert sees_the_future(mask) and not sees_the_future(mask[p:, p:])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: attention_pattern("bert", 3), "kind must be one of encoder, decoder, prefix_lm; got 'bert'"),
        (lambda: attention_pattern("prefix_lm", 3), "prefix_len is needed for 'prefix_lm' and only for it"),
        (lambda: attention_pattern("decoder", 3, prefix_len=1), "prefix_len is needed for 'prefix_lm' and only for it"),
        (lambda: prefix_lm_mask(3, 4), r"prefix_len must lie in \[0, seq_len = 3\]; got 4"),
        (lambda: allowed_pairs("prefix_lm", 3, prefix_len=-1), r"prefix_len must lie in \[0, seq_len = 3\]; got -1"),
        (lambda: causal_mask(0), "seq_q must be a positive integer; got 0"),
        (lambda: full_mask(2.0), "seq_len must be a positive integer; got 2.0"),
        (lambda: cross_attention_mask(2, 0), "seq_k must be a positive integer; got 0"),
        (lambda: sees_the_future(np.ones((2, 3))), r"mask must be square, \(seq_len, seq_len\); got shape \(2, 3\)"),
        (lambda: encoder_decoder_masks(np.ones((2, 3), int), np.ones((2, 2), bool)), "src_mask must be a boolean"),
        (lambda: encoder_decoder_masks(np.ones((2, 3), bool), np.ones((1, 2), bool)), "same batch; got 2 and 1"),
    ],
)
def test_bad_input(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_bank_numeric_answers_are_right() -> None:
    select = inspect.signature(mlm_mask).parameters["select_prob"].default
    computed = {
        # the cross-attention block and the third LayerNorm of the base model's decoder layer
        "architectures.cross-layer-params": decoder_layer_param_count(512, 2048) - encoder_layer_param_count(512, 2048),
        "architectures.signal-ratio": 1 / select,
    }
    check_numeric_keys("architectures", computed, lambda q, v: 0.01)


def test_encoder_decoder_masks_by_hand() -> None:
    """Source lengths (3, 1) padded to 3, target lengths (2, 1) padded to 2.

    Encoder: every query sees the real source keys. Decoder: query i sees real target keys
    j <= i. Cross: every target query sees the real *source* keys, whatever the target padding.
    """
    enc, dec, cross = encoder_decoder_masks(padding_mask([3, 1], 3), padding_mask([2, 1], 2))
    assert enc.shape == (2, 1, 3, 3) and dec.shape == (2, 1, 2, 2) and cross.shape == (2, 1, 2, 3)
    assert enc[1, 0].astype(int).tolist() == [[1, 0, 0]] * 3
    assert dec[0, 0].astype(int).tolist() == [[1, 0], [1, 1]] and dec[1, 0].astype(int).tolist() == [[1, 0], [1, 0]]
    assert cross[0, 0].all() and cross[1, 0].astype(int).tolist() == [[1, 0, 0], [1, 0, 0]]


@pytest.mark.parametrize(
    "exercise, impl",
    [("architectures.prefix-mask", prefix_lm_mask), ("architectures.encdec-builder", encoder_decoder_masks)],
)
def test_the_exercise_checks_pass_on_our_implementations(exercise: str, impl) -> None:
    """The checks that grade a learner (hand-written masks, padded source tokens and later target
    tokens that must not move real outputs) run on ours."""
    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed
