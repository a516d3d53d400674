"""Never rescales: terms from earlier tiles stay relative to the old maximum, in the sum and the output."""

import math

import numpy as np

EXPECTED_FAILURE = "check_forward_against_torch"


def flash_attention(q, k, v, *, mask=None, is_causal=False, scale=None, block_q=64, block_k=64):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    seq_q, seq_k = q.shape[-2], k.shape[-2]
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    if is_causal:
        mask = np.tril(np.ones((seq_q, seq_k), dtype=bool))
    if mask is not None:
        mask = np.broadcast_to(np.asarray(mask), (*batch, seq_q, seq_k))
    out, lse = np.zeros((*batch, seq_q, v.shape[-1])), np.full((*batch, seq_q), -np.inf)
    for i0 in range(0, seq_q, block_q):
        i1 = min(i0 + block_q, seq_q)
        m = np.full((*batch, i1 - i0), -np.inf)
        ell = np.zeros((*batch, i1 - i0))
        acc = np.zeros((*batch, i1 - i0, v.shape[-1]))
        for j0 in range(0, seq_k, block_k):
            j1 = min(j0 + block_k, seq_k)
            s = q[..., i0:i1, :] @ np.swapaxes(k[..., j0:j1, :], -1, -2) * scale
            if mask is not None and mask.dtype == bool:
                s = np.where(mask[..., i0:i1, j0:j1], s, -np.inf)
            elif mask is not None:
                s = s + mask[..., i0:i1, j0:j1]
            m_new = np.maximum(m, s.max(-1))
            shift = np.where(m_new == -np.inf, 0.0, m_new)
            p = np.exp(s - shift[..., None])
            ell = ell + p.sum(-1)  # the mistake: no alpha, here or below
            acc = acc + p @ v[..., j0:j1, :]
            m = m_new
        seen = ell > 0
        out[..., i0:i1, :] = np.where(seen[..., None], acc / np.where(seen, ell, 1.0)[..., None], 0.0)
        lse[..., i0:i1] = np.where(seen, m + np.log(np.where(seen, ell, 1.0)), -np.inf)
    return out, lse
