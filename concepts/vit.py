"""The Vision Transformer: an image cut into patches, each patch a token, then a pre-LN encoder.

Follows Dosovitskiy et al. (2021), "An Image is Worth 16x16 Words", with Hugging Face's
``ViTModel`` as the reference for weights and outputs: a patch embedding that is a
``Conv2d(kernel_size=P, stride=P)``, a learned [CLS] token put *first*, learned position
embeddings for [CLS] and every patch (interpolated bicubically to a new resolution),
pre-LN layers (``x + MHA(LN(x))``, then ``+ FFN(LN(.))``) with exact GELU and LayerNorm
eps 1e-12, a final LayerNorm and a tanh pooler on [CLS]. The layers are
``concepts.transformer.encoder_layer`` with ``norm_first=True``; the final LayerNorm is
``concepts.normalization.layer_norm``. Images are channels-first ``(C, H, W)`` as in
PyTorch. Weights are ``(d_in, d_out)`` and multiply on the right. Leaves out dropout,
the classification head's training, masked-patch pretraining, and image preprocessing
(resizing, normalising by the dataset mean and std). The parameter count, the random
initialisation and the converter from Hugging Face live in ``concepts/_vit_params.py`` and
are re-exported here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int, require_tensor
from concepts._vit_params import init_vit_params, vit_param_count, vit_params_from_torch
from concepts.normalization import layer_norm
from concepts.transformer import encoder_layer

if TYPE_CHECKING:
    import torch

__all__ = [
    "init_vit_params",
    "interpolate_pos_embed",
    "patch_embed",
    "patch_embed_torch",
    "patchify",
    "patchify_torch",
    "vit_embeddings",
    "vit_forward",
    "vit_param_count",
    "vit_params_from_torch",
]

ORDERS = ("chw", "hwc")


def _split(shape: tuple, patch_size: int, order: str) -> tuple[int, int, int, int, int]:
    """Validate ``(..., C, H, W)`` against ``patch_size``; return ``(C, H, W, H/P, W/P)``."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}; got {order!r}")
    if len(shape) not in (3, 4):
        raise ValueError(f"images must have shape (C, H, W) or (batch, C, H, W); got {shape}")
    C, H, W = shape[-3:]
    if H % patch_size or W % patch_size or 0 in shape:
        raise ValueError(f"height and width must be positive multiples of patch_size = {patch_size}; got {H}x{W}")
    return C, H, W, H // patch_size, W // patch_size


def _patches(x: Any, P: int, order: str) -> Any:
    """The reshape-permute-reshape shared by NumPy and PyTorch (both have ``reshape`` and ``permute``-like ops)."""
    B, C, H, W = x.shape
    x = x.reshape(B, C, H // P, P, W // P, P)  # (B, C, gh, P, gw, P): split each axis into (grid, within patch)
    axes = (0, 2, 4, 1, 3, 5) if order == "chw" else (0, 2, 4, 3, 5, 1)  # grid first, then the patch's own axes
    x = x.transpose(*axes) if isinstance(x, np.ndarray) else x.permute(*axes)
    return x.reshape(B, (H // P) * (W // P), C * P * P)  # (B, num_patches, C*P*P), patches in raster order


def patchify(images: ArrayLike, patch_size: int, *, order: str = "chw") -> np.ndarray:
    """Cut images into non-overlapping ``P x P`` patches and flatten each: the tokens of a ViT.

    Patches come in raster order (left to right, then top to bottom): patch ``(i, j)`` of
    the ``(H/P) x (W/P)`` grid is row ``i * (W/P) + j``. Inside a patch, ``order="chw"``
    flattens channel, then row, then column (``Conv2d.weight.reshape(d_model, -1)``'s order,
    so ``patchify(x) @ W.reshape(d, -1).T`` is the convolution); ``"hwc"`` puts the channel
    last (the JAX original's NHWC layout and ``einops``' ``(p1 p2 c)``).

    :param images: ``(C, H, W)`` or ``(batch, C, H, W)``; H and W multiples of ``patch_size``.
    :param patch_size: ``P``.
    :param order: ``"chw"`` (default) or ``"hwc"``, the order inside a flattened patch.
    :returns: float64 ``(num_patches, C*P*P)`` or ``(batch, num_patches, C*P*P)``.
    :raises ValueError: for a wrong rank, a size not divisible by ``P`` or an unknown order.

    >>> import numpy as np
    >>> from concepts.vit import patchify
    >>> x = np.arange(16).reshape(1, 4, 4)  # one channel, 4x4, two-by-two patches
    >>> patchify(x, 2).astype(int).tolist()
    [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    """
    x = as_array(images, "images")
    P = require_positive_int(patch_size, "patch_size")
    _split(x.shape, P, order)
    out = _patches(x if x.ndim == 4 else x[None], P, order)
    return out if x.ndim == 4 else out[0]


def patchify_torch(images: torch.Tensor, patch_size: int, *, order: str = "chw") -> torch.Tensor:
    """``patchify`` in PyTorch: the same reshape and permute on a tensor, dtype kept.

    >>> import torch
    >>> from concepts.vit import patchify_torch
    >>> patchify_torch(torch.arange(16.0).reshape(1, 4, 4), 2)[1].tolist()
    [2.0, 3.0, 6.0, 7.0]
    """
    x = require_tensor(images, "images")
    P = require_positive_int(patch_size, "patch_size")
    _split(tuple(x.shape), P, order)
    out = _patches(x if x.ndim == 4 else x[None], P, order)
    return out if x.ndim == 4 else out[0]


def patch_embed(images: ArrayLike, weight: ArrayLike, bias: ArrayLike, patch_size: int) -> np.ndarray:
    """The patch embedding: ``patchify(x) @ W + b``, equal to ``Conv2d(C, d, kernel_size=P, stride=P)``.

    A convolution whose stride equals its kernel sees each patch exactly once, so it is one
    matrix multiply of the flattened patches; ``W = conv.weight.reshape(d_model, -1).T``.

    :param images: ``(C, H, W)`` or ``(batch, C, H, W)``.
    :param weight: ``(C*P*P, d_model)``, rows in ``patchify``'s ``"chw"`` order.
    :param bias: ``(d_model,)``.
    :returns: ``(num_patches, d_model)`` or ``(batch, num_patches, d_model)``.

    >>> import numpy as np
    >>> from concepts.vit import patch_embed
    >>> x = np.arange(16.0).reshape(1, 4, 4)
    >>> patch_embed(x, np.ones((4, 1)) / 4, np.zeros(1), 2).ravel().tolist()  # each patch's mean
    [2.5, 4.5, 10.5, 12.5]
    """
    p = patchify(images, patch_size)
    w, b = as_array(weight, "weight"), as_array(bias, "bias")
    if w.ndim != 2 or w.shape[0] != p.shape[-1] or b.shape != (w.shape[1],):
        raise ValueError(
            f"weight must be (C*P*P, d_model) = ({p.shape[-1]}, d_model) and bias (d_model,); "
            f"got {w.shape} and {b.shape}"
        )
    return p @ w + b  # (..., num_patches, d_model)


def patch_embed_torch(images: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, patch_size: int) -> torch.Tensor:
    """``patch_embed`` in PyTorch (a matmul of the patches, not a convolution); dtype kept.

    >>> import torch
    >>> from concepts.vit import patch_embed_torch
    >>> x = torch.arange(16.0).reshape(1, 4, 4)
    >>> patch_embed_torch(x, torch.ones(4, 1) / 4, torch.zeros(1), 2).ravel().tolist()
    [2.5, 4.5, 10.5, 12.5]
    """
    p = patchify_torch(images, patch_size)
    w, b = require_tensor(weight, "weight"), require_tensor(bias, "bias")
    if w.ndim != 2 or w.shape[0] != p.shape[-1] or tuple(b.shape) != (w.shape[1],):
        raise ValueError(f"weight must be ({p.shape[-1]}, d_model) and bias (d_model,); got {tuple(w.shape)}")
    return p @ w + b


def vit_embeddings(
    images: ArrayLike,
    patch_weight: ArrayLike,
    patch_bias: ArrayLike,
    cls_token: ArrayLike,
    position_embeddings: ArrayLike,
    patch_size: int,
) -> np.ndarray:
    """ViT's input sequence: ``[x_cls; x_1 W; ...; x_N W] + E_pos``, [CLS] first (``ViTEmbeddings``, eval mode).

    :param images: ``(batch, C, H, W)``.
    :param patch_weight: ``(C*P*P, d_model)`` in ``"chw"`` order; ``patch_bias`` ``(d_model,)``.
    :param cls_token: ``(d_model,)``, the same learned vector for every image.
    :param position_embeddings: ``(1 + num_patches, d_model)``: row 0 is [CLS]'s, row
        ``1 + k`` patch ``k``'s (raster order). [CLS] gets its position embedding too.
    :returns: ``(batch, 1 + num_patches, d_model)``.
    :raises ValueError: when the table does not have ``1 + num_patches`` rows (interpolate it
        with ``interpolate_pos_embed``).

    >>> import numpy as np
    >>> from concepts.vit import vit_embeddings
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> pos = np.arange(5.0)[:, None] * 100  # rows 0, 100, ..., 400
    >>> vit_embeddings(x, np.ones((4, 1)) / 4, np.zeros(1), [-1.0], pos, 2).ravel().tolist()
    [-1.0, 102.5, 204.5, 310.5, 412.5]
    """
    x = as_array(images, "images")
    if x.ndim != 4:
        raise ValueError(f"images must have shape (batch, C, H, W); got {x.shape}")
    patches = patch_embed(x, patch_weight, patch_bias, patch_size)  # (B, N, d)
    cls, pos = as_array(cls_token, "cls_token"), as_array(position_embeddings, "position_embeddings")
    B, N, d = patches.shape
    if cls.shape != (d,) or pos.shape != (1 + N, d):
        raise ValueError(
            f"cls_token must be ({d},) and position_embeddings ({1 + N}, {d}); got {cls.shape}, {pos.shape}"
        )
    tokens = np.concatenate([np.broadcast_to(cls, (B, 1, d)), patches], axis=1)  # (B, 1 + N, d), [CLS] first
    return tokens + pos


def _interp_matrix(n_in: int, n_out: int, mode: str) -> np.ndarray:
    """``(n_out, n_in)`` weights of 1-D interpolation as ``F.interpolate(size=..., align_corners=False)``."""
    scale = n_in / n_out
    src = (np.arange(n_out) + 0.5) * scale - 0.5  # half-pixel centres (align_corners=False)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode == "bilinear":
        src = np.maximum(src, 0.0)  # PyTorch clamps at 0 for linear modes only
        i0 = np.floor(src).astype(int)
        t = src - i0
        i1 = np.minimum(i0 + 1, n_in - 1)
        np.add.at(m, (rows, i0), 1 - t)
        np.add.at(m, (rows, i1), t)
        return m
    i0 = np.floor(src).astype(int)
    t = src - i0
    A = -0.75  # Keys' cubic convolution with a = -0.75, PyTorch's (and OpenCV's) choice

    def near(s: np.ndarray) -> np.ndarray:  # |s| <= 1
        return ((A + 2) * s - (A + 3)) * s * s + 1

    def far(s: np.ndarray) -> np.ndarray:  # 1 < |s| < 2
        return ((A * s - 5 * A) * s + 8 * A) * s - 4 * A

    for offset, w in ((-1, far(t + 1)), (0, near(t)), (1, near(1 - t)), (2, far(2 - t))):
        np.add.at(m, (rows, np.clip(i0 + offset, 0, n_in - 1)), w)  # edge pixels repeat
    return m


def interpolate_pos_embed(
    position_embeddings: ArrayLike, new_grid: tuple[int, int], *, mode: str = "bicubic"
) -> np.ndarray:
    """Resize the patch part of a position table to a new ``(grid_h, grid_w)``; [CLS]'s row is kept.

    The ``N = g * g`` patch rows are laid out as a ``g x g`` image with ``d_model`` channels
    and resized as ``F.interpolate(size=new_grid, mode=mode, align_corners=False)``, which is
    what ``ViTModel(..., interpolate_pos_encoding=True)`` does (bicubic); separable, so it is
    ``M_h @ grid @ M_w^T`` per channel.

    :param position_embeddings: ``(1 + g*g, d_model)``.
    :param new_grid: ``(H'/P, W'/P)``.
    :param mode: ``"bicubic"`` (Hugging Face ViT, DINO) or ``"bilinear"``.
    :returns: ``(1 + grid_h * grid_w, d_model)``.

    >>> import numpy as np
    >>> from concepts.vit import interpolate_pos_embed
    >>> pos = np.array([[9.0], [0.0], [1.0], [2.0], [3.0]])  # [CLS] then a 2x2 grid
    >>> np.round(interpolate_pos_embed(pos, (1, 1), mode="bilinear").ravel(), 4).tolist()
    [9.0, 1.5]
    """
    pos = as_array(position_embeddings, "position_embeddings")
    if mode not in ("bicubic", "bilinear"):
        raise ValueError(f"mode must be 'bicubic' or 'bilinear'; got {mode!r}")
    g = math.isqrt(max(pos.shape[0] - 1, 0)) if pos.ndim == 2 else 0
    if pos.ndim != 2 or g < 1 or g * g != pos.shape[0] - 1:
        raise ValueError(f"position_embeddings must be (1 + g*g, d_model) for a square grid; got {pos.shape}")
    gh, gw = (require_positive_int(n, "new_grid") for n in new_grid)
    grid = pos[1:].reshape(g, g, -1)  # (g, g, d): row-major, as the patches
    out = np.einsum("ai,ijd,bj->abd", _interp_matrix(g, gh, mode), grid, _interp_matrix(g, gw, mode))
    return np.concatenate([pos[:1], out.reshape(gh * gw, -1)])


def vit_forward(
    images: ArrayLike, params: dict[str, Any], *, interpolate_pos_encoding: bool = False, norm_first: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """``ViTModel``'s forward in eval mode: ``(last_hidden_state, pooler_output)``.

    Embeddings, ``num_layers`` pre-LN encoder layers (exact GELU), a final LayerNorm, and
    the pooler ``tanh(h_[CLS] W_p + b_p)`` (``None`` when ``params["pooler"]`` is ``None``).

    :param images: ``(batch, C, H, W)``.
    :param params: from ``vit_params_from_torch`` or ``init_vit_params``.
    :param interpolate_pos_encoding: resize the position table bicubically when the image
        is not the trained size (Hugging Face's flag of the same name).
    :param norm_first: ``True`` is ViT's pre-LN; ``False`` (post-LN, BERT's) is for contrast.
    :returns: ``(batch, 1 + num_patches, d_model)`` and ``(batch, d_model)`` or ``None``.

    >>> import numpy as np
    >>> from concepts.vit import init_vit_params, vit_forward
    >>> p = init_vit_params(image_size=8, patch_size=4, d_model=8, num_layers=1, d_ff=16, num_heads=2)
    >>> h, pooled = vit_forward(np.zeros((2, 3, 8, 8)), p)
    >>> h.shape, pooled.shape
    ((2, 5, 8), (2, 8))
    >>> vit_forward(np.zeros((1, 3, 12, 8)), p, interpolate_pos_encoding=True)[0].shape
    (1, 7, 8)
    """
    x = as_array(images, "images")
    P, pos = params["patch_size"], params["position_embeddings"]
    if x.ndim == 4 and interpolate_pos_encoding:
        grid = (x.shape[2] // P, x.shape[3] // P)
        if grid[0] * grid[1] != pos.shape[0] - 1 or grid[0] != grid[1]:  # as Hugging Face: same size, square
            pos = interpolate_pos_embed(pos, grid)
    h = vit_embeddings(x, params["patch_weight"], params["patch_bias"], params["cls_token"], pos, P)
    for layer in params["layers"]:
        h = encoder_layer(h, layer, params["num_heads"], norm_first=norm_first, activation="gelu", eps=params["eps"])
    h = layer_norm(h, h.shape[-1], params["ln_weight"], params["ln_bias"], eps=params["eps"])
    pool = params.get("pooler")
    pooled = None if pool is None else np.tanh(h[:, 0] @ pool["w"] + pool["b"])  # tanh(h_CLS W_p + b_p)
    return h, pooled
