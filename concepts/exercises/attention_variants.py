"""Checks for the attention-variants exercises: the sliding-window mask, and linear attention as an RNN.

The trusted references are hand-worked masks, the definition of the band written as two
nested loops, PyTorch's ``torch.ones(...).tril()`` and ``torch.nn.functional.elu``, and the
parallel form of causal linear attention written here in PyTorch. Nothing here calls
``concepts.attention_variants``; ``tests/concepts/test_attention_variants.py`` runs these
checks on it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS", "torch_linear_attention_parallel"]


# ---------------------------------------------------------------- attention_variants.sliding-window-mask


def _band_by_loops(seq_len: int, window: int, is_causal: bool) -> np.ndarray:
    """The specification, one pair at a time: causal ``0 <= i - j < window``, else ``|i - j| < window``."""
    out = np.zeros((seq_len, seq_len), dtype=bool)
    for i in range(seq_len):
        for j in range(seq_len):
            lag = i - j
            out[i, j] = (0 <= lag < window) if is_causal else (abs(lag) < window)
    return out


@check("seq_len 4, window 2, worked by hand", section="attention-variants-sliding-window")
def check_mask_by_hand(candidate: Callable) -> None:
    """Each token sees itself and the one before it: a band of width 2 on and below the diagonal."""
    want = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
    compare(np.asarray(candidate(4, 2)), want, inputs={"seq_len": 4, "window": 2})


@check("nothing above the diagonal: no query sees a later key", section="attention-variants-sliding-window")
def check_mask_is_causal(candidate: Callable) -> None:
    for seq_len, window in ((3, 2), (6, 3), (8, 8)):
        got = np.asarray(candidate(seq_len, window))
        expect(got.shape == (seq_len, seq_len), f"shape {got.shape}; expected {(seq_len, seq_len)}")
        later = np.argwhere(np.triu(got, k=1))
        expect(
            len(later) == 0,
            f"with seq_len={seq_len}, window={window} query {later[0][0] if len(later) else ''} "
            f"sees the later key {later[0][1] if len(later) else ''}; a causal band stops at the diagonal",
        )


@check(
    "each query sees exactly window keys (fewer at the start), by definition",
    section="attention-variants-sliding-window",
)
def check_mask_window_size(candidate: Callable) -> None:
    for seq_len, window in ((1, 1), (5, 1), (5, 2), (7, 3), (9, 4), (6, 10)):
        got = np.asarray(candidate(seq_len, window))
        expect(got.dtype == bool, f"the mask must be boolean (True = may attend); got dtype {got.dtype}")
        want = _band_by_loops(seq_len, window, True)
        compare(got, want, inputs={"seq_len": seq_len, "window": window})


@check("window >= seq_len gives torch's causal mask (ones().tril())", section="attention-variants-sliding-window")
def check_mask_wide_window(candidate: Callable) -> None:
    torch = require_torch()
    for seq_len, window in ((4, 4), (5, 9)):
        want = torch.ones(seq_len, seq_len, dtype=torch.bool).tril().numpy()
        compare(np.asarray(candidate(seq_len, window)), want, inputs={"seq_len": seq_len, "window": window})


@check("is_causal=False gives the symmetric band |i - j| < window", section="attention-variants-sliding-window")
def check_mask_bidirectional(candidate: Callable) -> None:
    for seq_len, window in ((4, 2), (7, 3)):
        got = np.asarray(candidate(seq_len, window, is_causal=False))
        want = _band_by_loops(seq_len, window, False)
        compare(got, want, inputs={"seq_len": seq_len, "window": window, "is_causal": False})


# ---------------------------------------------------------------- attention_variants.linear-recurrent


def torch_linear_attention_parallel(q, k, v):
    """Causal linear attention in parallel form, in PyTorch float64: ``(out, S_final, z_final)``."""
    torch = require_torch()
    F = torch.nn.functional
    q, k, v = (torch.as_tensor(np.asarray(a, dtype=np.float64)) for a in (q, k, v))
    fq, fk = F.elu(q) + 1, F.elu(k) + 1
    a = (fq @ fk.T).tril()  # A_ij = phi(q_i) . phi(k_j) for j <= i
    out = (a @ v) / a.sum(-1, keepdim=True)
    return out.numpy(), (fk.T @ v).numpy(), fk.sum(0).numpy()


def _call(candidate: Callable, q, k, v):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a learner's 0/0 is reported
        got = candidate(q, k, v)
    expect(isinstance(got, tuple | list) and len(got) == 3, "return a tuple (out, S, z)")
    return got


@check("three tokens with phi(q) = phi(k) = 1, worked by hand: a running mean", section="attention-variants-linear")
def check_recurrent_by_hand(candidate: Callable) -> None:
    """q = k = 0 gives phi = elu(0) + 1 = 1, so out_i is the mean of v_1..v_i; S = sum v, z = (3, 3)."""
    q = k = np.zeros((3, 2))
    v = np.array([[1.0], [3.0], [5.0]])
    want = (np.array([[1.0], [2.0], [3.0]]), np.array([[9.0], [9.0]]), np.array([3.0, 3.0]))
    compare(tuple(_call(candidate, q, k, v)), want, inputs={"q": q, "k": k, "v": v}, rtol=0, atol=1e-12)


@check("outputs equal the causal parallel form in PyTorch on random inputs", section="attention-variants-linear")
def check_recurrent_matches_parallel(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for seq_len, d_k, d_v in ((1, 1, 1), (2, 3, 2), (5, 4, 3), (17, 8, 5)):
        q, k, v = (
            rng.standard_normal((seq_len, d_k)),
            rng.standard_normal((seq_len, d_k)),
            rng.standard_normal((seq_len, d_v)),
        )
        got = _call(candidate, q, k, v)[0]
        compare(
            got, torch_linear_attention_parallel(q, k, v)[0], inputs={"q": q, "k": k, "v": v}, rtol=1e-10, atol=1e-12
        )


@check("the final state is phi(K)^T V (d_k x d_v) and z is the sum of phi(k)", section="attention-variants-linear")
def check_recurrent_state(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    for seq_len, d_k, d_v in ((3, 2, 4), (40, 4, 3)):
        q, k, v = (
            rng.standard_normal((seq_len, d_k)),
            rng.standard_normal((seq_len, d_k)),
            rng.standard_normal((seq_len, d_v)),
        )
        _, S, z = _call(candidate, q, k, v)
        _, want_S, want_z = torch_linear_attention_parallel(q, k, v)
        inputs = {"q": q, "k": k, "v": v}
        compare((S, z), (want_S, want_z), inputs=inputs, what="the state (S, z)", rtol=1e-10, atol=1e-12)


@check("the first token's output is its own value (it sees itself)", section="attention-variants-linear")
def check_recurrent_first_token(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    out = np.asarray(_call(candidate, q, k, v)[0])
    expect(out.shape == (4, 2), f"out has shape {out.shape}; expected (4, 2)")
    compare(out[0], v[0], inputs={"q": q, "k": k, "v": v}, what="the first output row", rtol=1e-12, atol=1e-12)


CHECKS: dict[str, list] = {
    "attention_variants.sliding-window-mask": [
        check_mask_by_hand,
        check_mask_is_causal,
        check_mask_window_size,
        check_mask_wide_window,
        check_mask_bidirectional,
    ],
    "attention_variants.linear-recurrent": [
        check_recurrent_by_hand,
        check_recurrent_matches_parallel,
        check_recurrent_state,
        check_recurrent_first_token,
    ],
}
