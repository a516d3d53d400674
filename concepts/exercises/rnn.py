"""Checks for the rnn exercises: one Elman RNN layer, and one GRU step.

The trusted references are ``torch.nn.RNN`` and ``torch.nn.GRUCell`` in float64 with their
own random weights, copied into the ``x @ W`` layout (each weight transposed), and values
worked by hand. ``tests/concepts/test_rnn.py`` runs the same checks on ``concepts.rnn``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare

__all__ = ["CHECKS"]

# (batch, seq, d_in, d_h), smallest first; d_in != d_h catches a transposed weight
SHAPES = [(1, 1, 1, 1), (1, 3, 2, 3), (2, 5, 4, 3), (3, 7, 5, 8)]


def _copy(module, name: str) -> np.ndarray | None:
    w = getattr(module, name, None)
    if w is None:
        return None
    a = w.detach().numpy()
    return a.T.copy() if a.ndim == 2 else a.copy()  # nn layout (d_out, d_in) -> x @ W layout (d_in, d_out)


# ---------------------------------------------------------------- rnn.elman


@check("one unit, W_ih = 1, W_hh = 0.5, inputs (1, 0): states tanh(1) and tanh(0.5 tanh(1))", section="rnn-recurrence")
def check_rnn_hand_worked(candidate: Callable) -> None:
    """h_1 = tanh(1 * 1) = 0.761594; h_2 = tanh(0 + 0.5 * 0.761594) = 0.363399; h_n = h_2.
    With nonlinearity="identity" and input (1, 0, 0), h_t halves: 1, 0.5, 0.25."""
    x = np.array([[[1.0], [0.0]]])
    h1 = math.tanh(1.0)
    want = (np.array([[[h1], [math.tanh(0.5 * h1)]]]), np.array([[math.tanh(0.5 * h1)]]))
    compare(candidate(x, None, [[1.0]], [[0.5]]), want, inputs={"x": x}, what="(out, h_n)", atol=1e-9)
    x = np.array([[[1.0], [0.0], [0.0]]])
    got = candidate(x, None, [[1.0]], [[0.5]], nonlinearity="identity")
    compare(got, (np.array([[[1.0], [0.5], [0.25]]]), np.array([[0.25]])), inputs={"x": x}, what="(out, h_n)")


@check("out and h_n equal nn.RNN's (tanh and relu, zero and given h0) with copied weights", section="rnn-recurrence")
def check_rnn_against_torch(candidate: Callable) -> None:
    torch = require_torch()
    rng = np.random.default_rng(0)
    for i, (B, T, d_in, H) in enumerate(SHAPES):
        for nonlinearity in ("tanh", "relu"):
            torch.manual_seed(i)
            ref = torch.nn.RNN(d_in, H, nonlinearity=nonlinearity, batch_first=True, dtype=torch.float64)
            w = [_copy(ref, n) for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
            x = rng.standard_normal((B, T, d_in))
            for h0 in (None, rng.standard_normal((B, H))):
                with torch.no_grad():
                    out, h_n = ref(torch.from_numpy(x), None if h0 is None else torch.from_numpy(h0)[None])
                inputs = {"x": x, "h0": h0, "W_ih (d_in, d_h)": w[0], "W_hh": w[1], "nonlinearity": nonlinearity}
                got = candidate(x, h0, *w, nonlinearity=nonlinearity)
                compare(got, (out.numpy(), h_n[0].numpy()), inputs=inputs, what="(out, h_n)", rtol=1e-9, atol=1e-12)


@check("biases of None mean no bias, as nn.RNN(bias=False)", section="rnn-recurrence")
def check_rnn_without_bias(candidate: Callable) -> None:
    torch = require_torch()
    torch.manual_seed(5)
    ref = torch.nn.RNN(3, 4, bias=False, batch_first=True, dtype=torch.float64)
    x = np.random.default_rng(5).standard_normal((2, 4, 3))
    with torch.no_grad():
        out, h_n = ref(torch.from_numpy(x))
    got = candidate(x, None, _copy(ref, "weight_ih_l0"), _copy(ref, "weight_hh_l0"), None, None)
    compare(got, (out.numpy(), h_n[0].numpy()), inputs={"x": x}, what="(out, h_n)", rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- rnn.gru-cell


@check("d_h = 1 with the update gate shut: tanh(1.5), and b_hn inside the reset, b_in outside", section="rnn-gru")
def check_gru_hand_worked(candidate: Callable) -> None:
    """Update-gate bias -100, so z = 0 and h' = n. W_in = 1, W_hn = 2, x = 0.5, h = 1, r = 0.5:
    n = tanh(0.5 + 0.5 * 2) = tanh(1.5). b_hn = 1 is scaled by r: tanh(0.5 + 0.5 * 3) = tanh(2);
    b_in = 1 is not: tanh(0.5 + 1 + 0.5 * 2) = tanh(2.5). Gates are blocks r, z, n of W's columns."""
    x, h = np.array([[0.5]]), np.array([[1.0]])
    W_ih, W_hh, b_ih = np.array([[0.0, 0.0, 1.0]]), np.array([[0.0, 0.0, 2.0]]), np.array([0.0, -100.0, 0.0])
    inputs = {"x": x, "h": h, "W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih}
    compare(candidate(x, h, W_ih, W_hh, b_ih), [[math.tanh(1.5)]], inputs=inputs, atol=1e-9)
    b_hh = np.array([0.0, 0.0, 1.0])
    compare(candidate(x, h, W_ih, W_hh, b_ih, b_hh), [[math.tanh(2.0)]], inputs={**inputs, "b_hh": b_hh}, atol=1e-9)
    b_in = b_ih + np.array([0.0, 0.0, 1.0])
    compare(candidate(x, h, W_ih, W_hh, b_in), [[math.tanh(2.5)]], inputs={**inputs, "b_ih": b_in}, atol=1e-9)


@check("an update gate saturated at 1 keeps the old state exactly", section="rnn-gru")
def check_gru_update_keeps_state(candidate: Callable) -> None:
    """h_t = (1 - z) n + z h_{t-1}: with z = 1 (bias +100) the new state is the old one."""
    rng = np.random.default_rng(6)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    W_ih, W_hh = rng.standard_normal((3, 12)), rng.standard_normal((4, 12))
    b = np.zeros(12)
    b[4:8] = 100.0
    compare(candidate(x, h, W_ih, W_hh, b), h, inputs={"x": x, "h": h, "b_ih": b}, rtol=1e-9, atol=1e-12)


@check("h' equals nn.GRUCell's with copied weights, with and without biases", section="rnn-gru")
def check_gru_against_torch(candidate: Callable) -> None:
    torch = require_torch()
    rng = np.random.default_rng(7)
    for i, (B, _, d_in, H) in enumerate(SHAPES):
        for bias in (True, False):
            torch.manual_seed(i)
            ref = torch.nn.GRUCell(d_in, H, bias=bias, dtype=torch.float64)
            w = [_copy(ref, n) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            x, h = rng.standard_normal((B, d_in)), rng.standard_normal((B, H))
            with torch.no_grad():
                want = ref(torch.from_numpy(x), torch.from_numpy(h)).numpy()
            inputs = {"x": x, "h": h, "W_ih (d_in, 3 d_h)": w[0], "bias": bias}
            compare(candidate(x, h, *w), want, inputs=inputs, rtol=1e-9, atol=1e-12)


CHECKS: dict[str, list] = {
    "rnn.elman": [check_rnn_hand_worked, check_rnn_against_torch, check_rnn_without_bias],
    "rnn.gru-cell": [check_gru_hand_worked, check_gru_update_keeps_state, check_gru_against_torch],
}
