"""Rotates the wrong way (by -m theta): scores stay relative, but every vector differs from RoPE's."""

import numpy as np

EXPECTED_FAILURE = "check_hand_values"


def rope(x, positions=None, *, base=10000.0, pairing="half", scale=1.0):
    x = np.asarray(x, dtype=float)
    seq, d = x.shape[-2:]
    m = np.arange(seq) if positions is None else np.asarray(positions)
    angle = (m[:, None] / scale) * base ** (-np.arange(0, d, 2) / d)
    cos, sin = np.cos(angle), np.sin(angle)
    x1, x2 = (x[..., 0::2], x[..., 1::2]) if pairing == "interleaved" else (x[..., : d // 2], x[..., d // 2 :])
    r1, r2 = x1 * cos + x2 * sin, -x1 * sin + x2 * cos  # the transpose of the rotation
    if pairing == "interleaved":
        return np.stack([r1, r2], axis=-1).reshape(x.shape)
    return np.concatenate([r1, r2], axis=-1)
