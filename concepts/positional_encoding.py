"""Positional encoding: the signals that tell order-blind attention where each token sits.

Follows Vaswani et al. (2017) for the sinusoidal table, RoFormer (Su et al., 2021) for
rotary embeddings (RoPE) in both pairing conventions, and Press et al. (2022, "Train Short,
Test Long") for ALiBi; a learned table is an embedding lookup. RoPE's context-extension
arithmetic follows Hugging Face ``transformers``' ``rope_type`` rules: linear position
interpolation (Chen et al., 2023), the NTK-aware base, dynamic NTK, YaRN (Peng et al., 2023)
and Llama 3.1's frequency-band rule. Leaves out T5's bucketed relative bias, LongRoPE's
searched factors, and fused kernels. RoPE's frequencies and the context-extension rules live in
``concepts/_positional_encoding_rope_scaling.py`` and are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from concepts._checks import (
    as_array,
    require_positive,
    require_positive_int,
    require_rng,
    require_tensor,
    require_torch,
)
from concepts._positional_encoding_rope_scaling import (
    ROPE_SCALINGS,  # noqa: F401  (not in __all__, but still importable from here)
    _check_even,
    ntk_aware_base,
    rope_frequencies,
    rope_scaled_frequencies,
    yarn_attention_factor,
)

if TYPE_CHECKING:
    import torch

__all__ = [
    "alibi_bias",
    "alibi_bias_torch",
    "alibi_slopes",
    "init_position_table",
    "learned_positions",
    "ntk_aware_base",
    "position_embedding_torch",
    "rope",
    "rope_frequencies",
    "rope_permutation",
    "rope_scaled_frequencies",
    "rope_torch",
    "sinusoidal_encoding",
    "sinusoidal_encoding_torch",
    "yarn_attention_factor",
]

PAIRINGS = ("half", "interleaved")


def _check_positive(name: str, n: int) -> None:
    require_positive_int(n, name)


def _check_table(max_len: int, d_model: int, std: float) -> None:
    _check_positive("max_len", max_len)
    _check_positive("d_model", d_model)
    require_positive(std, "std")


def sinusoidal_encoding(seq_len: int, d_model: int, *, base: float = 10000.0) -> np.ndarray:
    """The fixed sine/cosine table of Vaswani et al. (2017), shape ``(seq_len, d_model)``.

    Even columns hold sines and odd columns cosines of the same angle (interleaved).

    :param seq_len: number of positions, at least 1.
    :param d_model: model width, a positive even integer.
    :param base: the wavelength base, 10000 in the paper.
    :returns: array ``PE`` of shape ``(seq_len, d_model)``, added to the token embeddings.
    :raises ValueError: when ``d_model`` is odd or ``seq_len`` is not positive.

    >>> import numpy as np
    >>> np.round(sinusoidal_encoding(2, 4), 4).tolist()
    [[0.0, 1.0, 0.0, 1.0], [0.8415, 0.5403, 0.01, 1.0]]
    """
    _check_positive("seq_len", seq_len)
    _check_even("d_model", d_model)
    pos = np.arange(seq_len, dtype=np.float64)[:, None]  # (T, 1)
    inv_freq = base ** (-np.arange(0, d_model, 2) / d_model)  # 1 / base^(2i/d), (d/2,)
    angle = pos * inv_freq  # (T, d/2)
    pe = np.empty((seq_len, d_model))
    pe[:, 0::2] = np.sin(angle)  # PE[pos, 2i]   = sin(pos / base^(2i/d))
    pe[:, 1::2] = np.cos(angle)  # PE[pos, 2i+1] = cos(pos / base^(2i/d))
    return pe


def sinusoidal_encoding_torch(
    seq_len: int, d_model: int, *, base: float = 10000.0, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """PyTorch mirror of ``sinusoidal_encoding``, shape ``(seq_len, d_model)``.

    The angles are computed in float64 and only the table is cast to ``dtype`` (float64 when
    omitted): a float32 angle ``pos * theta`` at position 100,000 is already off by up to
    0.004 rad, and a bfloat16 one by whole radians.

    >>> round(float(sinusoidal_encoding_torch(2, 4)[1, 0]), 4)
    0.8415
    """
    torch = require_torch()
    _check_positive("seq_len", seq_len)
    _check_even("d_model", d_model)
    pos = torch.arange(seq_len, dtype=torch.float64)[:, None]  # (T, 1)
    inv_freq = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    angle = pos * inv_freq  # (T, d/2)
    pe = torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(seq_len, d_model)
    return pe.to(torch.float64 if dtype is None else dtype)


def init_position_table(
    max_len: int, d_model: int, *, std: float = 0.02, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """A learned absolute position table at initialisation, shape ``(max_len, d_model)``.

    Entries are drawn from N(0, std^2); 0.02 is Hugging Face's GPT-2 and BERT ``initializer_range``.
    Training then updates the rows like any other embedding.

    :param max_len: number of rows; positions ``>= max_len`` have no vector at all.
    :param d_model: model width.
    :param std: standard deviation of the initial entries.
    :param rng: a NumPy generator, an int seed, or None for fresh entropy.

    >>> init_position_table(1024, 64, rng=0).shape
    (1024, 64)
    """
    _check_table(max_len, d_model, std)
    return require_rng(rng).normal(0.0, std, size=(max_len, d_model))


def learned_positions(table: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Look up rows of a learned table: ``(max_len, d_model)`` and ``(...)`` to ``(..., d_model)``.

    :raises ValueError: when a position falls outside ``[0, max_len)``: a learned table
        cannot extrapolate to lengths it never saw.

    >>> import numpy as np
    >>> learned_positions(np.arange(6.0).reshape(3, 2), np.array([2, 0])).tolist()
    [[4.0, 5.0], [0.0, 1.0]]
    """
    table, positions = as_array(table, "table"), np.asarray(as_array(positions, "positions", dtype=None))
    if table.ndim != 2:
        raise ValueError(f"table must have shape (max_len, d_model); got {table.shape}")
    if not np.issubdtype(positions.dtype, np.integer):
        raise ValueError(f"positions must be integers; got dtype {positions.dtype}")
    if positions.size and (positions.min() < 0 or positions.max() >= len(table)):
        got = f"{positions.min()}..{positions.max()}"
        raise ValueError(f"positions must lie in [0, {len(table)}) for this table; got {got}")
    return table[positions]


def position_embedding_torch(
    max_len: int, d_model: int, *, std: float = 0.02, generator: torch.Generator | None = None
) -> torch.nn.Embedding:
    """PyTorch mirror of ``init_position_table``: an ``nn.Embedding`` with N(0, std^2) rows.

    >>> import torch
    >>> position_embedding_torch(16, 8, generator=torch.Generator().manual_seed(0))(torch.arange(3)).shape
    torch.Size([3, 8])
    """
    torch = require_torch()
    _check_table(max_len, d_model, std)
    table = torch.nn.Embedding(max_len, d_model)
    torch.nn.init.normal_(table.weight, mean=0.0, std=std, generator=generator)
    return table


def rope_permutation(head_dim: int) -> np.ndarray:
    """The fixed permutation ``P`` that turns interleaved RoPE into half-split RoPE.

    ``rope(x, pairing="interleaved") == rope(x[..., P], pairing="half")[..., argsort(P)]``:
    feature ``2i`` moves to slot ``i`` and feature ``2i+1`` to slot ``i + d/2``.

    >>> rope_permutation(6).tolist()
    [0, 2, 4, 1, 3, 5]
    """
    _check_even("head_dim", head_dim)
    return np.concatenate([np.arange(0, head_dim, 2), np.arange(1, head_dim, 2)])


def _check_rope(shape: tuple[int, ...], pos_shape: tuple[int, ...] | None, pairing: str, scale: float) -> None:
    if len(shape) < 2:
        raise ValueError(f"x must have shape (..., seq, d); got {shape}")
    _check_even("d (the last axis of x)", shape[-1])
    if pairing not in PAIRINGS:
        raise ValueError(f"pairing must be one of {PAIRINGS}; got {pairing!r}")
    if scale <= 0:
        raise ValueError(f"scale must be positive; got {scale!r}")
    if pos_shape is not None and pos_shape != (shape[-2],):
        raise ValueError(f"positions must have shape ({shape[-2]},); got {pos_shape}")


def rope(
    x: np.ndarray,
    positions: np.ndarray | None = None,
    *,
    base: float = 10000.0,
    pairing: str = "half",
    scale: float = 1.0,
) -> np.ndarray:
    """Rotate each feature pair of ``x`` by the angle ``m * theta_i`` of its position ``m``.

    Apply it to queries and keys (never values) after the projection, per head.

    :param x: queries or keys, shape ``(..., seq, d)`` with ``d`` even.
    :param positions: integer positions, shape ``(seq,)``; ``0, 1, ..., seq-1`` when omitted.
    :param base: frequency base, 10000 in RoFormer and Llama 2.
    :param pairing: ``"half"`` rotates features ``(i, i + d/2)`` (GPT-NeoX, Hugging Face
        ``rotate_half``); ``"interleaved"`` rotates ``(2i, 2i+1)`` (RoFormer, GPT-J, Meta's
        Llama code with complex numbers).
    :param scale: linear position interpolation: positions are divided by ``scale``.
    :returns: the rotated array, same shape as ``x``.
    :raises ValueError: for a rank below 2, an odd ``d``, positions of the wrong shape,
        an unknown pairing or a non-positive scale.

    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0, 0.0, 0.0]])  # one token at position 1, d = 4
    >>> np.round(rope(x, np.array([1]), pairing="interleaved"), 4).tolist()
    [[0.5403, 0.8415, 0.0, 0.0]]
    >>> np.round(rope(x, np.array([1]), pairing="half"), 4).tolist()
    [[0.5403, 0.0, 0.8415, 0.0]]
    """
    x = as_array(x, "x")
    positions = None if positions is None else as_array(positions, "positions", dtype=None)
    _check_rope(x.shape, None if positions is None else positions.shape, pairing, scale)
    seq, d = x.shape[-2:]
    m = np.arange(seq) if positions is None else positions
    angle = (m[:, None] / scale) * rope_frequencies(d, base=base)  # m * theta_i, (seq, d/2)
    cos, sin = np.cos(angle), np.sin(angle)
    if pairing == "interleaved":
        x1, x2 = x[..., 0::2], x[..., 1::2]  # pairs (2i, 2i+1), each (..., seq, d/2)
    else:
        x1, x2 = x[..., : d // 2], x[..., d // 2 :]  # pairs (i, i + d/2)
    r1 = x1 * cos - x2 * sin  # [r1; r2] = [[cos, -sin], [sin, cos]] [x1; x2]
    r2 = x1 * sin + x2 * cos
    if pairing == "interleaved":
        return np.stack([r1, r2], axis=-1).reshape(x.shape)  # (..., seq, d/2, 2) -> (..., seq, d)
    return np.concatenate([r1, r2], axis=-1)


def rope_torch(
    x: torch.Tensor,
    positions: torch.Tensor | None = None,
    *,
    base: float = 10000.0,
    pairing: str = "half",
    scale: float = 1.0,
) -> torch.Tensor:
    """PyTorch mirror of ``rope``; same arguments, same conventions, output in ``x.dtype``.

    The angles and their cosines and sines are computed in float64 and only ``cos`` and
    ``sin`` are cast to ``x.dtype``: casting the angle itself to bfloat16 (8 bits of
    mantissa) would put a position-1000 angle off by up to 2 rad.

    >>> import torch
    >>> x = torch.tensor([[1.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
    >>> [round(v, 4) for v in rope_torch(x, torch.tensor([1]), pairing="half")[0].tolist()]
    [0.5403, 0.0, 0.8415, 0.0]
    """
    torch = require_torch()
    x = require_tensor(x, "x")
    positions = None if positions is None else require_tensor(positions, "positions")
    _check_rope(tuple(x.shape), None if positions is None else tuple(positions.shape), pairing, scale)
    seq, d = x.shape[-2:]
    m = torch.arange(seq, device=x.device) if positions is None else positions
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64, device=x.device) / d)
    angle = (m.to(torch.float64)[:, None] / scale) * theta  # (seq, d/2), in float64
    cos, sin = angle.cos().to(x.dtype), angle.sin().to(x.dtype)
    if pairing == "interleaved":
        x1, x2 = x[..., 0::2], x[..., 1::2]
    else:
        x1, x2 = x[..., : d // 2], x[..., d // 2 :]
    r1, r2 = x1 * cos - x2 * sin, x1 * sin + x2 * cos
    if pairing == "interleaved":
        return torch.stack([r1, r2], dim=-1).flatten(-2)  # (..., seq, d/2, 2) -> (..., seq, d)
    return torch.cat([r1, r2], dim=-1)


def alibi_slopes(num_heads: int) -> np.ndarray:
    """ALiBi's per-head slopes for any number of heads, shape ``(num_heads,)``.

    For ``n`` a power of two the slopes are the geometric sequence ``2^(-8h/n)``,
    ``h = 1..n``. Otherwise take the ``p`` slopes of the largest power of two ``p < n``, then
    every other slope of the ``2p`` sequence until there are ``n`` (the reference code's rule).

    >>> alibi_slopes(4).tolist()
    [0.25, 0.0625, 0.015625, 0.00390625]
    """
    num_heads = require_positive_int(num_heads, "num_heads")

    def geometric(n: int) -> np.ndarray:
        return 2.0 ** (-8.0 * np.arange(1, n + 1) / n)  # m_h = 2^(-8h/n)

    p = 1 << (num_heads.bit_length() - 1)  # largest power of two <= num_heads
    return np.concatenate([geometric(p), geometric(2 * p)[0::2][: num_heads - p]])


def alibi_bias(num_heads: int, seq_len: int, *, is_causal: bool = True) -> np.ndarray:
    """The ALiBi bias added to attention scores, shape ``(num_heads, seq_len, seq_len)``.

    ``bias[h, i, j] = -m_h * (i - j)`` for keys ``j <= i``; future keys get ``-inf`` when
    ``is_causal``, and ``-m_h * |i - j|`` otherwise (a symmetric variant for encoders). The
    result is an additive (floating) mask.

    >>> alibi_bias(2, 3)[0].tolist()  # head 0 of 2 has slope 2^-4
    [[0.0, -inf, -inf], [-0.0625, 0.0, -inf], [-0.125, -0.0625, 0.0]]
    """
    _check_positive("seq_len", seq_len)
    dist = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]  # i - j, (T, T)
    bias = alibi_slopes(num_heads)[:, None, None] * -np.abs(dist)  # -m_h |i - j|, (h, T, T)
    return np.where(dist < 0, -np.inf, bias) if is_causal else bias


def alibi_bias_torch(
    num_heads: int, seq_len: int, *, is_causal: bool = True, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """PyTorch mirror of ``alibi_bias``, usable as SDPA's float ``attn_mask`` (float64 unless ``dtype``).

    >>> alibi_bias_torch(8, 2)[:, 1, 0].tolist()[:3]
    [-0.5, -0.25, -0.125]
    """
    torch = require_torch()
    _check_positive("seq_len", seq_len)
    slopes = torch.from_numpy(alibi_slopes(num_heads))
    pos = torch.arange(seq_len)
    dist = pos[:, None] - pos[None, :]  # i - j, (T, T)
    bias = slopes[:, None, None] * -dist.abs()  # (h, T, T)
    bias = bias.masked_fill(dist < 0, float("-inf")) if is_causal else bias
    return bias.to(torch.float64 if dtype is None else dtype)
