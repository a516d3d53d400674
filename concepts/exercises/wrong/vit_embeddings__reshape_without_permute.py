"""Turns the conv output (batch, d_model, gh, gw) into tokens with reshape(batch, -1, d_model), no transpose."""

import numpy as np

EXPECTED_FAILURE = "check_embeddings_against_conv"


def vit_embeddings(images, patch_weight, patch_bias, cls_token, position_embeddings, patch_size):
    x = np.asarray(images, dtype=float)
    B, C, H, W = x.shape
    P = patch_size
    p = x.reshape(B, C, H // P, P, W // P, P).transpose(0, 2, 4, 1, 3, 5).reshape(B, -1, C * P * P)
    e = p @ np.asarray(patch_weight, dtype=float) + patch_bias  # (B, N, d)
    d = e.shape[-1]
    e = e.transpose(0, 2, 1).reshape(B, -1, d)  # the conv layout (B, d, N), then a reshape that mixes axes
    cls = np.broadcast_to(np.asarray(cls_token, dtype=float), (B, 1, d))
    return np.concatenate([cls, e], axis=1) + np.asarray(position_embeddings, dtype=float)
