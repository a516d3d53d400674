"""Flattens each patch channels last (pixel by pixel) while the weight's rows are in Conv2d's channel-first order."""

import numpy as np

EXPECTED_FAILURE = "check_embeddings_against_conv"


def vit_embeddings(images, patch_weight, patch_bias, cls_token, position_embeddings, patch_size):
    x = np.asarray(images, dtype=float)
    B, C, H, W = x.shape
    P = patch_size
    p = x.reshape(B, C, H // P, P, W // P, P).transpose(0, 2, 4, 3, 5, 1).reshape(B, -1, P * P * C)
    e = p @ np.asarray(patch_weight, dtype=float) + patch_bias
    cls = np.broadcast_to(np.asarray(cls_token, dtype=float), (B, 1, e.shape[-1]))
    return np.concatenate([cls, e], axis=1) + np.asarray(position_embeddings, dtype=float)
