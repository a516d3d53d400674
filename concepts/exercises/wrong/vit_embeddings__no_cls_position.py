"""Forgets the [CLS] token's position embedding: adds rows 1..N to the patches and leaves [CLS] bare."""

import numpy as np

EXPECTED_FAILURE = "check_embeddings_cls"


def vit_embeddings(images, patch_weight, patch_bias, cls_token, position_embeddings, patch_size):
    x = np.asarray(images, dtype=float)
    B, C, H, W = x.shape
    P = patch_size
    p = x.reshape(B, C, H // P, P, W // P, P).transpose(0, 2, 4, 1, 3, 5).reshape(B, -1, C * P * P)
    pos = np.asarray(position_embeddings, dtype=float)
    e = p @ np.asarray(patch_weight, dtype=float) + patch_bias + pos[1:]
    cls = np.broadcast_to(np.asarray(cls_token, dtype=float), (B, 1, e.shape[-1]))
    return np.concatenate([cls, e], axis=1)
