"""Walks the patch grid column by column (top to bottom, then left to right) instead of in raster order."""

import numpy as np

EXPECTED_FAILURE = "check_patchify_hand_worked"


def patchify(images, patch_size, *, order="chw"):
    x = np.asarray(images, dtype=float)
    single = x.ndim == 3
    if single:
        x = x[None]
    B, C, H, W = x.shape
    P = patch_size
    inner = (1, 3, 5) if order == "chw" else (3, 5, 1)
    x = x.reshape(B, C, H // P, P, W // P, P).transpose(0, 4, 2, *inner)  # grid column first
    out = x.reshape(B, (H // P) * (W // P), C * P * P)
    return out[0] if single else out
