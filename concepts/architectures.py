"""Encoder-only, decoder-only and encoder-decoder transformers: who may attend to whom.

The three families share their layers and differ first in their attention masks: BERT's
encoder is bidirectional (Devlin et al., 2019), GPT's decoder is causal (Radford et al.,
2018), the original Transformer pairs a bidirectional encoder with a causal decoder and
full cross-attention (Vaswani et al., 2017), and a prefix LM is bidirectional over a
prefix and causal after it (Raffel et al., 2020). Masks follow PyTorch's
``scaled_dot_product_attention``: ``True`` means "may attend". The causal and prefix-LM
masks are the package's single ones from :mod:`concepts.masking`; sparse and
sliding-window patterns are left out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int
from concepts.masking import causal_mask, prefix_lm_mask  # the package's single ones, importable from here too

__all__ = [
    "KINDS",
    "allowed_pairs",
    "attention_pattern",
    "cross_attention_mask",
    "encoder_decoder_masks",
    "full_mask",
    "sees_the_future",
]

KINDS = ("encoder", "decoder", "prefix_lm")


def _check_kind(kind: str, prefix_len: int | None) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if (kind == "prefix_lm") != (prefix_len is not None):
        raise ValueError(
            f"prefix_len is needed for 'prefix_lm' and only for it; got kind={kind!r}, prefix_len={prefix_len!r}"
        )


def full_mask(seq_len: int) -> np.ndarray:
    """Bidirectional self-attention (an encoder): every token sees every token, ``(seq_len, seq_len)``.

    >>> from concepts.architectures import full_mask
    >>> full_mask(2).tolist()
    [[True, True], [True, True]]
    """
    seq_len = require_positive_int(seq_len, "seq_len")
    return np.ones((seq_len, seq_len), dtype=bool)


def cross_attention_mask(seq_q: int, seq_k: int) -> np.ndarray:
    """Decoder-to-encoder attention: every target position sees the whole source, ``(seq_q, seq_k)``.

    The source is known before decoding starts, so nothing here needs hiding.

    >>> from concepts.architectures import cross_attention_mask
    >>> cross_attention_mask(1, 3).tolist()
    [[True, True, True]]
    """
    seq_q, seq_k = require_positive_int(seq_q, "seq_q"), require_positive_int(seq_k, "seq_k")
    return np.ones((seq_q, seq_k), dtype=bool)


def attention_pattern(kind: str, seq_len: int, *, prefix_len: int | None = None) -> np.ndarray:
    """The self-attention mask of a family: ``"encoder"``, ``"decoder"`` or ``"prefix_lm"``.

    :param kind: one of :data:`KINDS`.
    :param seq_len: sequence length.
    :param prefix_len: the bidirectional prefix's length; required for ``"prefix_lm"`` only.
    :returns: boolean ``(seq_len, seq_len)``, ``True`` where query ``i`` may attend to key ``j``.
    :raises ValueError: for an unknown kind, a missing or stray prefix, or a bad length.

    >>> from concepts.architectures import attention_pattern
    >>> attention_pattern("prefix_lm", 3, prefix_len=2).astype(int).tolist()
    [[1, 1, 0], [1, 1, 0], [1, 1, 1]]
    """
    _check_kind(kind, prefix_len)
    if kind == "encoder":
        return full_mask(seq_len)
    if kind == "decoder":
        return causal_mask(seq_len)
    return prefix_lm_mask(seq_len, prefix_len)


def encoder_decoder_masks(src_mask: ArrayLike, tgt_mask: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three masks of an encoder-decoder over a padded batch, each ``(batch, 1, seq_q, seq_k)``.

    The encoder attends bidirectionally over the source; the decoder attends causally over
    the target; cross-attention lets every target query read every *source* key. Each mask
    hides the padded keys of the sequence its keys come from: source padding in the
    encoder and in cross-attention, target padding in the decoder.

    :param src_mask: source key padding, boolean ``(batch, src_len)``, ``True`` = real token.
    :param tgt_mask: target key padding, boolean ``(batch, tgt_len)``, ``True`` = real token.
    :returns: ``(encoder_self, decoder_self, cross)`` of shapes ``(batch, 1, src_len, src_len)``,
        ``(batch, 1, tgt_len, tgt_len)`` and ``(batch, 1, tgt_len, src_len)``.
    :raises ValueError: for masks that are not 2-D boolean or whose batch sizes differ.

    >>> import numpy as np
    >>> from concepts.architectures import encoder_decoder_masks
    >>> enc, dec, cross = encoder_decoder_masks(np.array([[True, True, False]]), np.array([[True, True]]))
    >>> cross.shape, cross[0, 0].astype(int).tolist()  # both target tokens read the 2 real source tokens
    ((1, 1, 2, 3), [[1, 1, 0], [1, 1, 0]])
    >>> dec[0, 0].astype(int).tolist()
    [[1, 0], [1, 1]]
    """
    src, tgt = as_array(src_mask, "src_mask", dtype=None), as_array(tgt_mask, "tgt_mask", dtype=None)
    for name, m in (("src_mask", src), ("tgt_mask", tgt)):
        if m.ndim != 2 or 0 in m.shape or m.dtype != bool:
            raise ValueError(f"{name} must be a boolean (batch, seq_len) padding mask; got {m.dtype} {m.shape}")
    if src.shape[0] != tgt.shape[0]:
        raise ValueError(f"src_mask and tgt_mask must have the same batch; got {src.shape[0]} and {tgt.shape[0]}")
    encoder_self = full_mask(src.shape[1]) & src[:, None, None, :]  # (B, 1, S, S): real source keys
    decoder_self = causal_mask(tgt.shape[1]) & tgt[:, None, None, :]  # (B, 1, T, T): past real target keys
    cross = cross_attention_mask(tgt.shape[1], src.shape[1]) & src[:, None, None, :]  # (B, 1, T, S)
    return encoder_self, decoder_self, cross


def allowed_pairs(kind: str, seq_len: int, *, prefix_len: int | None = None) -> int:
    """How many (query, key) pairs a pattern allows, by formula: the attention work it keeps.

    ``n^2`` for an encoder, ``n(n+1)/2`` for a decoder, and
    ``p^2 + (n(n+1) - p(p+1))/2`` for a prefix LM with prefix ``p``.

    >>> from concepts.architectures import allowed_pairs
    >>> allowed_pairs("encoder", 4), allowed_pairs("decoder", 4), allowed_pairs("prefix_lm", 4, prefix_len=2)
    (16, 10, 11)
    """
    _check_kind(kind, prefix_len)
    n = require_positive_int(seq_len, "seq_len")
    if kind == "encoder":
        return n * n
    if kind == "decoder":
        return n * (n + 1) // 2
    p = prefix_len
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or not 0 <= p <= n:
        raise ValueError(f"prefix_len must lie in [0, seq_len = {n}]; got {p!r}")
    return p * p + (n * (n + 1) - p * (p + 1)) // 2  # p rows see p keys; row i >= p sees i + 1


def sees_the_future(mask: ArrayLike) -> bool:
    """Whether any query may attend to a later key (``mask[i, j]`` with ``j > i``).

    >>> from concepts.architectures import causal_mask, full_mask, sees_the_future
    >>> sees_the_future(causal_mask(3)), sees_the_future(full_mask(3))
    (False, True)
    """
    mask = as_array(mask, "mask", dtype=bool)
    if mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        raise ValueError(f"mask must be square, (seq_len, seq_len); got shape {mask.shape}")
    return bool(np.triu(mask, k=1).any())
