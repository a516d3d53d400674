"""Reshapes the image straight to (num_patches, C*P*P) without permuting: rows are strips of pixels, not patches."""

import numpy as np

EXPECTED_FAILURE = "check_patchify_hand_worked"


def patchify(images, patch_size, *, order="chw"):
    x = np.asarray(images, dtype=float)
    single = x.ndim == 3
    if single:
        x = x[None]
    B, C, H, W = x.shape
    out = x.reshape(B, (H // patch_size) * (W // patch_size), C * patch_size * patch_size)
    return out[0] if single else out
