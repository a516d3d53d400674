"""Checks for the ViT exercises: patchify, and the embedding layer (patches, [CLS], positions).

The trusted references are PyTorch's own functions in float64: ``F.unfold`` (which cuts
an image into patches, channel-major inside a patch, patches in raster order) and
``F.conv2d`` with ``stride = kernel_size`` (Hugging Face's ``ViTPatchEmbeddings``), plus
values worked by hand. ``tests/concepts/test_vit.py`` runs the same checks on ``concepts.vit``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


def _t(a: np.ndarray):
    return require_torch().from_numpy(np.ascontiguousarray(a, dtype=np.float64))


# ---------------------------------------------------------------- vit.patchify


@check("a 1x4x4 image of 0..15 in 2x2 patches gives rows (0,1,4,5), (2,3,6,7), ...", section="vit-patchify")
def check_patchify_hand_worked(candidate: Callable) -> None:
    """Patch (0, 0) holds pixels 0, 1 (top row) and 4, 5 (second row); raster order across the grid."""
    x = np.arange(16.0).reshape(1, 4, 4)
    want = [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    compare(np.asarray(candidate(x, 2), dtype=float), np.array(want, dtype=float), inputs={"images": x})


@check("equals F.unfold(x, P, stride=P).transpose(1, 2) for batched colour images", section="vit-patchify")
def check_patchify_against_unfold(candidate: Callable) -> None:
    F = require_torch().nn.functional
    rng = np.random.default_rng(0)
    for shape, P in (((1, 2, 2, 2), 1), ((1, 3, 4, 4), 2), ((2, 3, 4, 6), 2), ((2, 3, 8, 8), 4)):
        x = rng.standard_normal(shape)
        want = F.unfold(_t(x), P, stride=P).transpose(1, 2).numpy()  # (B, num_patches, C*P*P)
        compare(candidate(x, P), want, inputs={"images": x, "patch_size": P}, atol=1e-12)


@check(
    "a single image (C, H, W) gives (num_patches, C*P*P), the batched result without its batch axis",
    section="vit-patchify",
)
def check_patchify_unbatched(candidate: Callable) -> None:
    x = np.random.default_rng(1).standard_normal((3, 4, 6))
    got = np.asarray(candidate(x, 2))
    expect(got.shape == (6, 12), f"patchify of a (3, 4, 6) image with P=2 must have shape (6, 12); got {got.shape}")
    compare(got, np.asarray(candidate(x[None], 2))[0], inputs={"images": x})


@check("order='hwc' puts the channel last inside a patch (pixel by pixel, RGB RGB ...)", section="vit-patchify")
def check_patchify_hwc(candidate: Callable) -> None:
    x = np.arange(2 * 2 * 2.0).reshape(2, 2, 2)  # channel 0 holds 0..3, channel 1 holds 4..7; one 2x2 patch
    compare(np.asarray(candidate(x, 2, order="hwc")), np.array([[0.0, 4, 1, 5, 2, 6, 3, 7]]), inputs={"images": x})


# ---------------------------------------------------------------- vit.embeddings


def _conv_reference(x, w, b, cls, pos, P) -> np.ndarray:
    """``ViTEmbeddings`` in eval mode from torch functions: conv, flatten(2).transpose(1, 2), [CLS] first, + pos."""
    torch = require_torch()
    F = torch.nn.functional
    d = w.shape[1]
    C = x.shape[1]
    kernel = _t(w.T.reshape(d, C, P, P))  # our (C*P*P, d) back to Conv2d's (d, C, P, P)
    e = F.conv2d(_t(x), kernel, _t(b), stride=P).flatten(2).transpose(1, 2)  # (B, N, d)
    e = torch.cat([_t(cls).expand(x.shape[0], 1, d), e], dim=1)
    return (e + _t(pos)).numpy()


def _case(rng: np.random.Generator, batch: int, C: int, H: int, W: int, P: int, d: int):
    n = (H // P) * (W // P)
    return (
        rng.standard_normal((batch, C, H, W)),
        rng.standard_normal((C * P * P, d)),
        rng.standard_normal(d),
        rng.standard_normal(d),
        rng.standard_normal((1 + n, d)),
        P,
    )


@check("hand-worked: mean-pooling weight, positions 0, 100, ..., [CLS] = -1", section="vit-embeddings")
def check_embeddings_hand_worked(candidate: Callable) -> None:
    """Patch means of 0..15 in 2x2 patches are 2.5, 4.5, 10.5, 12.5; [CLS] -1 + 0, then + 100, 200, 300, 400."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    pos = np.arange(5.0)[:, None] * 100
    got = candidate(x, np.ones((4, 1)) / 4, np.zeros(1), np.array([-1.0]), pos, 2)
    compare(got, np.array([[[-1.0], [102.5], [204.5], [310.5], [412.5]]]), inputs={"images": x}, atol=1e-12)


@check("[CLS] comes first and gets position row 0: out[:, 0] = cls_token + pos[0]", section="vit-embeddings")
def check_embeddings_cls(candidate: Callable) -> None:
    c = _case(np.random.default_rng(2), 2, 3, 4, 4, 2, 5)
    got = np.asarray(candidate(*c))
    expect(got.shape == (2, 5, 5), f"2 images of 4 patches and d_model 5 give (2, 5, 5); got {got.shape}")
    compare(got[:, 0], np.broadcast_to(c[3] + c[4][0], (2, 5)), inputs={"cls_token": c[3], "pos[0]": c[4][0]})


@check(
    "equals Conv2d(kernel_size=P, stride=P) + [CLS] + positions from torch, several shapes", section="vit-embeddings"
)
def check_embeddings_against_conv(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    for batch, C, H, W, P, d in ((1, 1, 2, 2, 1, 2), (1, 3, 4, 4, 2, 4), (2, 3, 8, 4, 2, 6), (3, 2, 8, 8, 4, 8)):
        c = _case(rng, batch, C, H, W, P, d)
        compare(candidate(*c), _conv_reference(*c), inputs={"images.shape": c[0].shape, "patch_size": P}, atol=1e-10)


CHECKS: dict[str, list] = {
    "vit.patchify": [
        check_patchify_hand_worked,
        check_patchify_against_unfold,
        check_patchify_unbatched,
        check_patchify_hwc,
    ],
    "vit.embeddings": [check_embeddings_hand_worked, check_embeddings_cls, check_embeddings_against_conv],
}
