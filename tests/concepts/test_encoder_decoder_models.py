"""T5 span corruption, BART noising, T5 relative position buckets and shift right, against transformers.

The buckets, the bias lookup and both shift-right functions are compared with the code of
``transformers`` (a tiny ``T5Model`` built from a random config, nothing downloaded), with
exact integer equality. The two noising procedures have no reference implementation in
``transformers``; they are checked by their invariants (the corruption can be undone, the
counts are exactly what the algorithm fixes) and by their statistics over many draws.

Hand-worked example (``test_hand_worked_example``), T5's own sentence "Thank you for
inviting me to your party last week ." with "for inviting" and "last" corrupted: two spans,
so the input keeps the 8 clean words and two sentinels, "Thank you <extra_id_0> me to your
party <extra_id_1> week .", and the target holds the 3 corrupted words behind their
sentinels plus the final one, "<extra_id_0> for inviting <extra_id_1> last <extra_id_2>".
Buckets with T5's defaults (32 buckets, max distance 128): bidirectional, each direction
gets 16 buckets and distances below 8 are exact; a key 20 positions after the query is in
the upper half, ``16 + 8 + floor(log(20 / 8) / log(128 / 8) * 8) = 16 + 8 + floor(2.64) =
26``; 20 positions before is 10. Causal, the 32 buckets serve the past alone, distances
below 16 are exact and 20 before gives ``16 + floor(log(20 / 16) / log(8) * 16) =
16 + floor(1.72) = 17``. Shift right of the labels ``(5, 6, 1, -100)`` with start 0 and pad
0 is ``(0, 5, 6, 1)``: the last label falls off and the -100 never reaches the decoder here;
of ``(5, -100, -100)`` it is ``(0, 5, 0)``, where the -100 must become the pad.
"""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pytest
import torch
from support import check_numeric_keys

from concepts.encoder_decoder_models import (
    T5_SENTINEL_0,
    bart_sentence_permutation,
    bart_span_lengths,
    bart_text_infilling,
    random_segmentation,
    random_spans_noise_mask,
    relative_position_bias,
    relative_position_bucket,
    relative_positions,
    segment_length_pmf,
    shift_right,
    span_corruption,
    span_reconstruction,
)
from concepts.exercises._harness import run_checks
from concepts.exercises.encoder_decoder_models import CHECKS

transformers = pytest.importorskip("transformers")
from transformers.models.bart.modeling_bart import shift_tokens_right  # noqa: E402
from transformers.models.t5.modeling_t5 import T5Attention  # noqa: E402

SENTENCE = ["Thank", "you", "for", "inviting", "me", "to", "your", "party", "last", "week", "."]


def _tiny_t5(decoder_start_token_id: int = 0, pad_token_id: int = 0, **overrides):
    sizes = {"vocab_size": 40, "d_model": 8, "d_kv": 4, "d_ff": 16, "num_layers": 1, "num_heads": 3}
    config = transformers.T5Config(
        **{**sizes, **overrides}, decoder_start_token_id=decoder_start_token_id, pad_token_id=pad_token_id
    )
    return transformers.T5ForConditionalGeneration(config).double().eval()


def _labels(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Random token ids 1..39 with right padding of -100 (and a stray -100 inside, to be strict)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(1, 40, size=shape)
    flat = labels.reshape(-1, shape[-1])
    for row in flat:
        row[rng.integers(1, shape[-1] + 1) :] = -100
    flat[0, rng.integers(0, shape[-1])] = -100
    return flat.reshape(shape)


def test_hand_worked_example() -> None:
    mask = [w in ("for", "inviting", "last") for w in SENTENCE]
    inputs, targets = span_corruption(SENTENCE, mask)
    assert inputs == ["Thank", "you", "<extra_id_0>", "me", "to", "your", "party", "<extra_id_1>", "week", "."]
    assert targets == ["<extra_id_0>", "for", "inviting", "<extra_id_1>", "last", "<extra_id_2>"]
    assert span_reconstruction(inputs, targets) == SENTENCE
    assert relative_position_bucket([20, -20, 7, -7, 8, 0]).tolist() == [26, 10, 23, 7, 24, 0]
    assert relative_position_bucket([-20, 20, -15, -16], bidirectional=False).tolist() == [17, 0, 15, 16]
    assert shift_right([5, 6, 1, -100], decoder_start_token_id=0, pad_token_id=0).tolist() == [0, 5, 6, 1]
    assert shift_right([5, -100, -100], decoder_start_token_id=0, pad_token_id=0).tolist() == [0, 5, 0]


# ---------------------------------------------------------------- relative position buckets


@pytest.mark.parametrize(("num_buckets", "max_distance"), [(32, 128), (32, 64), (64, 256), (8, 16), (12, 50)])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_buckets_equal_transformers(num_buckets: int, max_distance: int, bidirectional: bool) -> None:
    """Every relative position from -1000 to 1000, exact integer equality."""
    rel = torch.arange(-1000, 1001)
    want = T5Attention._relative_position_bucket(rel, bidirectional, num_buckets, max_distance).numpy()
    got = relative_position_bucket(
        rel.numpy(), bidirectional=bidirectional, num_buckets=num_buckets, max_distance=max_distance
    )
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)


def test_buckets_of_a_score_matrix_equal_transformers() -> None:
    rel = relative_positions(37, 300)
    for bidirectional in (True, False):
        want = T5Attention._relative_position_bucket(torch.from_numpy(rel), bidirectional, 32, 128).numpy()
        np.testing.assert_array_equal(relative_position_bucket(rel, bidirectional=bidirectional), want)


def test_bucket_conventions_that_must_not_flip() -> None:
    """Keys after the query use the upper half; a decoder's future keys share bucket 0; the cap is 15 / 31."""
    before, after = relative_position_bucket([-5, 5]).tolist()
    assert (before, after) == (5, 21)  # halves swapped would give (21, 5)
    assert relative_position_bucket(np.arange(1, 500), bidirectional=False).max() == 0
    far = relative_position_bucket([-10_000, -128, -127, 127, 128, 10_000]).tolist()
    assert far == [15, 15, 15, 31, 31, 31]
    assert relative_position_bucket([-10_000, -128], bidirectional=False).tolist() == [31, 31]
    buckets = relative_position_bucket(-np.arange(0, 2000), bidirectional=False)
    assert np.all(np.diff(buckets) >= 0) and set(buckets.tolist()) == set(range(32))


@pytest.mark.parametrize(("query_len", "key_len"), [(1, 1), (5, 5), (3, 140), (140, 3)])
def test_bias_equals_t5_compute_bias(query_len: int, key_len: int) -> None:
    """Encoder self-attention is bidirectional, decoder self-attention causal; same table, copied weights."""
    model = _tiny_t5()
    g = torch.Generator().manual_seed(0)
    for stack, bidirectional in ((model.encoder, True), (model.decoder, False)):
        attn = stack.block[0].layer[0].SelfAttention
        with torch.no_grad():
            attn.relative_attention_bias.weight.copy_(torch.randn(32, 3, generator=g, dtype=torch.float64))
            want = attn.compute_bias(query_len, key_len)[0].numpy()
        table = attn.relative_attention_bias.weight.detach().numpy()
        got = relative_position_bias(query_len, key_len, table, bidirectional=bidirectional)
        assert got.shape == (3, query_len, key_len)
        np.testing.assert_array_equal(got, want)
        flipped = relative_position_bias(query_len, key_len, table, bidirectional=not bidirectional)
        assert query_len == key_len == 1 or not np.array_equal(flipped, want)


def test_bias_lives_in_the_first_layer_only_and_scores_are_unscaled() -> None:
    """The bank's claims: one table per stack, in block 0's self-attention; none in cross-attention; scaling 1."""
    model = _tiny_t5(num_decoder_layers=2, num_layers=2)
    for stack in (model.encoder, model.decoder):
        has = [blk.layer[0].SelfAttention.has_relative_attention_bias for blk in stack.block]
        assert has == [True, False]
        assert all(blk.layer[0].SelfAttention.scaling == 1.0 for blk in stack.block)
    assert not any(blk.layer[1].EncDecAttention.has_relative_attention_bias for blk in model.decoder.block)


# ---------------------------------------------------------------- shift right


@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (4, 9), (3, 2)])
@pytest.mark.parametrize(("start", "pad"), [(0, 0), (2, 1), (7, 3)])
def test_shift_right_equals_bart_and_t5(shape: tuple[int, int], start: int, pad: int) -> None:
    labels = _labels(shape, seed=shape[0] * 10 + shape[1])
    got = shift_right(labels, decoder_start_token_id=start, pad_token_id=pad)
    bart = shift_tokens_right(torch.from_numpy(labels), pad, start).numpy()
    t5 = _tiny_t5(start, pad)._shift_right(torch.from_numpy(labels)).numpy()
    np.testing.assert_array_equal(got, bart)
    np.testing.assert_array_equal(got, t5)
    assert (got != -100).all()


def test_shift_right_one_sequence_equals_t5() -> None:
    labels = _labels((1, 8), seed=3)[0]
    want = _tiny_t5(0, 0)._shift_right(torch.from_numpy(labels)).numpy()
    np.testing.assert_array_equal(shift_right(labels, decoder_start_token_id=0, pad_token_id=0), want)


def test_start_and_pad_ids_the_page_names() -> None:
    """T5: pad 0, EOS 1, and no default start id in transformers 5 (checkpoints set it to the pad, 0, and
    _shift_right fails without it); BART: </s> (2) starts, pad 1; -100 is the ignore index, not an embedding index."""
    t5, bart = transformers.T5Config(), transformers.BartConfig()
    assert (t5.pad_token_id, t5.eos_token_id) == (0, 1)
    model = transformers.T5ForConditionalGeneration(transformers.T5Config(d_model=8, d_kv=4, d_ff=16, num_layers=1))
    assert not hasattr(t5, "decoder_start_token_id")
    with pytest.raises((AttributeError, ValueError)):
        model._shift_right(torch.tensor([[5, 6]]))
    assert (bart.decoder_start_token_id, bart.pad_token_id) == (2, 1)
    assert torch.nn.CrossEntropyLoss().ignore_index == -100
    with pytest.raises(IndexError):
        torch.nn.Embedding(5, 2)(torch.tensor([-100]))


def test_shift_right_conventions_that_must_not_flip() -> None:
    labels = np.array([[5, 6, -100, -100]])
    got = shift_right(labels, decoder_start_token_id=2, pad_token_id=1)
    assert got.tolist() == [[2, 5, 6, 1]]  # not [[2, 5, 6, -100]] (no replacement), not [[6, -100, -100, 2]] (left)
    assert (got[:, 1:] == np.where(labels[:, :-1] == -100, 1, labels[:, :-1])).all()


# ---------------------------------------------------------------- T5 span corruption


def test_segment_length_pmf_equals_enumeration() -> None:
    """All compositions of 7 into 3 positive parts, counted: the first part's length distribution."""
    comps = [c for c in np.ndindex(8, 8, 8) if sum(c) == 7 and min(c) >= 1]
    counts = np.bincount([c[0] for c in comps], minlength=8) / len(comps)
    np.testing.assert_allclose(segment_length_pmf(7, 3), counts, atol=1e-15)
    assert segment_length_pmf(4, 1).tolist() == [0, 0, 0, 0, 1]


@pytest.mark.parametrize("length", [2, 3, 10, 20, 30, 40, 100, 101, 512, 568])
def test_counts_are_fixed_by_construction(length: int) -> None:
    """Noise count round(L * 0.15) (clipped to [1, L - 1], half to even), spans round(noise / 3)."""
    num_noise = min(max(int(np.round(length * 0.15)), 1), length - 1)
    num_spans = max(int(np.round(num_noise / 3)), 1)
    for seed in range(5):
        mask = random_spans_noise_mask(length, rng=seed)
        starts = mask & ~np.concatenate([[False], mask[:-1]])
        assert mask.shape == (length,) and int(mask.sum()) == num_noise
        assert int(starts.sum()) == num_spans
        assert not mask[0] and mask[-1]  # clean first, noise last, as T5 interleaves them
    assert (random_spans_noise_mask(30, rng=0).sum(), random_spans_noise_mask(10, rng=0).sum()) == (4, 2)  # 4.5 -> 4


def test_fraction_and_mean_span_are_exact_for_length_100() -> None:
    for seed in range(50):
        mask = random_spans_noise_mask(100, rng=seed)
        inputs, targets = span_corruption(list(range(100)), mask)
        assert mask.mean() == 0.15
        sentinels = [t for t in targets if t > 1000]
        assert len(sentinels) == 6 and (len(targets) - len(sentinels)) / 5 == 3.0
        assert len(inputs) == 100 - 15 + 5


def test_t5_lengths_for_568_tokens() -> None:
    """568 tokens: 85 noise tokens in 28 spans, input 511 (+ EOS = 512), target 85 + 28 + 1 = 114."""
    for seed in range(5):
        mask = random_spans_noise_mask(568, rng=seed)
        inputs, targets = span_corruption(list(range(568)), mask)
        assert (int(mask.sum()), len(inputs), len(targets)) == (85, 511, 114)
    assert segment_length_pmf(15, 5)[12:].sum() == 0 and segment_length_pmf(15, 5)[11] > 0  # no span above 11


def test_span_lengths_follow_the_algorithm() -> None:
    """4000 draws of length 100: 20,000 noise spans of 15 tokens in 5, 20,000 clean ones of 85 in 5."""
    rng = np.random.default_rng(0)
    noise, clean = [], []
    for _ in range(4000):
        mask = random_spans_noise_mask(100, rng=rng)
        edges = np.flatnonzero(np.diff(np.concatenate([[-1], mask.astype(int), [-1]])) != 0)
        runs = np.diff(edges)
        clean.extend(runs[0::2])
        noise.extend(runs[1::2])
    for observed, n in ((noise, 15), (clean, 85)):
        p = segment_length_pmf(n, 5)
        freq = np.bincount(observed, minlength=n + 1) / len(observed)
        se = np.sqrt(p * (1 - p) / len(observed))
        assert np.all(np.abs(freq - p) <= 5 * se + 1e-12)
        assert abs(np.mean(observed) - n / 5) <= 1e-12  # every draw's spans sum to n


@pytest.mark.parametrize("length", [2, 7, 50, 333])
def test_corruption_is_invertible(length: int) -> None:
    rng = np.random.default_rng(length)
    for _ in range(30):
        tokens = rng.integers(0, 32000, size=length).tolist()
        mask = random_spans_noise_mask(length, rng=rng)
        inputs, targets = span_corruption(tokens, mask)
        assert span_reconstruction(inputs, targets) == tokens
        in_sentinels = [t for t in inputs if t >= 32000]
        assert in_sentinels == [T5_SENTINEL_0 - i for i in range(len(in_sentinels))]  # <extra_id_0>, 1, ...
        assert targets[0] == T5_SENTINEL_0 and targets[-1] == T5_SENTINEL_0 - len(in_sentinels)


def test_sentinel_order_matters() -> None:
    """Swapping the sentinels of the target puts the spans back in the wrong places."""
    mask = [w in ("for", "inviting", "last") for w in SENTENCE]
    inputs, targets = span_corruption(SENTENCE, mask)
    swapped = [{"<extra_id_0>": "<extra_id_1>", "<extra_id_1>": "<extra_id_0>"}.get(t, t) for t in targets]
    assert span_reconstruction(inputs, swapped) != SENTENCE


def test_random_segmentation_validates() -> None:
    assert random_segmentation(5, 5, rng=0).tolist() == [1] * 5
    with pytest.raises(ValueError, match="num_segments must be at most"):
        random_segmentation(3, 4)
    with pytest.raises(ValueError, match="must not contain sentinel"):
        span_corruption(["<extra_id_0>", "a"], [False, True])
    with pytest.raises(ValueError, match="noise_mask must have shape"):
        span_corruption(["a", "b"], [True])
    with pytest.raises(ValueError, match="length must be at least 2"):
        random_spans_noise_mask(1)
    with pytest.raises(ValueError, match="shape"):
        shift_right([[[1]]], decoder_start_token_id=0, pad_token_id=0)
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        relative_position_bucket(torch.arange(3))
    with pytest.raises(ValueError, match="table must have shape"):
        relative_position_bias(2, 2, np.zeros((16, 2)))


# ---------------------------------------------------------------- BART noising


def test_text_infilling_masks_exactly_the_budget() -> None:
    """600 documents of 200 tokens: exactly ceil(0.3 * 200) = 60 masked, one mask per disjoint span."""
    rng = np.random.default_rng(0)
    masks = 0
    for _ in range(600):
        tokens = list(range(200))
        noised, spans = bart_text_infilling(tokens, rng=rng)
        assert sum(n for _, n in spans) == 60
        assert noised.count("<mask>") == len(spans) and len(noised) == 200 - 60 + len(spans)
        rebuilt, pos = [], 0
        for start, n in spans:  # kept tokens in order, one mask per span, spans disjoint
            rebuilt += [*tokens[pos:start], "<mask>"]
            pos = start + n
        assert rebuilt + tokens[pos:] == noised
        masks += len(spans)
    assert 19 <= masks / 600 <= 23  # about 60 / 3 spans, plus the zero-length ones


def test_span_lengths_are_poisson_3() -> None:
    """The first 10 draws for a budget of 60 never reach it (P(Poisson(30) >= 60) ~ 1e-6), so they are
    i.i.d. Poisson(3): 20,000 of them. Mean within 3 standard errors of 3, variance near 3, zeros e^-3."""
    rng = np.random.default_rng(0)
    first = np.array([bart_span_lengths(60, rng=rng)[:10] for _ in range(2000)]).ravel()
    assert first.size == 20_000
    assert abs(first.mean() - 3) <= 3 * math.sqrt(3 / first.size)
    assert abs(first.var() - 3) <= 0.15
    zero = math.exp(-3)
    assert abs((first == 0).mean() - zero) <= 3 * math.sqrt(zero * (1 - zero) / first.size)
    uncut = []
    for _ in range(5000):
        lengths = bart_span_lengths(60, rng=rng)
        assert lengths.sum() == 60 and (lengths[:-1].sum() < 60)  # only the last draw is cut
        uncut.extend(lengths[:-1])
    # The page's claim: the spans that were not cut average about 2.95, not 3 (the crossing draw is long).
    assert abs(np.mean(uncut) - 2.95) <= 0.02


def test_zero_length_spans_insert_a_mask() -> None:
    found = False
    for seed in range(50):
        tokens = list("abcdefghijklmnopqrst")
        noised, spans = bart_text_infilling(tokens, rng=seed)
        found = found or any(n == 0 for _, n in spans)
        kept = [t for t in noised if t != "<mask>"]
        assert len(kept) == 14 and all(t in tokens for t in kept)
    assert found
    assert bart_text_infilling(list("abc"), mask_ratio=0.0, rng=0) == (list("abc"), [])


def test_sentence_permutation_is_uniform() -> None:
    tokens = ["A", ".", "B", "b", ".", "C", "c", "c", "."]
    sentences = [("A", "."), ("B", "b", "."), ("C", "c", "c", ".")]
    counts = dict.fromkeys(permutations(range(3)), 0)
    rng = np.random.default_rng(0)
    for _ in range(3000):
        out = bart_sentence_permutation(tokens, rng=rng)
        order = []
        while out:
            i = next(i for i, s in enumerate(sentences) if tuple(out[: len(s)]) == s)
            order.append(i)
            out = out[len(sentences[i]) :]
        counts[tuple(order)] += 1
    p = 1 / 6
    assert all(abs(c / 3000 - p) <= 4 * math.sqrt(p * (1 - p) / 3000) for c in counts.values())
    assert bart_sentence_permutation(["x", "y"], rng=0) == ["x", "y"]  # no end token: one sentence


# ---------------------------------------------------------------- exercises and bank


@pytest.mark.parametrize("exercise", sorted(CHECKS))
def test_reference_passes_its_exercise_checks(exercise: str) -> None:
    import concepts.encoder_decoder_models as module

    name = {"encoder_decoder_models.shift-right": "shift_right"}.get(exercise, "relative_position_bucket")
    results = run_checks(CHECKS[exercise], getattr(module, name))
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]


def test_bank_numeric_keys() -> None:
    num_noise = int(np.round(568 * 0.15))
    num_spans = int(np.round(num_noise / 3))
    computed = {
        "encoder_decoder_models.t5-input-length": 568 - num_noise + num_spans,
        "encoder_decoder_models.bucket-after": int(relative_position_bucket([20])[0]),
        "encoder_decoder_models.bucket-causal": int(relative_position_bucket([-20], bidirectional=False)[0]),
        "encoder_decoder_models.bucket-far": int(relative_position_bucket([-200])[0]),
        "encoder_decoder_models.bart-masked": sum(n for _, n in bart_text_infilling(list(range(512)), rng=0)[1]),
        "encoder_decoder_models.poisson-zero": math.exp(-3),
        "encoder_decoder_models.span-length-one": float(segment_length_pmf(15, 5)[1]),
    }
    assert computed["encoder_decoder_models.t5-input-length"] == 511  # 512 with T5's EOS
    check_numeric_keys("encoder_decoder_models", computed, lambda q, v: 0.5 * 10 ** -q["decimals"])
