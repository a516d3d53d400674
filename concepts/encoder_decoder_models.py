"""T5 and BART: the denoising objectives, T5's relative position buckets, and teacher forcing.

Follows Raffel et al. (2020), "Exploring the Limits of Transfer Learning with a Unified
Text-to-Text Transformer" (T5), for span corruption as its preprocessing code
``random_spans_noise_mask`` draws it (noise count ``round(length * density)``, span count
``round(noise / mean_span)``, both segmentations uniformly random, non-noise first), and
Lewis et al. (2020), "BART", for text infilling (Poisson(3) span lengths, each span replaced
by one ``<mask>``, 30% of tokens) and sentence permutation. The relative position buckets
and the shift right of the labels equal Hugging Face's ``T5Attention._relative_position_bucket``,
``T5PreTrainedModel._shift_right`` and BART's ``shift_tokens_right``. Leaves out the models'
layers (see transformer and architectures), BART's token deletion, rotation and whole-word
spans, and any tokenizer: tokens here are Python values (ints or strings). BART's noising
functions live in :mod:`concepts._encoder_decoder_models_bart`; this module re-exports them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_nonnegative_int, require_positive, require_positive_int, require_rng
from concepts._encoder_decoder_models_bart import bart_sentence_permutation, bart_span_lengths, bart_text_infilling

__all__ = [
    "T5_SENTINEL_0",
    "bart_sentence_permutation",
    "bart_span_lengths",
    "bart_text_infilling",
    "random_segmentation",
    "random_spans_noise_mask",
    "relative_position_bias",
    "relative_position_bucket",
    "relative_positions",
    "segment_length_pmf",
    "sentinels_for",
    "shift_right",
    "span_corruption",
    "span_reconstruction",
]

T5_SENTINEL_0 = 32099  # <extra_id_0> in T5's 32,100-token tokenizer; <extra_id_i> is 32099 - i


def random_segmentation(
    num_items: int, num_segments: int, *, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Split ``num_items`` into ``num_segments`` non-empty parts, every split equally likely.

    Chooses ``num_segments - 1`` of the ``num_items - 1`` gaps between items as cut points.

    >>> from concepts.encoder_decoder_models import random_segmentation
    >>> parts = random_segmentation(15, 5, rng=0)
    >>> int(parts.sum()), len(parts), bool((parts >= 1).all())
    (15, 5, True)
    """
    num_items = require_positive_int(num_items, "num_items")
    num_segments = require_positive_int(num_segments, "num_segments")
    if num_segments > num_items:
        raise ValueError(f"num_segments must be at most num_items = {num_items}; got {num_segments}")
    cuts = np.arange(num_items - 1) < num_segments - 1  # num_segments - 1 cuts among the gaps
    require_rng(rng).shuffle(cuts)
    segment_id = np.cumsum(np.concatenate([[0], cuts]))  # item i belongs to segment segment_id[i]
    return np.bincount(segment_id, minlength=num_segments)


def segment_length_pmf(num_items: int, num_segments: int) -> np.ndarray:
    """P(a given segment has length ``L``) under :func:`random_segmentation`, for ``L = 0 .. num_items``.

    ``C(num_items - L - 1, num_segments - 2) / C(num_items - 1, num_segments - 1)``: fix one
    segment at ``L`` and count the ways to split the rest.

    >>> from concepts.encoder_decoder_models import segment_length_pmf
    >>> p = segment_length_pmf(15, 5)
    >>> round(float(p.sum()), 12), round(float(p @ range(16)), 12), round(float(p[1]), 4)
    (1.0, 3.0, 0.2857)
    """
    n = require_positive_int(num_items, "num_items")
    s = require_positive_int(num_segments, "num_segments")
    if s > n:
        raise ValueError(f"num_segments must be at most num_items = {n}; got {s}")
    if s == 1:
        return np.eye(n + 1)[n]
    lengths = np.arange(1, n - s + 2)
    p = np.zeros(n + 1)
    p[lengths] = [math.comb(n - L - 1, s - 2) / math.comb(n - 1, s - 1) for L in lengths]
    return p


def random_spans_noise_mask(
    length: int,
    noise_density: float = 0.15,
    mean_noise_span_length: float = 3.0,
    *,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """T5's noise mask: ``True`` marks a corrupted token, in spans that alternate with clean ones.

    ``num_noise = round(length * noise_density)`` (clipped to ``[1, length - 1]``),
    ``num_spans = round(num_noise / mean_noise_span_length)`` (at least 1); the noise and the
    clean tokens are each split by :func:`random_segmentation` into ``num_spans`` parts and
    interleaved clean first, so the mask always starts clean and ends corrupted. Rounding is
    half to even, as ``tf.round`` and ``np.round`` do.

    :returns: boolean array ``(length,)``.

    >>> from concepts.encoder_decoder_models import random_spans_noise_mask
    >>> mask = random_spans_noise_mask(40, rng=0)  # 6 noise tokens in 2 spans
    >>> "".join("x" if m else "." for m in mask)
    '...........xxxx.......................xx'
    """
    length = require_positive_int(length, "length")
    if length < 2:
        raise ValueError(f"length must be at least 2 (one clean and one corrupted token); got {length}")
    density = require_positive(noise_density, "noise_density")
    mean_span = require_positive(mean_noise_span_length, "mean_noise_span_length")
    gen = require_rng(rng)
    num_noise = min(max(int(np.round(length * density)), 1), length - 1)
    num_spans = max(int(np.round(num_noise / mean_span)), 1)
    num_spans = min(num_spans, num_noise, length - num_noise)
    noise_lengths = random_segmentation(num_noise, num_spans, rng=gen)
    clean_lengths = random_segmentation(length - num_noise, num_spans, rng=gen)
    interleaved = np.stack([clean_lengths, noise_lengths], axis=1).reshape(-1)  # clean, noise, clean, ...
    span_index = np.repeat(np.arange(2 * num_spans), interleaved)
    return span_index % 2 == 1


def sentinels_for(tokens: Sequence[Any], count: int) -> list[Any]:
    """The first ``count`` T5 sentinels in the tokens' own kind: ``"<extra_id_i>"`` or ``32099 - i``.

    >>> from concepts.encoder_decoder_models import sentinels_for
    >>> sentinels_for(["a"], 2), sentinels_for([5], 2)
    (['<extra_id_0>', '<extra_id_1>'], [32099, 32098])
    """
    if len(tokens) and isinstance(tokens[0], str):
        return [f"<extra_id_{i}>" for i in range(count)]
    return [T5_SENTINEL_0 - i for i in range(count)]


def span_corruption(
    tokens: Sequence[Any], noise_mask: ArrayLike, *, sentinels: Sequence[Any] | None = None
) -> tuple[list[Any], list[Any]]:
    """T5's input and target: each corrupted span becomes one sentinel; the target spells the spans out.

    Input: the clean tokens with span ``i`` replaced by sentinel ``i``. Target: sentinel ``i``
    followed by span ``i``, for every span in order, then one final sentinel (the paper's
    "<X> for inviting <Y> last <Z>"). No EOS is appended.

    :param tokens: a sequence of ``length`` tokens (ints or strings), none of them a sentinel.
    :param noise_mask: booleans ``(length,)``, ``True`` for corrupted tokens.
    :param sentinels: at least ``num_spans + 1`` sentinel tokens; T5's by default (:func:`sentinels_for`).
    :returns: ``(inputs, targets)`` as lists.

    >>> from concepts.encoder_decoder_models import span_corruption
    >>> words = "Thank you for inviting me to your party last week .".split()
    >>> mask = [w in ("for", "inviting", "last") for w in words]
    >>> inputs, targets = span_corruption(words, mask)
    >>> " ".join(inputs)
    'Thank you <extra_id_0> me to your party <extra_id_1> week .'
    >>> " ".join(targets)
    '<extra_id_0> for inviting <extra_id_1> last <extra_id_2>'
    """
    tokens = list(tokens)
    mask = np.asarray(noise_mask, dtype=bool)
    if mask.shape != (len(tokens),):
        raise ValueError(f"noise_mask must have shape ({len(tokens)},) like tokens; got {mask.shape}")
    starts = mask & ~np.concatenate([[False], mask[:-1]])  # first token of each corrupted span
    num_spans = int(starts.sum())
    sentinels = sentinels_for(tokens, num_spans + 1) if sentinels is None else list(sentinels)
    if len(sentinels) < num_spans + 1:
        raise ValueError(f"need {num_spans + 1} sentinels for {num_spans} spans; got {len(sentinels)}")
    if set(tokens) & set(sentinels[: num_spans + 1]):
        raise ValueError("tokens must not contain sentinel tokens; the corruption could not be undone")
    inputs: list[Any] = []
    targets: list[Any] = []
    span = -1
    for token, noisy, start in zip(tokens, mask, starts, strict=True):
        if start:
            span += 1
            inputs.append(sentinels[span])
            targets.append(sentinels[span])
        (targets if noisy else inputs).append(token)
    targets.append(sentinels[num_spans])  # the final sentinel closes the last span
    return inputs, targets


def span_reconstruction(
    inputs: Sequence[Any], targets: Sequence[Any], *, sentinels: Sequence[Any] | None = None
) -> list[Any]:
    """Undo :func:`span_corruption`: put each sentinel's span from the target back into the input.

    >>> from concepts.encoder_decoder_models import span_reconstruction
    >>> " ".join(span_reconstruction("a <extra_id_0> d".split(), "<extra_id_0> b c <extra_id_1>".split()))
    'a b c d'
    """
    inputs, targets = list(inputs), list(targets)
    num_spans = max(len(targets) - 1, 0)  # an upper bound on the sentinels needed
    sentinels = sentinels_for(inputs, num_spans + 1) if sentinels is None else list(sentinels)
    index = {s: i for i, s in enumerate(sentinels)}
    spans: dict[int, list[Any]] = {}
    current = None
    for token in targets:
        if token in index:
            current = index[token]
            spans[current] = []
        elif current is None:
            raise ValueError(f"targets must start with a sentinel; got {token!r}")
        else:
            spans[current].append(token)
    out: list[Any] = []
    for token in inputs:
        if token in index:
            if index[token] not in spans:
                raise ValueError(f"sentinel {token!r} in the inputs has no span in the targets")
            out.extend(spans[index[token]])
        else:
            out.append(token)
    return out


def relative_positions(query_len: int, key_len: int) -> np.ndarray:
    """``key_position - query_position`` for every pair: ``(query_len, key_len)`` integers.

    Positive means the key comes after the query (T5's ``memory_position - context_position``).

    >>> from concepts.encoder_decoder_models import relative_positions
    >>> relative_positions(2, 3).tolist()
    [[0, 1, 2], [-1, 0, 1]]
    """
    q = require_positive_int(query_len, "query_len")
    k = require_positive_int(key_len, "key_len")
    return np.arange(k)[None, :] - np.arange(q)[:, None]


def relative_position_bucket(
    relative_position: ArrayLike, *, bidirectional: bool = True, num_buckets: int = 32, max_distance: int = 128
) -> np.ndarray:
    """T5's bucket of each relative position (key minus query): exact near 0, logarithmic further out.

    Bidirectional (encoder): half the buckets for keys at or before the query, half (offset by
    ``num_buckets // 2``) for keys after it. Causal (decoder): positive offsets all fall into
    bucket 0 with offset 0. In each half, distances below ``max_exact = half // 2`` get their
    own bucket; larger ones ``max_exact + floor(log(n / max_exact) / log(max_distance /
    max_exact) * (half - max_exact))``, capped at ``half - 1``.

    :param relative_position: integers of any shape.
    :returns: int64 buckets in ``[0, num_buckets)``, same shape.

    >>> from concepts.encoder_decoder_models import relative_position_bucket
    >>> relative_position_bucket([-200, -20, -3, 0, 3, 20, 200]).tolist()
    [15, 10, 3, 0, 19, 26, 31]
    >>> relative_position_bucket([-20, -3, 0, 3], bidirectional=False).tolist()
    [17, 3, 0, 0]
    """
    rel = as_array(relative_position, "relative_position", dtype=np.float64)
    if not np.all(rel == np.round(rel)):
        raise ValueError("relative_position must hold whole numbers")
    rel = rel.astype(np.int64)
    num_buckets = require_positive_int(num_buckets, "num_buckets")
    max_distance = require_positive_int(max_distance, "max_distance")
    bucket = np.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        bucket += (rel > 0) * num_buckets  # keys after the query use the upper half
        n = np.abs(rel)
    else:
        n = -np.minimum(rel, 0)  # a decoder never sees later keys; they share bucket 0
    max_exact = num_buckets // 2
    if max_exact < 1 or max_distance <= max_exact:
        raise ValueError(f"need num_buckets >= 4 and max_distance > {max_exact}; got {num_buckets}, {max_distance}")
    scaled = np.log(np.maximum(n, 1) / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    large = np.minimum(max_exact + scaled.astype(np.int64), num_buckets - 1)  # astype truncates, as .to(long)
    return bucket + np.where(n < max_exact, n, large)


def relative_position_bias(
    query_len: int,
    key_len: int,
    table: ArrayLike,
    *,
    bidirectional: bool = True,
    num_buckets: int = 32,
    max_distance: int = 128,
) -> np.ndarray:
    """T5's additive attention bias: one learned scalar per (bucket, head), looked up per pair.

    :param table: ``(num_buckets, num_heads)``, the ``relative_attention_bias`` embedding.
    :returns: float64 ``(num_heads, query_len, key_len)``, added to the scores before the
        softmax (T5 does not divide the scores by the square root of the head size).

    >>> import numpy as np
    >>> from concepts.encoder_decoder_models import relative_position_bias
    >>> relative_position_bias(2, 2, np.arange(32.0)[:, None]).tolist()
    [[[0.0, 17.0], [1.0, 0.0]]]
    """
    table = as_array(table, "table")
    if table.ndim != 2 or table.shape[0] != num_buckets:
        raise ValueError(f"table must have shape (num_buckets={num_buckets}, num_heads); got {table.shape}")
    rel = relative_positions(query_len, key_len)
    buckets = relative_position_bucket(
        rel, bidirectional=bidirectional, num_buckets=num_buckets, max_distance=max_distance
    )
    return np.moveaxis(table[buckets], -1, 0)  # (q, k, h) -> (h, q, k)


def shift_right(labels: ArrayLike, *, decoder_start_token_id: int, pad_token_id: int) -> np.ndarray:
    """Teacher forcing's decoder input: the labels moved one step right behind a start token.

    Position ``t`` of the decoder sees label ``t - 1`` and predicts label ``t``. The last
    label is dropped, and ``-100`` (ignored by the loss) becomes ``pad_token_id``, as
    ``transformers``' BART ``shift_tokens_right`` and T5 ``_shift_right`` do. T5 starts with
    its pad id 0, BART with ``</s>`` (2).

    :param labels: integers ``(seq_len,)`` or ``(batch, seq_len)``.
    :returns: int64 array of the same shape.

    >>> from concepts.encoder_decoder_models import shift_right
    >>> shift_right([[5, 6, 1, -100]], decoder_start_token_id=0, pad_token_id=0).tolist()
    [[0, 5, 6, 1]]
    >>> shift_right([[5, 6, -100, -100]], decoder_start_token_id=2, pad_token_id=1).tolist()
    [[2, 5, 6, 1]]
    """
    ids = np.asarray(as_array(labels, "labels"), dtype=np.int64)
    if ids.ndim not in (1, 2) or ids.shape[-1] < 1:
        raise ValueError(f"labels must have shape (seq_len,) or (batch, seq_len); got shape {ids.shape}")
    start = require_nonnegative_int(decoder_start_token_id, "decoder_start_token_id")
    pad = require_nonnegative_int(pad_token_id, "pad_token_id")
    shifted = np.empty_like(ids)
    shifted[..., 0] = start
    shifted[..., 1:] = ids[..., :-1]
    return np.where(shifted == -100, pad, shifted)
