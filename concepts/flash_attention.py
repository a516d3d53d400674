"""Flash attention: exact attention computed tile by tile, never storing the seq_q x seq_k scores.

Follows Dao et al. (2022), "FlashAttention: Fast and Memory-Efficient Exact Attention with
IO-Awareness" (the online softmax, Algorithm 1 and the IO count of Theorem 2), and Dao
(2023), "FlashAttention-2" (query blocks in the outer loop, one division at the end, the
backward pass with ``D = rowsum(dO * O)``). The masks and the scale follow PyTorch's
``scaled_dot_product_attention``. Leaves out what makes a GPU kernel fast (shared memory,
warps, asynchronous copies, FP8): NumPy and PyTorch on a CPU show the algorithm and its
memory, not its speed. No dropout.
"""

from __future__ import annotations

import math
import tracemalloc
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive_int, require_tensor, require_torch
from concepts.attention import _check

if TYPE_CHECKING:
    import torch

__all__ = [
    "attention_hbm_bytes",
    "flash_attention",
    "flash_attention2_hbm_bytes",
    "flash_attention_hbm_bytes",
    "flash_attention_torch",
    "online_softmax",
    "peak_memory_bytes",
]


def online_softmax(blocks: Iterable[ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    """The softmax's maximum ``m`` and normaliser ``l = sum_j exp(x_j - m)``, one block at a time.

    Each new block may raise the maximum; the sum so far was taken relative to the old
    one, so it is rescaled by ``exp(m_old - m_new)`` before the block's terms are added.
    One pass, memory of one block. Blocks share their leading axes and are reduced along
    the last; an all ``-inf`` row gives ``m = -inf`` and ``l = 0``.

    :param blocks: a non-empty iterable of arrays of shape ``(..., block_len)``.
    :returns: ``(m, l)``, float64 arrays of shape ``(...)``.
    :raises ValueError: for no blocks, or blocks whose leading shapes differ.

    >>> import numpy as np
    >>> from concepts.flash_attention import online_softmax
    >>> m, l = online_softmax([[1.0, 2.0], [1000.0]])  # exp(1000) would overflow
    >>> float(m), round(float(l), 4)  # 1 + exp(-998) + exp(-999) rounds to 1
    (1000.0, 1.0)
    """
    m = ell = None
    for n, block in enumerate(blocks):
        x = as_array(block, f"block {n}")
        if x.ndim == 0 or x.shape[-1] == 0:
            raise ValueError(f"block {n} must have shape (..., block_len) with block_len >= 1; got {x.shape}")
        if m is None:
            m, ell = np.full(x.shape[:-1], -np.inf), np.zeros(x.shape[:-1])
        elif x.shape[:-1] != m.shape:
            raise ValueError(f"block {n} must have leading shape {m.shape} like block 0; got {x.shape}")
        m_new = np.maximum(m, x.max(axis=-1))  # m' = max(m, max_j x_j)
        shift = np.where(m_new == -np.inf, 0.0, m_new)  # an all -inf row so far: nothing to shift
        ell = np.exp(m - shift) * ell + np.exp(x - shift[..., None]).sum(axis=-1)  # l' = e^(m-m') l + sum e^(x-m')
        m = m_new
    if m is None:
        raise ValueError("blocks must contain at least one block; got none")
    return m, ell


def _prepare(q, k, v, mask, is_causal, scale, block_q, block_k, kind) -> float:
    """Validate a call (shapes as attention's, block sizes positive); return the scale."""
    _check(q.shape, k.shape, v.shape, None if mask is None else tuple(mask.shape), kind, is_causal, scale)
    require_positive_int(block_q, "block_q")
    require_positive_int(block_k, "block_k")
    return 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale


def flash_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
    block_q: int = 64,
    block_k: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """``softmax(q k^T * scale + M) v`` in tiles of ``block_q`` queries by ``block_k`` keys.

    Same arguments and masks as ``concepts.attention.scaled_dot_product_attention``, but the
    scores exist one ``(block_q, block_k)`` tile at a time. Per query row it keeps a running
    maximum ``m``, a running sum ``l`` and an unnormalised output ``acc``; when a tile raises
    ``m``, both ``l`` and ``acc`` are multiplied by ``exp(m_old - m_new)``. The division by
    ``l`` happens once, after the last tile. Under ``is_causal`` tiles wholly above the
    diagonal are skipped. Extra memory: the output plus one tile, not ``seq_q x seq_k``.

    :param q: queries ``(..., seq_q, d_k)``; ``k``: keys ``(..., seq_k, d_k)``; ``v``:
        values ``(..., seq_k, d_v)``. Leading axes broadcast. Computes in float64.
    :param mask: boolean (``True`` = may attend) or floating (added), broadcastable to
        ``(..., seq_q, seq_k)``; an error together with ``is_causal``.
    :param is_causal: top-left causal mask, key ``j`` visible to query ``i`` when ``j <= i``.
    :param scale: factor on ``q k^T``; ``1 / sqrt(d_k)`` when omitted.
    :param block_q: queries per tile; need not divide ``seq_q``.
    :param block_k: keys per tile; need not divide ``seq_k``.
    :returns: ``(output, lse)`` of shapes ``(..., seq_q, d_v)`` and ``(..., seq_q)``, where
        ``lse = log sum_j exp(s_j)`` over the row's visible scaled scores. A query with no
        visible key gets output 0 (as SDPA) and ``lse = -inf`` (the log of an empty sum).
    :raises ValueError: as attention does, or for a block size below 1.

    >>> import numpy as np
    >>> from concepts.flash_attention import flash_attention
    >>> x = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    >>> v = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> out, lse = flash_attention(x, x, v, block_q=1, block_k=1)  # scores [[1, 0], [0, 1]]
    >>> np.round(out, 4).tolist()  # as scaled_dot_product_attention
    [[1.5379, 2.5379], [2.4621, 3.4621]]
    >>> np.round(lse, 4).tolist()  # log(e + 1)
    [1.3133, 1.3133]
    """
    q, k, v = (as_array(a, name) for a, name in ((q, "q"), (k, "k"), (v, "v")))
    mask = None if mask is None else as_array(mask, "mask", dtype=None)
    kind = "" if mask is None else "float" if np.issubdtype(mask.dtype, np.floating) else mask.dtype.name
    scale = _prepare(q, k, v, mask, is_causal, scale, block_q, block_k, kind)
    seq_q, seq_k = q.shape[-2], k.shape[-2]
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    if mask is not None:  # a view: slicing a tile out of it copies only the tile
        mask = np.broadcast_to(mask, (*batch, seq_q, seq_k))
    out = np.empty((*batch, seq_q, v.shape[-1]))
    lse = np.empty((*batch, seq_q))
    for i0 in range(0, seq_q, block_q):  # outer loop over query tiles (FlashAttention-2 order)
        i1 = min(i0 + block_q, seq_q)
        qi = q[..., i0:i1, :]
        m = np.full((*batch, i1 - i0), -np.inf)  # running max per row
        ell = np.zeros((*batch, i1 - i0))  # running sum of exp(s - m)
        acc = np.zeros((*batch, i1 - i0, v.shape[-1]))  # running sum of exp(s - m) v, not yet divided
        for j0 in range(0, seq_k, block_k):
            if is_causal and j0 > i1 - 1:
                break  # this tile and all after it lie above the diagonal: fully masked
            j1 = min(j0 + block_k, seq_k)
            s = (qi @ np.swapaxes(k[..., j0:j1, :], -1, -2)) * scale  # S_ij = Q_i K_j^T * scale
            if is_causal:
                s = np.where(np.arange(j0, j1) <= np.arange(i0, i1)[:, None], s, -np.inf)
            elif mask is not None and mask.dtype == bool:
                s = np.where(mask[..., i0:i1, j0:j1], s, -np.inf)
            elif mask is not None:
                s = s + mask[..., i0:i1, j0:j1]
            m_new = np.maximum(m, s.max(axis=-1))  # m' = max(m, rowmax(S_ij))
            shift = np.where(m_new == -np.inf, 0.0, m_new)  # rows with nothing visible yet
            p = np.exp(s - shift[..., None])  # P~ = exp(S_ij - m'), (..., bq, bk)
            alpha = np.exp(m - shift)  # exp(m - m'), 1 when the max did not change
            ell = alpha * ell + p.sum(axis=-1)  # l' = e^(m-m') l + rowsum(P~)
            acc = alpha[..., None] * acc + p @ v[..., j0:j1, :]  # O' = e^(m-m') O + P~ V_j
            m = m_new
        seen = ell > 0
        out[..., i0:i1, :] = np.where(seen[..., None], acc / np.where(seen, ell, 1.0)[..., None], 0.0)  # O = O / l
        lse[..., i0:i1] = np.where(seen, m + np.log(np.where(seen, ell, 1.0)), -np.inf)  # L = m + log l
    return out, lse


def _tiles_torch(q, k, v, mask, is_causal, scale, block_q, block_k, lse=None, d_out=None, d_lse=None):
    """Forward tiles (``lse is None``) or the FlashAttention-2 backward tiles, in PyTorch.

    Backward recomputes ``P = exp(S - lse)`` per tile from the saved ``lse`` and uses
    ``dS = P * (dP - D + dlse)`` with ``D = rowsum(dO * O)``.
    """
    torch = require_torch()
    seq_q, seq_k = q.shape[-2], k.shape[-2]
    batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    new = {"dtype": q.dtype, "device": q.device}
    if mask is not None:
        mask = mask.expand(*batch, seq_q, seq_k)
    if lse is None:
        out, lse_out = torch.empty(*batch, seq_q, v.shape[-1], **new), torch.empty(*batch, seq_q, **new)
    else:
        delta, safe_lse = d_out[1], torch.where(lse == -math.inf, 0.0, lse)
        dq = torch.zeros(*batch, seq_q, q.shape[-1], **new)
        dk, dv = torch.zeros(*batch, seq_k, k.shape[-1], **new), torch.zeros(*batch, seq_k, v.shape[-1], **new)
    for i0 in range(0, seq_q, block_q):
        i1 = min(i0 + block_q, seq_q)
        qi = q[..., i0:i1, :]
        if lse is None:
            m = torch.full((*batch, i1 - i0), -math.inf, **new)
            ell = torch.zeros(*batch, i1 - i0, **new)
            acc = torch.zeros(*batch, i1 - i0, v.shape[-1], **new)
        for j0 in range(0, seq_k, block_k):
            if is_causal and j0 > i1 - 1:
                break
            j1 = min(j0 + block_k, seq_k)
            s = (qi @ k[..., j0:j1, :].transpose(-1, -2)) * scale
            if is_causal:
                keep = torch.arange(j0, j1, device=q.device) <= torch.arange(i0, i1, device=q.device)[:, None]
                s = s.masked_fill(~keep, -math.inf)
            elif mask is not None and mask.dtype == torch.bool:
                s = s.masked_fill(~mask[..., i0:i1, j0:j1], -math.inf)
            elif mask is not None:
                s = s + mask[..., i0:i1, j0:j1]
            if lse is None:
                m_new = torch.maximum(m, s.amax(dim=-1))
                shift = torch.where(m_new == -math.inf, 0.0, m_new)
                p = torch.exp(s - shift[..., None])
                alpha = torch.exp(m - shift)
                ell = alpha * ell + p.sum(dim=-1)
                acc = alpha[..., None] * acc + p @ v[..., j0:j1, :]
                m = m_new
                continue
            p = torch.exp(s - safe_lse[..., i0:i1, None])  # P_ij recomputed, (..., bq, bk)
            do_i = d_out[0][..., i0:i1, :]
            dv[..., j0:j1, :] += p.transpose(-1, -2) @ do_i  # dV_j += P^T dO_i
            dp = do_i @ v[..., j0:j1, :].transpose(-1, -2)  # dP = dO_i V_j^T
            ds = p * (dp - delta[..., i0:i1, None] + d_lse[..., i0:i1, None])  # dS = P o (dP - D)
            dq[..., i0:i1, :] += (ds @ k[..., j0:j1, :]) * scale  # dQ_i += dS K_j * scale
            dk[..., j0:j1, :] += (ds.transpose(-1, -2) @ qi) * scale  # dK_j += dS^T Q_i * scale
        if lse is None:
            seen = ell > 0
            out[..., i0:i1, :] = torch.where(seen[..., None], acc / torch.where(seen, ell, 1.0)[..., None], 0.0)
            lse_out[..., i0:i1] = torch.where(seen, m + torch.log(torch.where(seen, ell, 1.0)), -math.inf)
    if lse is None:
        return out, lse_out
    return dq.sum_to_size(q.shape), dk.sum_to_size(k.shape), dv.sum_to_size(v.shape)


_FUNCTION: list[Any] = []


def _flash_function() -> Any:
    """The ``torch.autograd.Function`` behind :func:`flash_attention_torch`, built on first use."""
    if _FUNCTION:
        return _FUNCTION[0]
    torch = require_torch()

    class FlashAttentionFunction(torch.autograd.Function):
        """Saves q, k, v, the output and the log-sum-exp (and the mask, an input); no tile."""

        @staticmethod
        def forward(ctx, q, k, v, mask, is_causal, scale, block_q, block_k):
            out, lse = _tiles_torch(q, k, v, mask, is_causal, scale, block_q, block_k)
            ctx.save_for_backward(q, k, v, out, lse, *(() if mask is None else (mask,)))
            ctx.options = (is_causal, scale, block_q, block_k)
            return out, lse

        @staticmethod
        def backward(ctx, d_out, d_lse):
            q, k, v, out, lse, *mask = ctx.saved_tensors
            is_causal, scale, block_q, block_k = ctx.options
            d_out = torch.zeros_like(out) if d_out is None else d_out
            d_lse = torch.zeros_like(lse) if d_lse is None else d_lse
            delta = (d_out * out).sum(dim=-1)  # D_i = rowsum(dO_i o O_i)
            grads = _tiles_torch(
                q, k, v, mask[0] if mask else None, is_causal, scale, block_q, block_k, lse, (d_out, delta), d_lse
            )
            return (*grads, None, None, None, None, None)

    _FUNCTION.append(FlashAttentionFunction)
    return FlashAttentionFunction


def flash_attention_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
    block_q: int = 64,
    block_k: int = 64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch mirror of :func:`flash_attention`, differentiable by recomputation.

    Runs as a ``torch.autograd.Function`` that saves only ``q, k, v``, the output and the
    log-sum-exp; the backward pass recomputes each tile's weights ``exp(S - lse)``. Keeps
    the dtype and device of ``q``; every argument must be a tensor.

    >>> import torch
    >>> from concepts.flash_attention import flash_attention_torch
    >>> q = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64, requires_grad=True)
    >>> out, lse = flash_attention_torch(q, q, q, is_causal=True, block_q=2, block_k=2)
    >>> [round(x, 4) for x in out[0].tolist()]  # the first query sees only itself
    [1.0, 0.0]
    >>> out.sum().backward()
    >>> q.grad.shape
    torch.Size([3, 2])
    """
    q, k, v = (require_tensor(t, name) for t, name in ((q, "q"), (k, "k"), (v, "v")))
    mask = None if mask is None else require_tensor(mask, "mask")
    kind = "" if mask is None else "float" if mask.is_floating_point() else str(mask.dtype).removeprefix("torch.")
    scale = _prepare(q, k, v, mask, is_causal, scale, block_q, block_k, kind)
    if mask is not None and mask.requires_grad:
        mask = mask.detach()  # a mask gets no gradient here
    return _flash_function().apply(q, k, v, mask, is_causal, scale, block_q, block_k)


def attention_hbm_bytes(seq_len: int, head_dim: int, *, bytes_per_element: int = 2) -> int:
    """HBM traffic of standard attention's forward pass (Dao et al. 2022, Algorithm 0), in bytes.

    Read ``Q, K`` and write ``S`` (``2Nd + N^2``); read ``S``, write ``P`` (``2N^2``); read
    ``P, V`` and write ``O`` (``N^2 + 2Nd``): ``4Nd + 4N^2`` elements, ``Theta(Nd + N^2)``.

    >>> from concepts.flash_attention import attention_hbm_bytes
    >>> attention_hbm_bytes(1024, 64)  # fp16: (4 * 1024 * 64 + 4 * 1024**2) * 2
    8912896
    """
    n = require_positive_int(seq_len, "seq_len")
    d = require_positive_int(head_dim, "head_dim")
    return (4 * n * d + 4 * n * n) * require_positive_int(bytes_per_element, "bytes_per_element")


def flash_attention_hbm_bytes(
    seq_len: int, head_dim: int, *, sram_bytes: int = 100 * 1024, bytes_per_element: int = 2
) -> int:
    """HBM traffic of FlashAttention's forward pass (Dao et al. 2022, Algorithm 1), in bytes.

    With ``M = sram_bytes / bytes_per_element`` elements of SRAM the key tiles hold
    ``B_c = ceil(M / 4d)`` rows and the query tiles ``B_r = min(B_c, d)``. Each of the
    ``T_c = ceil(N / B_c)`` outer steps reads one ``K_j, V_j`` (``2Nd`` over all steps) and,
    for every query tile, reads ``Q_i, O_i, l_i, m_i`` and writes ``O_i, l_i, m_i``:
    ``N (3d + 4)`` per outer step. Total ``2Nd + T_c N (3d + 4)`` elements, about
    ``12 N^2 d^2 / M``: ``Theta(N^2 d^2 / M)`` (Theorem 2).

    >>> from concepts.flash_attention import flash_attention_hbm_bytes
    >>> flash_attention_hbm_bytes(1024, 64, sram_bytes=64 * 1024)  # B_c = 128, T_c = 8
    3473408
    """
    n = require_positive_int(seq_len, "seq_len")
    d = require_positive_int(head_dim, "head_dim")
    size = require_positive_int(bytes_per_element, "bytes_per_element")
    m = require_positive_int(sram_bytes, "sram_bytes") // size
    if m < 4 * d:
        raise ValueError(f"sram_bytes must hold at least 4 * head_dim = {4 * d} elements; got {m}")
    t_c = math.ceil(n / math.ceil(m / (4 * d)))
    return (2 * n * d + t_c * n * (3 * d + 4)) * size


def flash_attention2_hbm_bytes(seq_len: int, head_dim: int, *, block_q: int = 128, bytes_per_element: int = 2) -> int:
    """HBM traffic of FlashAttention-2's forward loop order (query tiles outside), in bytes.

    Each query tile of ``block_q`` rows is read once and its output and log-sum-exp written
    once (``2Nd + N``); each streams every ``K_j, V_j`` through SRAM, so ``K`` and ``V`` are
    read ``T_r = ceil(N / block_q)`` times (``2Nd T_r``). Caches between HBM and SRAM are ignored.

    >>> from concepts.flash_attention import flash_attention2_hbm_bytes
    >>> flash_attention2_hbm_bytes(1024, 64)  # T_r = 8: (2 * 65536 + 1024 + 8 * 131072) * 2
    2361344
    """
    n = require_positive_int(seq_len, "seq_len")
    d = require_positive_int(head_dim, "head_dim")
    t_r = math.ceil(n / require_positive_int(block_q, "block_q"))
    return (2 * n * d + n + 2 * n * d * t_r) * require_positive_int(bytes_per_element, "bytes_per_element")


def peak_memory_bytes(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """Peak memory allocated while ``fn(*args, **kwargs)`` runs, measured with ``tracemalloc``.

    NumPy reports its array buffers to ``tracemalloc``, so this counts every temporary
    array (scores, weights, tiles) and the result, but not memory held before the call.
    Not for PyTorch, whose allocator ``tracemalloc`` does not see.

    >>> import numpy as np
    >>> from concepts.flash_attention import peak_memory_bytes
    >>> peak_memory_bytes(np.zeros, (1000, 1000)) >= 8_000_000  # one float64 million
    True
    """
    if tracemalloc.is_tracing():
        raise RuntimeError("tracemalloc is already tracing; peak_memory_bytes needs it to itself")
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak
