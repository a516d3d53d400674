"""Encoder-only, decoder-only and encoder-decoder transformers: who may attend to whom.

The three families share their layers and differ first in their attention masks: BERT's
encoder is bidirectional (Devlin et al., 2019), GPT's decoder is causal (Radford et al.,
2018), the original Transformer pairs a bidirectional encoder with a causal decoder and
full cross-attention (Vaswani et al., 2017), and a prefix LM is bidirectional over a
prefix and causal after it (Raffel et al., 2020). Masks follow PyTorch's
``scaled_dot_product_attention``: ``True`` means "may attend". Padding is left to
:mod:`concepts.masking`; sparse and sliding-window patterns are left out.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "KINDS",
    "allowed_pairs",
    "attention_pattern",
    "causal_mask",
    "cross_attention_mask",
    "full_mask",
    "prefix_lm_mask",
    "sees_the_future",
]

KINDS = ("encoder", "decoder", "prefix_lm")


def _length(name: str, n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n!r}")


def _check_kind(kind: str, prefix: int | None) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if (kind == "prefix_lm") != (prefix is not None):
        raise ValueError(f"prefix is needed for 'prefix_lm' and only for it; got kind={kind!r}, prefix={prefix!r}")


def full_mask(n: int) -> np.ndarray:
    """Bidirectional self-attention (an encoder): every token sees every token, ``(n, n)``.

    >>> from concepts.architectures import full_mask
    >>> full_mask(2).tolist()
    [[True, True], [True, True]]
    """
    _length("n", n)
    return np.ones((n, n), dtype=bool)


def causal_mask(n: int) -> np.ndarray:
    """Causal self-attention (a decoder): query ``i`` sees keys ``j <= i``, ``(n, n)``.

    >>> from concepts.architectures import causal_mask
    >>> causal_mask(3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    _length("n", n)
    return np.tril(np.ones((n, n), dtype=bool))  # M[i, j] = j <= i


def prefix_lm_mask(n: int, prefix: int) -> np.ndarray:
    """Bidirectional over the first ``prefix`` tokens, causal after them, ``(n, n)``.

    ``prefix = 0`` gives the causal mask and ``prefix = n`` the full one.

    >>> from concepts.architectures import prefix_lm_mask
    >>> prefix_lm_mask(4, 2).astype(int).tolist()
    [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
    """
    _length("n", n)
    if isinstance(prefix, bool) or not isinstance(prefix, int | np.integer) or not 0 <= prefix <= n:
        raise ValueError(f"prefix must be an integer from 0 to n = {n}; got {prefix!r}")
    j = np.arange(n)
    return causal_mask(n) | (j[None, :] < prefix)  # M[i, j] = j <= i or j < prefix


def cross_attention_mask(n_tgt: int, n_src: int) -> np.ndarray:
    """Decoder-to-encoder attention: every target position sees the whole source, ``(n_tgt, n_src)``.

    The source is known before decoding starts, so nothing here needs hiding.

    >>> from concepts.architectures import cross_attention_mask
    >>> cross_attention_mask(1, 3).tolist()
    [[True, True, True]]
    """
    _length("n_tgt", n_tgt)
    _length("n_src", n_src)
    return np.ones((n_tgt, n_src), dtype=bool)


def attention_pattern(kind: str, n: int, *, prefix: int | None = None) -> np.ndarray:
    """The self-attention mask of a family: ``"encoder"``, ``"decoder"`` or ``"prefix_lm"``.

    :param kind: one of :data:`KINDS`.
    :param n: sequence length.
    :param prefix: the bidirectional prefix's length; required for ``"prefix_lm"`` only.
    :returns: boolean ``(n, n)``, ``True`` where query ``i`` may attend to key ``j``.
    :raises ValueError: for an unknown kind, a missing or stray prefix, or a bad length.

    >>> from concepts.architectures import attention_pattern
    >>> int(attention_pattern("prefix_lm", 4, prefix=2).sum())
    11
    """
    _check_kind(kind, prefix)
    if kind == "encoder":
        return full_mask(n)
    if kind == "decoder":
        return causal_mask(n)
    return prefix_lm_mask(n, prefix)


def allowed_pairs(kind: str, n: int, *, prefix: int | None = None) -> int:
    """How many (query, key) pairs a pattern allows, by formula: the attention work it keeps.

    ``n^2`` for an encoder, ``n(n+1)/2`` for a decoder, and
    ``p^2 + (n(n+1) - p(p+1))/2`` for a prefix LM with prefix ``p``.

    >>> from concepts.architectures import allowed_pairs
    >>> allowed_pairs("encoder", 4), allowed_pairs("decoder", 4), allowed_pairs("prefix_lm", 4, prefix=2)
    (16, 10, 11)
    """
    _check_kind(kind, prefix)
    _length("n", n)
    if kind == "prefix_lm" and not 0 <= prefix <= n:
        raise ValueError(f"prefix must be an integer from 0 to n = {n}; got {prefix!r}")
    if kind == "encoder":
        return n * n
    if kind == "decoder":
        return n * (n + 1) // 2
    p = prefix
    return p * p + (n * (n + 1) - p * (p + 1)) // 2  # p rows see p keys; row i >= p sees i + 1


def sees_the_future(mask: np.ndarray) -> bool:
    """Whether any query may attend to a later key (``mask[i, j]`` with ``j > i``).

    >>> from concepts.architectures import causal_mask, full_mask, sees_the_future
    >>> sees_the_future(causal_mask(3)), sees_the_future(full_mask(3))
    (False, True)
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        raise ValueError(f"mask must be square, (n, n); got shape {mask.shape}")
    return bool(np.triu(mask, k=1).any())
