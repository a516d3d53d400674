"""LoRA: fine-tune a frozen weight ``W`` by learning a low-rank update ``(alpha / r) A B`` beside it.

Follows Hu et al., *LoRA: Low-Rank Adaptation of Large Language Models* (2021), with the
conventions of Hugging Face ``peft`` (``lora_A`` random, ``lora_B`` zero, scaling
``alpha / r``, or ``alpha / sqrt(r)`` for rank-stabilised LoRA, Kalajdzievski 2023), and the
NF4 data type and double quantisation of Dettmers et al., *QLoRA* (2023). NumPy code uses
the ``x @ W`` layout (``W`` is ``(d_in, d_out)``, ``A`` is ``(d_in, r)``, ``B`` is
``(r, d_out)``); the PyTorch half uses ``peft``'s ``(d_out, d_in)``, ``(r, d_in)`` and
``(d_out, r)``. Leaves out LoRA dropout (taken as 0), DoRA, LoRA+ and other variants,
adapters on embeddings and convolutions, and the 4-bit matrix multiply kernels themselves.
The parameter counts live in ``concepts/_lora_params.py`` and are re-exported here.
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import (
    as_array,
    require_ndim,
    require_positive,
    require_positive_int,
    require_rng,
    require_tensor,
    require_torch,
)
from concepts._lora_params import decoder_lora_param_count, lora_param_count

if TYPE_CHECKING:
    import torch

__all__ = [  # and LoRALinear, an nn.Module built lazily by the module's __getattr__
    "NF4_OFFSET",
    "decoder_lora_param_count",
    "lora_forward",
    "lora_forward_torch",
    "lora_init",
    "lora_merge",
    "lora_param_count",
    "lora_scaling",
    "nf4_dequantize",
    "nf4_levels",
    "nf4_quantize",
    "quantized_bits_per_param",
    "quantized_weight_bytes",
]

NF4_OFFSET = 0.5 * ((1 - 1 / (2 * 15)) + (1 - 1 / (2 * 16)))
"""QLoRA's outermost quantile, 0.96770833...: halfway between 1 - 1/30 and 1 - 1/32."""


def lora_scaling(alpha: float, r: int, *, use_rslora: bool = False) -> float:
    """The factor on ``A B``: ``alpha / r`` (LoRA), or ``alpha / sqrt(r)`` (rank-stabilised LoRA).

    :param alpha: ``lora_alpha``, a positive number.
    :param r: the rank, a positive integer.
    :param use_rslora: use ``alpha / sqrt(r)``, as ``peft``'s ``LoraConfig(use_rslora=True)``.
    :returns: the scaling as a float.

    >>> from concepts.lora import lora_scaling
    >>> lora_scaling(16, 8), lora_scaling(16, 4, use_rslora=True)
    (2.0, 8.0)
    """
    alpha = require_positive(alpha, "alpha")
    r = require_positive_int(r, "r")
    return alpha / math.sqrt(r) if use_rslora else alpha / r


def _factors(W: np.ndarray, A: np.ndarray, B: np.ndarray) -> int:
    require_ndim(W, "W", 2, "(d_in, d_out)")
    require_ndim(A, "A", 2, "(d_in, r)")
    require_ndim(B, "B", 2, "(r, d_out)")
    d_in, d_out = W.shape
    if A.shape[0] != d_in or B.shape != (A.shape[1], d_out) or A.shape[1] < 1:
        raise ValueError(
            f"A must have shape (d_in, r) = ({d_in}, r) and B shape (r, d_out) = (r, {d_out}); "
            f"got A {A.shape} and B {B.shape}"
        )
    return A.shape[1]


def lora_forward(x: ArrayLike, W: ArrayLike, A: ArrayLike, B: ArrayLike, alpha: float, *,
                 use_rslora: bool = False) -> np.ndarray:  # fmt: skip
    """A LoRA linear layer: ``y = x W + (x A B) * alpha / r``, with ``r = A.shape[1]``.

    ``W`` stays frozen; only ``A`` and ``B`` are trained. Computing ``(x A) B`` costs
    ``r (d_in + d_out)`` multiply-adds per row on top of ``x W``'s ``d_in d_out``.

    :param x: inputs, shape ``(..., d_in)``.
    :param W: frozen weight, shape ``(d_in, d_out)``.
    :param A: down-projection, shape ``(d_in, r)``.
    :param B: up-projection, shape ``(r, d_out)``; zero at initialisation.
    :param alpha: ``lora_alpha``.
    :param use_rslora: scale by ``alpha / sqrt(r)`` instead of ``alpha / r``.
    :returns: ``y``, shape ``(..., d_out)``.
    :raises ValueError: when the shapes do not chain or ``alpha`` is not positive.

    >>> import numpy as np
    >>> from concepts.lora import lora_forward
    >>> W, A, B = np.eye(2), [[1.0], [0.0]], [[0.0, 1.0]]  # r = 1, A B = [[0, 1], [0, 0]]
    >>> lora_forward([[3.0, 4.0]], W, A, B, alpha=2.0).tolist()  # (3, 4) + (0, 3) * 2
    [[3.0, 10.0]]
    """
    x, W, A, B = (as_array(v, n) for v, n in ((x, "x"), (W, "W"), (A, "A"), (B, "B")))
    r = _factors(W, A, B)
    if x.ndim < 1 or x.shape[-1] != W.shape[0]:
        raise ValueError(f"x must have shape (..., d_in) = (..., {W.shape[0]}); got {x.shape}")
    s = lora_scaling(alpha, r, use_rslora=use_rslora)
    return x @ W + (x @ A) @ B * s  # x W + s (x A) B; (x A) is only (..., r)


def lora_merge(W: ArrayLike, A: ArrayLike, B: ArrayLike, alpha: float, *, use_rslora: bool = False) -> np.ndarray:
    """Fold the adapter into the weight: ``W' = W + (alpha / r) A B``, so inference costs nothing extra.

    ``x W' == lora_forward(x, W, A, B, alpha)`` up to rounding. Unmerging subtracts the same
    product, ``W' - (alpha / r) A B``; in low precision that round trip does not return ``W``
    bit for bit.

    :param W: frozen weight, shape ``(d_in, d_out)``.
    :param A: shape ``(d_in, r)``.
    :param B: shape ``(r, d_out)``.
    :param alpha: ``lora_alpha``.
    :param use_rslora: scale by ``alpha / sqrt(r)``.
    :returns: the merged weight, shape ``(d_in, d_out)``.

    >>> from concepts.lora import lora_merge
    >>> lora_merge([[1.0, 0.0], [0.0, 1.0]], [[1.0], [0.0]], [[0.0, 1.0]], alpha=2.0).tolist()
    [[1.0, 2.0], [0.0, 1.0]]
    """
    W, A, B = (as_array(v, n) for v, n in ((W, "W"), (A, "A"), (B, "B")))
    r = _factors(W, A, B)
    return W + lora_scaling(alpha, r, use_rslora=use_rslora) * (A @ B)  # W + s A B


def lora_init(
    d_in: int, d_out: int, r: int, *, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``peft``'s default start: ``A ~ U(-1/sqrt(d_in), 1/sqrt(d_in))`` and ``B = 0``.

    The bound is what ``nn.init.kaiming_uniform_(a=sqrt(5))`` gives a ``(r, d_in)`` weight
    (gain ``sqrt(1/3)``, so ``sqrt(3) * gain / sqrt(d_in)``). ``B = 0`` makes the adapted
    layer equal the base layer at step 0, while ``A != 0`` lets ``B`` receive a gradient.

    :returns: ``(A, B)`` of shapes ``(d_in, r)`` and ``(r, d_out)``.

    >>> from concepts.lora import lora_init
    >>> A, B = lora_init(4, 3, 2, rng=0)
    >>> A.shape, B.shape, float(abs(B).max()), bool(abs(A).max() <= 0.5)
    ((4, 2), (2, 3), 0.0, True)
    """
    d_in, d_out, r = (require_positive_int(v, n) for v, n in ((d_in, "d_in"), (d_out, "d_out"), (r, "r")))
    bound = 1.0 / math.sqrt(d_in)
    A = require_rng(rng).uniform(-bound, bound, size=(d_in, r))
    return A, np.zeros((r, d_out))


def lora_forward_torch(x: torch.Tensor, W: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                       alpha: float, *, use_rslora: bool = False) -> torch.Tensor:  # fmt: skip
    """:func:`lora_forward` in PyTorch, with ``peft``'s layouts: ``y = x Wᵀ + s (x Aᵀ) Bᵀ``.

    :param x: shape ``(..., d_in)``.
    :param W: the base ``nn.Linear`` weight, shape ``(d_out, d_in)``.
    :param A: ``peft``'s ``lora_A.weight``, shape ``(r, d_in)``.
    :param B: ``peft``'s ``lora_B.weight``, shape ``(d_out, r)``.
    :returns: shape ``(..., d_out)``, in the inputs' dtype.

    >>> import torch
    >>> from concepts.lora import lora_forward_torch
    >>> W, A, B = torch.eye(2), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0], [1.0]])
    >>> lora_forward_torch(torch.tensor([[3.0, 4.0]]), W, A, B, 2.0).tolist()
    [[3.0, 10.0]]
    """
    x, W, A, B = (require_tensor(v, n) for v, n in ((x, "x"), (W, "W"), (A, "A"), (B, "B")))
    d_out, d_in = W.shape
    r = A.shape[0]
    if A.shape != (r, d_in) or B.shape != (d_out, r) or x.shape[-1] != d_in:
        raise ValueError(
            f"need W (d_out, d_in), A (r, d_in), B (d_out, r), x (..., d_in) in nn.Linear's layout; got "
            f"{tuple(W.shape)}, {tuple(A.shape)}, {tuple(B.shape)}, {tuple(x.shape)}"
        )
    s = lora_scaling(alpha, r, use_rslora=use_rslora)
    return x @ W.T + (x @ A.T) @ B.T * s  # x Wᵀ + s (x Aᵀ) Bᵀ


def nf4_levels(*, offset: float = NF4_OFFSET) -> np.ndarray:
    """The 16 NormalFloat-4 levels: quantiles of N(0, 1), scaled into [-1, 1], with 0 exact.

    QLoRA's construction: 8 positive levels at the quantiles of ``linspace(offset, 0.5, 9)``
    (the last, 0.5, dropped), 7 negative ones at ``linspace(offset, 0.5, 8)`` mirrored, and
    0; then divide by the largest. The halves differ so that zero is a level (padding and
    pruned weights stay exactly zero) and all 16 codes are used.

    :returns: shape ``(16,)``, ascending, from -1 to 1.

    >>> import numpy as np
    >>> from concepts.lora import nf4_levels
    >>> v = nf4_levels()
    >>> v.shape, float(v[0]), float(v[7]), float(v[-1]), np.round(v[8], 4)
    ((16,), -1.0, 0.0, 1.0, np.float64(0.0796))
    """
    if not 0.5 < offset < 1.0:
        raise ValueError(f"offset must lie in (0.5, 1); got {offset!r}")
    ppf = NormalDist().inv_cdf
    positive = [ppf(p) for p in np.linspace(offset, 0.5, 9)[:-1]]  # 8 quantiles above the median
    negative = [-ppf(p) for p in np.linspace(offset, 0.5, 8)[:-1]]  # 7 below it
    v = np.sort(np.array([*negative, 0.0, *positive]))
    return v / v.max()  # the outermost positive quantile maps to 1


def nf4_quantize(w: ArrayLike, *, block_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Blockwise absmax NF4 quantisation: each block of ``block_size`` values keeps one scale.

    :param w: weights; flattened, and the length must be a multiple of ``block_size``.
    :returns: ``(codes, absmax)``: codes in 0..15 (``uint8``), shape ``(n,)``, and the scales,
        shape ``(n // block_size,)``.

    >>> from concepts.lora import nf4_dequantize, nf4_quantize
    >>> codes, absmax = nf4_quantize([0.0, -2.0, 1.0, 2.0], block_size=4)
    >>> codes.tolist(), absmax.tolist(), nf4_dequantize(codes, absmax, block_size=4).round(4).tolist()
    ([7, 0, 12, 15], [2.0], [0.0, -2.0, 0.8814, 2.0])
    """
    block_size = require_positive_int(block_size, "block_size")
    w = as_array(w, "w").ravel()
    if w.size == 0 or w.size % block_size:
        raise ValueError(f"w must hold a positive multiple of block_size = {block_size} values; got {w.size}")
    blocks = w.reshape(-1, block_size)  # (n_blocks, block_size)
    absmax = np.abs(blocks).max(axis=1)  # one scale per block
    normed = blocks / np.where(absmax == 0, 1.0, absmax)[:, None]  # in [-1, 1]
    codes = np.abs(normed[..., None] - nf4_levels()).argmin(axis=-1)  # nearest level
    return codes.astype(np.uint8).ravel(), absmax


def nf4_dequantize(codes: ArrayLike, absmax: ArrayLike, *, block_size: int = 64) -> np.ndarray:
    """Inverse of :func:`nf4_quantize`: ``level[code] * absmax`` of the code's block, shape ``(n,)``."""
    block_size = require_positive_int(block_size, "block_size")
    codes = np.asarray(codes).ravel()
    absmax = as_array(absmax, "absmax").ravel()
    if codes.size != absmax.size * block_size or (codes.size and not 0 <= codes.min() <= codes.max() <= 15):
        raise ValueError(f"need codes in 0..15, block_size = {block_size} per absmax; got {codes.size}, {absmax.size}")
    return (nf4_levels()[codes.astype(np.intp)].reshape(-1, block_size) * absmax[:, None]).ravel()


def quantized_bits_per_param(*, bits: int = 4, block_size: int = 64, double_quant: bool = False,
                             scale_bits: int = 32, dq_bits: int = 8, dq_block_size: int = 256) -> float:  # fmt: skip
    """Storage per weight of blockwise quantisation, scales included.

    Without double quantisation each block of ``block_size`` weights stores one float32
    scale: ``bits + 32 / 64`` = 4.5 bits. QLoRA's double quantisation stores those scales in
    8 bits, with one float32 scale per ``dq_block_size`` = 256 of them:
    ``bits + 8 / 64 + 32 / (64 * 256)`` = 4.127 bits.

    >>> from concepts.lora import quantized_bits_per_param
    >>> quantized_bits_per_param(), round(quantized_bits_per_param(double_quant=True), 6)
    (4.5, 4.126953)
    """
    bits, block_size, scale_bits, dq_bits, dq_block_size = (require_positive_int(v, n) for v, n in (
        (bits, "bits"), (block_size, "block_size"), (scale_bits, "scale_bits"), (dq_bits, "dq_bits"),
        (dq_block_size, "dq_block_size")))  # fmt: skip
    if not double_quant:
        return bits + scale_bits / block_size
    return bits + dq_bits / block_size + scale_bits / (block_size * dq_block_size)


def quantized_weight_bytes(num_params: int, **kwargs: Any) -> float:
    """Bytes to store ``num_params`` weights at :func:`quantized_bits_per_param` (same keywords).

    >>> from concepts.lora import quantized_weight_bytes
    >>> round(quantized_weight_bytes(7_000_000_000, double_quant=True) / 2**30, 2)  # GiB
    3.36
    """
    return require_positive_int(num_params, "num_params") * quantized_bits_per_param(**kwargs) / 8


@functools.cache
def _lora_linear_class() -> type:
    """Build ``LoRALinear`` (an ``nn.Module``) once, when it is first asked for."""
    torch = require_torch()
    nn = torch.nn

    class LoRALinear(nn.Module):
        """A frozen ``nn.Linear`` plus a trainable rank-``r`` adapter, laid out as ``peft``'s LoRA ``Linear``.

        ``forward(x) = base(x) + lora_B(lora_A(x)) * scaling`` (dropout 0). ``lora_A`` starts as
        ``nn.Linear``'s default (``kaiming_uniform_(a=sqrt(5))``), ``lora_B`` at zero, so the
        output equals the base layer's until ``B`` moves. :meth:`merge` folds
        ``scaling * lora_B.weight @ lora_A.weight`` into ``base.weight``; :meth:`unmerge` takes
        it out again.

        :param base: the layer to adapt; its parameters are frozen (``requires_grad=False``).
        :param r: rank; :param alpha: ``lora_alpha``; :param use_rslora: ``alpha / sqrt(r)``.

        >>> import torch
        >>> from concepts.lora import LoRALinear
        >>> _ = torch.manual_seed(0)
        >>> layer = LoRALinear(torch.nn.Linear(4, 3), r=2, alpha=4)
        >>> x = torch.randn(5, 4)
        >>> bool(torch.equal(layer(x), layer.base(x))), layer.scaling  # B = 0 at the start
        (True, 2.0)
        >>> [n for n, p in layer.named_parameters() if p.requires_grad]
        ['lora_A.weight', 'lora_B.weight']
        """

        def __init__(self, base: Any, r: int, alpha: float, *, use_rslora: bool = False) -> None:
            super().__init__()
            if not isinstance(base, nn.Linear):
                raise TypeError(f"base must be a torch.nn.Linear; got {type(base).__name__}")
            self.scaling = lora_scaling(alpha, r, use_rslora=use_rslora)
            self.base = base.requires_grad_(False)
            kw = {"bias": False, "device": base.weight.device, "dtype": base.weight.dtype}
            self.lora_A = nn.Linear(base.in_features, r, **kw)  # weight (r, d_in)
            self.lora_B = nn.Linear(r, base.out_features, **kw)  # weight (d_out, r)
            nn.init.zeros_(self.lora_B.weight)
            self.merged = False

        def delta_weight(self) -> torch.Tensor:
            """``scaling * B A``, shape ``(d_out, d_in)``: what merging adds to ``base.weight``."""
            return self.lora_B.weight @ self.lora_A.weight * self.scaling

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.base(require_tensor(x, "x"))
            if self.merged:  # the adapter already sits inside base.weight
                return y
            return y + self.lora_B(self.lora_A(x)) * self.scaling  # base(x) + s B A x

        @torch.no_grad()
        def merge(self) -> None:
            """Add the adapter to ``base.weight``: one matrix multiply at inference, no extra latency."""
            if not self.merged:
                self.base.weight += self.delta_weight()
                self.merged = True

        @torch.no_grad()
        def unmerge(self) -> None:
            """Subtract the adapter from ``base.weight`` again (exact only up to rounding)."""
            if self.merged:
                self.base.weight -= self.delta_weight()
                self.merged = False

    return LoRALinear


def __getattr__(name: str) -> Any:
    if name == "LoRALinear":
        return _lora_linear_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
