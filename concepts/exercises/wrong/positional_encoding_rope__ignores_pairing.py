"""Always pairs (i, i + d/2), whatever ``pairing`` says: wrong for interleaved checkpoints."""

import numpy as np

EXPECTED_FAILURE = "check_against_references"


def rope(x, positions=None, *, base=10000.0, pairing="half", scale=1.0):
    x = np.asarray(x, dtype=float)
    seq, d = x.shape[-2:]
    m = np.arange(seq) if positions is None else np.asarray(positions)
    angle = (m[:, None] / scale) * base ** (-np.arange(0, d, 2) / d)
    cos, sin = np.cos(angle), np.sin(angle)
    x1, x2 = x[..., : d // 2], x[..., d // 2 :]
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)
