"""Flattens every patch channels last (pixel by pixel) even for order='chw', so it no longer matches Conv2d's weight."""

import numpy as np

EXPECTED_FAILURE = "check_patchify_against_unfold"


def patchify(images, patch_size, *, order="chw"):
    x = np.asarray(images, dtype=float)
    single = x.ndim == 3
    if single:
        x = x[None]
    B, C, H, W = x.shape
    P = patch_size
    x = x.reshape(B, C, H // P, P, W // P, P).transpose(0, 2, 4, 3, 5, 1)  # (B, gh, gw, P, P, C)
    out = x.reshape(B, (H // P) * (W // P), P * P * C)
    return out[0] if single else out
