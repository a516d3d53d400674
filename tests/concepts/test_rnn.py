"""The RNN, LSTM and GRU checked against ``torch.nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their cells.

The references get their own random initialisation and we copy their weights into ours
(NumPy functions take ``x @ W`` weights, from ``rnn_weights_from_torch``; the ``_torch``
mirrors take PyTorch's layout). Comparisons run in float64, and the ``_torch`` mirrors also
in float32 and bfloat16. Gradients are compared with autograd through the PyTorch modules.
Each ``check_*`` takes the implementation under test (a function with the signature of the
one in ``concepts.rnn``), so the same checks can grade a learner's solution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import bank_tolerance, check_numeric_keys

from concepts.rnn import (
    additive_attention,
    bidirectional,
    gru,
    gru_cell,
    gru_param_count,
    hidden_grad_norms,
    hidden_grad_norms_torch,
    layer_costs,
    lstm,
    lstm_cell,
    lstm_param_count,
    lstm_torch,
    rnn,
    rnn_backward,
    rnn_param_count,
    rnn_torch,
    rnn_weights_from_torch,
)

BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "rnn.json"


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


def torch_weights(module: torch.nn.Module, layer: int = 0) -> list[np.ndarray]:
    """(W_ih, W_hh, b_ih, b_hh) of one layer in PyTorch's (gates * d_h, d_in) layout, as arrays."""
    suffix = "" if isinstance(module, torch.nn.RNNCellBase) else f"_l{layer}"
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return [getattr(module, name + suffix).detach().numpy().copy() for name in names]


def weights(module: torch.nn.Module, layer: int = 0) -> list[np.ndarray]:
    """(W_ih, W_hh, b_ih, b_hh) of one layer in the NumPy x @ W layout, by the package's converter,
    itself checked against a transpose by hand in test_weights_from_torch."""
    w = rnn_weights_from_torch(module, layer=layer)
    return [w["W_ih"], w["W_hh"], w["b_ih"], w["b_hh"]]


def assert_close(got, want) -> None:
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-12)


# (batch, seq, d_in, d_h)
SHAPES = [(1, 1, 1, 1), (1, 1, 3, 4), (1, 9, 2, 5), (4, 1, 3, 2), (3, 7, 5, 8), (2, 20, 4, 16)]
ids = ["x".join(map(str, s)) for s in SHAPES]


def as_numpy_rnn(torch_fn: Callable) -> Callable:
    """Wrap a PyTorch RNN so it takes NumPy arrays in the x @ W layout and returns NumPy arrays."""

    def fn(x, h0, W_ih, W_hh, *b, nonlinearity="tanh"):
        w = (t(W_ih.T), t(W_hh.T), *(None if v is None else t(v) for v in b))
        out, h_n = torch_fn(t(x), None if h0 is None else t(h0), *w, nonlinearity=nonlinearity)
        return out.detach().numpy(), h_n.detach().numpy()

    return fn


RNNS = {"numpy": rnn, "torch": as_numpy_rnn(rnn_torch)}

# ---------------------------------------------------------------- the Elman RNN against nn.RNN


def check_rnn_against_torch(rnn_fn: Callable, B: int, T: int, d_in: int, H: int, nonlinearity: str, seed=0) -> None:
    """Outputs and final state equal nn.RNN's, with a zero and with a random initial state."""
    torch.manual_seed(seed)
    ref = torch.nn.RNN(d_in, H, nonlinearity=nonlinearity, batch_first=True, dtype=torch.float64)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T, d_in))
    for h0 in (None, rng.standard_normal((B, H))):
        out, h_n = rnn_fn(x, h0, *weights(ref), nonlinearity=nonlinearity)
        want_out, want_h = ref(t(x), None if h0 is None else t(h0)[None])
        assert out.shape == (B, T, H) and h_n.shape == (B, H)
        assert_close(out, want_out.detach())
        assert_close(h_n, want_h[0].detach())


@pytest.mark.parametrize("impl", RNNS)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_rnn_matches_nn_rnn(impl: str, nonlinearity: str, shape) -> None:
    check_rnn_against_torch(RNNS[impl], *shape, nonlinearity)


@pytest.mark.parametrize("impl", RNNS)
def test_two_stacked_layers_match_nn_rnn_with_two_layers(impl: str) -> None:
    """nn.RNN(num_layers=2) feeds the first layer's outputs to the second as its inputs."""
    torch.manual_seed(1)
    ref = torch.nn.RNN(3, 6, num_layers=2, batch_first=True, dtype=torch.float64)
    x, h0 = np.random.default_rng(1).standard_normal((2, 5, 3)), np.random.default_rng(2).standard_normal((2, 2, 6))
    out1, h1 = RNNS[impl](x, h0[0], *weights(ref, 0))
    out2, h2 = RNNS[impl](out1, h0[1], *weights(ref, 1))
    want_out, want_h = ref(t(x), t(h0))
    assert_close(out2, want_out.detach())
    assert_close(np.stack([h1, h2]), want_h.detach())


def test_large_inputs_saturate_without_nan() -> None:
    x = 1e4 * np.random.default_rng(3).standard_normal((2, 6, 3))
    torch.manual_seed(3)
    ref = torch.nn.RNN(3, 4, batch_first=True, dtype=torch.float64)
    out, _ = rnn(x, None, *weights(ref))
    assert np.isfinite(out).all() and np.abs(out).max() <= 1.0
    assert_close(out, ref(t(x))[0].detach())


def check_gradients_against_autograd(rnn_torch_fn: Callable, B: int, T: int, d_in: int, H: int, seed=0) -> None:
    """Gradients of L = sum(R * out) + sum(S * h_n) through ours equal those through nn.RNN."""
    torch.manual_seed(seed)
    ref = torch.nn.RNN(d_in, H, batch_first=True, dtype=torch.float64)
    rng = np.random.default_rng(seed)
    x, h0 = t(rng.standard_normal((B, T, d_in))), t(rng.standard_normal((B, H)))
    R, S = t(rng.standard_normal((B, T, H))), t(rng.standard_normal((B, H)))
    ours = [t(w).requires_grad_() for w in [x.numpy(), h0.numpy(), *torch_weights(ref)]]
    out, h_n = rnn_torch_fn(*ours)
    got = torch.autograd.grad((R * out).sum() + (S * h_n).sum(), ours)
    xr, h0r = x.clone().requires_grad_(), h0[None].clone().requires_grad_()
    out, h_n = ref(xr, h0r)
    want = torch.autograd.grad((R * out).sum() + (S * h_n[0]).sum(), [xr, h0r, *ref.parameters()])
    for g, w in zip(got, want, strict=True):
        assert_close(g.reshape(w.shape), w)


@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_torch_gradients_match_nn_rnn(shape) -> None:
    check_gradients_against_autograd(rnn_torch, *shape)


def check_bptt(backward_fn: Callable, B: int, T: int, d_in: int, H: int, nonlinearity: str, seed=0) -> None:
    """Manual backpropagation through time equals autograd through the PyTorch RNN."""
    rng = np.random.default_rng(seed)
    x, h0 = rng.standard_normal((B, T, d_in)), rng.standard_normal((B, H))
    w = [rng.standard_normal((H, d_in)), rng.standard_normal((H, H)) / math.sqrt(H), *rng.standard_normal((2, H))]
    d_out = rng.standard_normal((B, T, H))
    leaves = [t(a).requires_grad_() for a in (x, h0, *w)]
    out, _ = rnn_torch(*leaves, nonlinearity=nonlinearity)
    names = ["x", "h0", "W_ih", "W_hh", "b_ih", "b_hh"]
    want = dict(zip(names, torch.autograd.grad((t(d_out) * out).sum(), leaves), strict=True))
    got = backward_fn(x, h0, w[0].T, w[1].T, out.detach().numpy(), d_out, nonlinearity=nonlinearity)
    for name, g in want.items():  # autograd's weight gradients are in PyTorch's layout
        assert_close(got[name].T if name.startswith("W") else got[name], g)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu", "identity"])
@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_numpy_bptt_matches_autograd(nonlinearity: str, shape) -> None:
    check_bptt(rnn_backward, *shape, nonlinearity)


def test_hand_worked_example() -> None:
    """d_in = d_h = 1, W_ih = 1, W_hh = 0.5, no bias, tanh, inputs x = (1, 0).

    h_1 = tanh(1) = 0.761594; h_2 = tanh(0.5 * 0.761594) = tanh(0.380797) = 0.363399.
    For L = h_2: dL/dh_2 = 1; the pre-activation gets 1 - h_2^2 = 0.867941; dL/dh_1 =
    0.5 * 0.867941 = 0.433970; dL/dx_2 = 0.867941 * W_ih = 0.867941; dL/dx_1 = 0.433970 *
    (1 - h_1^2) = 0.433970 * 0.419974 = 0.182256. dL/dW_hh = 0.867941 * h_1 = 0.661019.
    LSTM cell with zero weights, forget bias 100 and output bias 100: i = sigmoid(0) = 0.5,
    f = 1, g = tanh(0) = 0, o = 1; from c = 2: c' = 2 and h' = tanh(2) = 0.964028.
    """
    one, half, zero = np.ones((1, 1)), np.full((1, 1), 0.5), np.zeros(1)
    x = np.array([[[1.0], [0.0]]])
    out, _ = rnn(x, None, one, half, zero, zero)
    h1, h2 = math.tanh(1.0), math.tanh(0.5 * math.tanh(1.0))
    assert_close(out.flatten(), [h1, h2])
    np.testing.assert_allclose(out.flatten(), [0.761594, 0.363399], atol=1e-6)
    g = rnn_backward(x, None, one, half, out, np.array([[[0.0], [1.0]]]))
    np.testing.assert_allclose(g["h"].flatten(), [0.433970, 1.0], atol=1e-6)
    np.testing.assert_allclose(g["x"].flatten(), [0.182256, 0.867941], atol=1e-6)
    np.testing.assert_allclose(g["W_hh"].flatten(), [0.661019], atol=1e-6)
    b = np.array([0.0, 100.0, 0.0, 100.0])
    W = np.zeros((1, 4))
    h, c = lstm_cell(np.zeros((1, 1)), np.zeros((1, 1)), np.full((1, 1), 2.0), W, W, b, 0 * b)
    np.testing.assert_allclose([h[0, 0], c[0, 0]], [0.964028, 2.0], atol=1e-6)


# ---------------------------------------------------------------- the LSTM against nn.LSTMCell and nn.LSTM


def check_lstm_cell(cell_fn: Callable, B: int, d_in: int, H: int, seed=0) -> None:
    torch.manual_seed(seed)
    ref = torch.nn.LSTMCell(d_in, H, dtype=torch.float64)
    rng = np.random.default_rng(seed)
    x, h, c = rng.standard_normal((B, d_in)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    got_h, got_c = cell_fn(x, h, c, *weights(ref))
    want_h, want_c = ref(t(x), (t(h), t(c)))
    assert_close(got_h, want_h.detach())
    assert_close(got_c, want_c.detach())


@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_lstm_cell_matches_nn_lstm_cell(shape) -> None:
    B, _, d_in, H = shape
    check_lstm_cell(lstm_cell, B, d_in, H)


def as_numpy_lstm(torch_fn: Callable) -> Callable:
    def fn(x, state, W_ih, W_hh, *b):
        w = (t(W_ih.T), t(W_hh.T), *(None if v is None else t(v) for v in b))
        out, (h, c) = torch_fn(t(x), None if state is None else tuple(map(t, state)), *w)
        return out.detach().numpy(), (h.detach().numpy(), c.detach().numpy())

    return fn


def check_lstm_against_torch(lstm_fn: Callable, B: int, T: int, d_in: int, H: int, seed=0) -> None:
    torch.manual_seed(seed)
    ref = torch.nn.LSTM(d_in, H, batch_first=True, dtype=torch.float64)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T, d_in))
    for state in (None, (rng.standard_normal((B, H)), rng.standard_normal((B, H)))):
        out, (h_n, c_n) = lstm_fn(x, state, *weights(ref))
        want_out, (want_h, want_c) = ref(t(x), None if state is None else tuple(t(s)[None] for s in state))
        assert_close(out, want_out.detach())
        assert_close(h_n, want_h[0].detach())
        assert_close(c_n, want_c[0].detach())


@pytest.mark.parametrize("impl", ["numpy", "torch"])
@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_lstm_matches_nn_lstm(impl: str, shape) -> None:
    check_lstm_against_torch(lstm if impl == "numpy" else as_numpy_lstm(lstm_torch), *shape)


def test_lstm_torch_gradients_match_nn_lstm() -> None:
    torch.manual_seed(4)
    ref = torch.nn.LSTM(3, 5, batch_first=True, dtype=torch.float64)
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    ours = [t(w).requires_grad_() for w in torch_weights(ref)]
    xo, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
    got = torch.autograd.grad(lstm_torch(xo, None, *ours)[0].pow(2).sum(), [xo, *ours])
    want = torch.autograd.grad(ref(xr)[0].pow(2).sum(), [xr, *ref.parameters()])
    for g, w in zip(got, want, strict=True):
        assert_close(g, w)


def numel(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("bidi", [False, True])
def test_parameter_counts_match_torch(bias: bool, num_layers: int, bidi: bool) -> None:
    """nn.RNN(d_in, d_h) has d_h (d_in + d_h + 2) parameters; the GRU three and the LSTM four
    times as many. A layer after the first reads both directions (2 d_h inputs) when bidirectional."""
    for d_in, H in ((10, 20), (32, 64), (1, 1)):
        kw = dict(bias=bias, num_layers=num_layers, bidirectional=bidi)
        assert rnn_param_count(d_in, H, **kw) == numel(torch.nn.RNN(d_in, H, **kw))
        assert gru_param_count(d_in, H, **kw) == numel(torch.nn.GRU(d_in, H, **kw))
        assert lstm_param_count(d_in, H, **kw) == numel(torch.nn.LSTM(d_in, H, **kw))
        if kw == dict(bias=True, num_layers=1, bidirectional=False):
            assert gru_param_count(d_in, H) == 3 * H * (d_in + H) + 6 * H == 3 * rnn_param_count(d_in, H)


# ---------------------------------------------------------------- vanishing and exploding gradients


def orthogonal(H: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((H, H)))
    return q


@pytest.mark.parametrize("a", [0.5, 1.0, 1.5])
@pytest.mark.parametrize("B, T, H", [(1, 1, 1), (1, 30, 8), (3, 12, 5)])
def test_linear_rnn_gradient_norm_is_a_to_the_distance(a: float, B: int, T: int, H: int) -> None:
    """W_hh = a Q with Q orthogonal, identity activation: ||dL/dh_t|| = a^(T - t) sqrt(B H), exactly."""
    rng = np.random.default_rng(5)
    x, W_ih, b = rng.standard_normal((B, T, 3)), rng.standard_normal((3, H)), rng.standard_normal((2, H))
    args = (x, rng.standard_normal((B, H)), W_ih, a * orthogonal(H, 5), *b)
    want = a ** np.arange(T - 1, -1, -1.0) * math.sqrt(B * H)
    np.testing.assert_allclose(hidden_grad_norms(*args, nonlinearity="identity"), want, rtol=1e-9)
    torch_args = (args[0], args[1], W_ih.T, args[3].T, *b)
    got = hidden_grad_norms_torch(*map(t, torch_args), nonlinearity="identity")
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_tanh_rnn_with_small_inputs_vanishes_below_one_and_explodes_above() -> None:
    """Inputs of size 1e-4 keep tanh in its linear range for 12 steps: a = 0.5 shrinks the
    gradient by 2^11 = 2048, a = 1.5 grows it by 1.5^11 = 86.5; both within 5%."""
    rng = np.random.default_rng(6)
    x, W_ih, Q = 1e-4 * rng.standard_normal((1, 12, 4)), rng.standard_normal((4, 8)), orthogonal(8, 6)
    ratio = {}
    for a in (0.5, 1.5):
        norms = hidden_grad_norms(x, None, W_ih, a * Q, np.zeros(8), np.zeros(8))
        zero = t(np.zeros(8))
        np.testing.assert_allclose(
            norms, hidden_grad_norms_torch(t(x), None, t(W_ih.T), t(a * Q.T), zero, zero), rtol=1e-10
        )
        ratio[a] = norms[0] / norms[-1]
    assert abs(ratio[0.5] * 2**11 - 1) < 0.05 and abs(ratio[1.5] / 1.5**11 - 1) < 0.05


def lstm_and_rnn_decay(forget_bias: float, seed: int = 7, T: int = 50, H: int = 16) -> float:
    """||dL/dh_1|| / ||dL/dh_T|| for an LSTM whose forget-gate bias is ``forget_bias``."""
    rng = np.random.default_rng(seed)
    x = t(rng.standard_normal((1, T, 4)))
    W_ih, W_hh = t(rng.standard_normal((4 * H, 4)) / 2), t(rng.standard_normal((4 * H, H)) / math.sqrt(H))
    b = torch.zeros(4 * H, dtype=torch.float64)
    b[H : 2 * H] = forget_bias  # rows H..2H are the forget gate in PyTorch's order i, f, g, o
    norms = hidden_grad_norms_torch(x, None, W_ih, W_hh, b, 0 * b, cell="lstm")
    return norms[0] / norms[-1]


def test_lstm_with_high_forget_bias_decays_slower() -> None:
    """Over 50 steps a tanh RNN at spectral radius 1 and an LSTM with forget bias 0 lose more
    than 1e-6 of the gradient; an LSTM with forget bias 3 (f near sigmoid(3) = 0.95) keeps over 1e-2."""
    rng = np.random.default_rng(7)
    x, W_ih = rng.standard_normal((1, 50, 4)), rng.standard_normal((4, 16)) / 2
    rnn_norms = hidden_grad_norms(x, None, W_ih, orthogonal(16, 7), np.zeros(16), np.zeros(16))
    assert rnn_norms[0] / rnn_norms[-1] < 1e-6
    assert lstm_and_rnn_decay(0.0) < 1e-6
    assert lstm_and_rnn_decay(3.0) > 1e-2


def test_gradient_clipping_rescales_to_the_threshold() -> None:
    """clip_grad_norm_ multiplies all gradients by max_norm / (total_norm + 1e-6) when the norm is larger."""
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    p.grad = torch.tensor([30.0, 40.0], dtype=torch.float64)  # norm 50
    total = torch.nn.utils.clip_grad_norm_([p], max_norm=5.0)
    assert float(total) == 50.0
    assert_close(p.grad, [3.0 * 50 / (50 + 1e-6), 4.0 * 50 / (50 + 1e-6)])
    p.grad = torch.tensor([0.3, 0.4], dtype=torch.float64)  # norm 0.5 < 5: untouched
    torch.nn.utils.clip_grad_norm_([p], max_norm=5.0)
    assert_close(p.grad, [0.3, 0.4])


# ---------------------------------------------------------------- sequential steps and path length


@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_path_length_and_sequential_steps_of_a_recurrent_layer(n: int) -> None:
    """A linear RNN with W_hh = a I, W_ih = I: d out_j / d x_i = a^(j - i) I, so a signal crosses
    j - i applications of W_hh; the longest path, from the first input to the last output, is n - 1,
    and h_n depends on h_0 through n applications in a row."""
    a, H = 0.5, 2
    cost = layer_costs("recurrent", n=n, d=H)
    x = torch.zeros(1, n, H, dtype=torch.float64, requires_grad=True)
    h0 = torch.zeros(1, H, dtype=torch.float64, requires_grad=True)
    eye, zero = torch.eye(H, dtype=torch.float64), torch.zeros(H, dtype=torch.float64)
    out, h_n = rnn_torch(x, h0, eye, a * eye, zero, zero, nonlinearity="identity")
    (dx,) = torch.autograd.grad(out[0, -1, 0], x, retain_graph=True)
    hops = torch.log(dx[0, :, 0]) / math.log(a)  # d out_last / d x_i = a^(hops)
    assert_close(hops, np.arange(n - 1, -1, -1.0))
    assert round(float(hops.max())) == cost["max_path"]
    (dh0,) = torch.autograd.grad(h_n[0, 0], h0)
    assert round(math.log(float(dh0[0, 0])) / math.log(a)) == cost["sequential"] == n


@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_self_attention_connects_every_pair_in_one_step(n: int) -> None:
    """After one self-attention layer the first output already depends on the last input."""
    x = torch.randn(1, n, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(8), requires_grad=True)
    out = F.scaled_dot_product_attention(x, x, x)
    (dx,) = torch.autograd.grad(out[0, 0].sum(), x)
    assert (dx[0].abs().sum(-1) > 0).all()
    assert layer_costs("self-attention", n=n, d=4) == {
        "complexity": n * n * 4,
        "sequential": 1,
        "max_path": min(1, n - 1),
    }


def test_table_1_orders() -> None:
    """Vaswani et al. 2017, Table 1: recurrent O(n d^2), O(n), O(n); self-attention O(n^2 d), O(1), O(1).
    Self-attention does less work per layer exactly when n < d."""
    for n, d in ((10, 512), (100, 512), (512, 512), (4096, 512)):
        rec, att = layer_costs("recurrent", n=n, d=d), layer_costs("self-attention", n=n, d=d)
        assert (rec["complexity"], rec["sequential"], rec["max_path"]) == (n * d * d, n, n - 1)
        assert (att["complexity"], att["sequential"], att["max_path"]) == (n * n * d, 1, 1)
        assert (att["complexity"] < rec["complexity"]) == (n < d)
        assert rec["complexity"] / att["complexity"] == d / n


def test_numbers_the_page_states() -> None:
    """0.9^10 = 0.349 and 0.9^100 = 2.7e-5 of the gradient survive; sigma(3) = 0.953 keeps 0.378 of
    a cell over 20 steps and sigma(0) = 0.5 keeps about 1e-6; d / n = 5.12 for n = 100, d = 512."""
    Q, zero = orthogonal(4, 10), np.zeros(4)
    norms = hidden_grad_norms(
        np.zeros((1, 101, 1)), None, np.zeros((1, 4)), 0.9 * Q, zero, zero, nonlinearity="identity"
    )
    assert round(norms[-11] / norms[-1], 3) == 0.349 and round(norms[0] / norms[-1] * 1e5, 1) == 2.7
    W = np.zeros((1, 4))
    for forget_bias, survives in ((3.0, 0.378), (0.0, 1e-6)):
        c = np.ones((1, 1))
        for _ in range(20):  # the input gate is shut (bias -100): nothing is written
            _, c = lstm_cell(np.zeros((1, 1)), np.zeros((1, 1)), c, W, W, np.array([-100, forget_bias, 0, 0]), 0 * W[0])
        assert abs(float(c[0, 0]) - survives) < 0.1 * survives
    assert round(1 / (1 + math.exp(-3)), 3) == 0.953
    rec, att = layer_costs("recurrent", n=100, d=512), layer_costs("self-attention", n=100, d=512)
    assert rec["complexity"] / att["complexity"] == 5.12


def test_initialisation_claims() -> None:
    """A unit-variance Gaussian d x d matrix has spectral radius near sqrt(d); PyTorch's default
    U(-1/sqrt(d_h), 1/sqrt(d_h)) gives W_hh a radius near 1/sqrt(3) < 1, and no forget bias of 1."""
    d = 256
    radius = np.abs(np.linalg.eigvals(np.random.default_rng(11).standard_normal((d, d)))).max()
    assert abs(radius / math.sqrt(d) - 1) < 0.1
    torch.manual_seed(11)
    ref = torch.nn.LSTM(8, d)
    _, W_hh, b_ih, b_hh = torch_weights(ref)
    assert np.abs(W_hh).max() <= 1 / math.sqrt(d) and np.abs(b_ih).max() <= 1 / math.sqrt(d)
    for k in range(4):  # every gate's block
        assert np.abs(np.linalg.eigvals(W_hh[k * d : (k + 1) * d])).max() < 1
    rnn_radius = np.abs(np.linalg.eigvals(torch_weights(torch.nn.RNN(8, d))[1])).max()
    assert abs(rnn_radius * math.sqrt(3) - 1) < 0.1
    assert abs(b_ih[d : 2 * d].mean()) < 0.05 and abs(b_hh[d : 2 * d].mean()) < 0.05  # forget bias centred on 0


def test_hidden_state_is_not_batch_first() -> None:
    """With batch_first=True, nn.RNN's output is (batch, seq, d_h) but h_n stays (layers, batch, d_h)."""
    ref = torch.nn.RNN(3, 4, num_layers=2, batch_first=True)
    out, h_n = ref(torch.zeros(5, 7, 3))
    assert tuple(out.shape) == (5, 7, 4) and tuple(h_n.shape) == (2, 5, 4)


# ---------------------------------------------------------------- bad input


def bad_rnn_inputs() -> list[tuple[tuple, dict, str]]:
    """In the NumPy layout: W_ih (d_in, d_h) = (4, 5); the torch wrapper transposes it."""
    x, W_ih, W_hh, b = np.zeros((2, 3, 4)), np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(5)
    return [
        ((np.zeros((3, 4)), None, W_ih, W_hh, b, b), {}, r"x must have shape \(batch, seq, d_in\).*got \(3, 4\)"),
        ((np.zeros((2, 0, 4)), None, W_ih, W_hh, b, b), {}, r"seq > 0; got \(2, 0, 4\)"),
        ((x, None, W_ih, W_hh, np.zeros(4), b), {}, r"b_ih must have shape \(5,\) or be None; got \(4,\)"),
        ((x, None, W_ih, W_hh, b, np.zeros(6)), {}, r"b_hh must have shape \(5,\) or be None; got \(6,\)"),
        ((x, np.zeros((3, 5)), W_ih, W_hh, b, b), {}, r"h0 must have shape \(batch, d_h\) = \(2, 5\); got \(3, 5\)"),
        ((x, None, W_ih, W_hh, b, b), {"nonlinearity": "sigmoid"}, r"nonlinearity must be one of .*'sigmoid'"),
    ]


def test_weight_shape_errors_name_each_layout() -> None:
    x, b = np.zeros((2, 3, 4)), np.zeros(5)
    with pytest.raises(ValueError, match=r"W_hh must have shape \(d_h, 1 \* d_h\); got \(4, 5\)"):
        rnn(x, None, np.zeros((4, 5)), np.zeros((4, 5)), b, b)
    with pytest.raises(ValueError, match=r"W_ih must have shape \(4, 5\) = \(d_in, 1 \* d_h\); got \(5, 4\)"):
        rnn(x, None, np.zeros((5, 4)), np.zeros((5, 5)), b, b)
    with pytest.raises(ValueError, match=r"W_ih must have shape \(5, 4\) = \(1 \* d_h, d_in\); got \(4, 5\)"):
        rnn_torch(t(x), None, t(np.zeros((4, 5))), t(np.zeros((5, 5))))
    with pytest.raises(ValueError, match=r"W_hh must have shape \(4 \* d_h, d_h\); got \(2, 2\)"):
        lstm_torch(t(x), None, t(np.zeros((8, 4))), t(np.zeros((2, 2))))
    with pytest.raises(ValueError, match=r"W_hh must have shape \(d_h, 3 \* d_h\); got \(2, 2\)"):
        gru(x, None, np.zeros((4, 6)), np.zeros((2, 2)))


@pytest.mark.parametrize("impl", RNNS)
def test_rnn_bad_input_raises(impl: str) -> None:
    for args, kwargs, message in bad_rnn_inputs():
        with pytest.raises(ValueError, match=message):
            RNNS[impl](*args, **kwargs)


def test_other_bad_input_raises() -> None:
    x, W, b = np.zeros((1, 2, 3)), np.zeros((3, 8)), np.zeros(8)
    with pytest.raises(ValueError, match=r"W_hh must have shape \(d_h, 4 \* d_h\); got \(2, 2\)"):
        lstm(x, None, W, np.zeros((2, 2)), b, b)
    with pytest.raises(ValueError, match=r"c must have the shape of h \(1, 2\); got \(1, 3\)"):
        lstm_cell(np.zeros((1, 3)), np.zeros((1, 2)), np.zeros((1, 3)), W, np.zeros((2, 8)), b, b)
    out = np.zeros((1, 2, 5))
    with pytest.raises(ValueError, match=r"d_out must have shape \(batch, seq, d_h\) = \(1, 2, 5\); got \(1, 2\)"):
        rnn_backward(x, None, np.zeros((3, 5)), np.zeros((5, 5)), out, np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"cell must be 'rnn' or 'lstm'; got 'gru'"):
        hidden_grad_norms_torch(t(x), None, t(W.T), t(np.zeros((8, 2))), t(b), t(b), cell="gru")
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor; got a NumPy array"):
        rnn_torch(x, None, t(np.zeros((5, 3))), t(np.zeros((5, 5))))
    with pytest.raises(TypeError, match=r"x must be a NumPy array or array-like; got a torch.Tensor"):
        rnn(t(x), None, np.zeros((3, 5)), np.zeros((5, 5)))
    with pytest.raises(TypeError, match=r"module must be an nn.RNN, nn.LSTM, nn.GRU or one of their cells; got Linear"):
        rnn_weights_from_torch(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"module has 1 layer\(s\), bidirectional=False; got layer=0, reverse=True"):
        rnn_weights_from_torch(torch.nn.GRU(2, 2), reverse=True)
    with pytest.raises(ValueError, match=r"d_h must be a positive integer; got 0"):
        gru_param_count(3, 0)
    with pytest.raises(ValueError, match=r"layer must be one of .*got 'convolutional'"):
        layer_costs("convolutional", n=4, d=4)
    with pytest.raises(ValueError, match=r"n must be a positive integer; got 0"):
        layer_costs("recurrent", n=0, d=4)
    with pytest.raises(ValueError, match=r"d must be a positive integer; got 2\.5"):
        layer_costs("recurrent", n=3, d=2.5)


# ---------------------------------------------------------------- the bank's numeric answers


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed from the package rather than copied."""
    Q = orthogonal(4, 9)
    norms = hidden_grad_norms(np.zeros((1, 11, 1)), None, np.zeros((1, 4)), 0.9 * Q, np.zeros(4), np.zeros(4),
                              nonlinearity="identity")  # fmt: skip
    rnn_params = sum(w.size for w in weights(torch.nn.RNN(32, 64)))
    lstm_params = sum(w.size for w in weights(torch.nn.LSTM(10, 20)))
    c = 1.0
    for _ in range(20):  # nothing written (i = 0), forget gate sigmoid(3)
        _, c_arr = lstm_cell(np.zeros((1, 1)), np.zeros((1, 1)), np.full((1, 1), c), np.zeros((1, 4)),
                             np.zeros((1, 4)), np.array([-100.0, 3.0, 0.0, 100.0]), np.zeros(4))  # fmt: skip
        c = float(c_arr[0, 0])
    return {
        "rnn.decay-factor": float(norms[0] / norms[-1]),
        "rnn.sequential-steps": layer_costs("recurrent", n=1000, d=512)["sequential"],
        "rnn.max-path": layer_costs("recurrent", n=512, d=512)["max_path"],
        "rnn.rnn-params": rnn_params,
        "rnn.lstm-params": lstm_params,
        "rnn.cell-memory": c,
        "rnn.cost-ratio": layer_costs("recurrent", n=100, d=512)["complexity"]
        / layer_costs("self-attention", n=100, d=512)["complexity"],
        "rnn.gru-params": sum(w.size for w in weights(torch.nn.GRU(10, 20))),
        "rnn.bidi-params": numel(torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True)),
        "rnn.bahdanau-value": float(additive_attention([[0.0]], [[[0.5], [-0.5]]], [[1.0]], [[1.0]], [2.0])[1][0, 0]),
    }


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys("rnn", computed_answers(), bank_tolerance)


# ---------------------------------------------------------------- no bias, other dtypes, the converter


@pytest.mark.parametrize("impl", RNNS)
def test_no_bias_matches_nn_rnn_without_bias(impl: str) -> None:
    """b_ih = b_hh = None is nn.RNN(bias=False); it used to raise AttributeError."""
    torch.manual_seed(12)
    ref = torch.nn.RNN(3, 4, bias=False, batch_first=True, dtype=torch.float64)
    x = np.random.default_rng(12).standard_normal((2, 5, 3))
    w = rnn_weights_from_torch(ref)
    assert w["b_ih"] is None and w["b_hh"] is None
    out, _ = RNNS[impl](x, None, w["W_ih"], w["W_hh"], None, None)
    assert_close(out, ref(t(x))[0].detach())
    lstm_ref = torch.nn.LSTM(3, 4, bias=False, batch_first=True, dtype=torch.float64)
    assert_close(lstm(x, None, **rnn_weights_from_torch(lstm_ref))[0], lstm_ref(t(x))[0].detach())


def test_weights_from_torch_is_a_transpose() -> None:
    ref = torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True)
    w = rnn_weights_from_torch(ref, layer=1, reverse=True)
    np.testing.assert_array_equal(w["W_ih"], ref.weight_ih_l1_reverse.detach().numpy().T)
    np.testing.assert_array_equal(w["W_hh"], ref.weight_hh_l1_reverse.detach().numpy().T)
    np.testing.assert_array_equal(w["b_hh"], ref.bias_hh_l1_reverse.detach().numpy())
    assert w["W_ih"].shape == (4, 8) and w["W_ih"].dtype == np.float64  # layer 2 reads both directions


# float32 within a few ulps over a short sequence; bfloat16 keeps 8 bits of mantissa
DTYPE_TOL = {torch.float64: 1e-12, torch.float32: 1e-5, torch.bfloat16: 5e-2, torch.float16: 5e-3}


@pytest.mark.parametrize("dtype", list(DTYPE_TOL))
def test_torch_mirrors_match_pytorch_in_each_dtype(dtype: torch.dtype) -> None:
    """rnn_torch and lstm_torch against nn.RNN and nn.LSTM built in the same dtype, from the same
    weights: outputs agree to the dtype's precision and keep its dtype."""
    torch.manual_seed(13)
    x = torch.randn(2, 6, 3, dtype=torch.float64).to(dtype)
    for Module, ours in ((torch.nn.RNN, rnn_torch), (torch.nn.LSTM, lstm_torch)):
        ref = Module(3, 5, batch_first=True).to(dtype)
        w = [p.detach() for p in (ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0)]
        got = ours(x, None, *w)[0]
        with torch.no_grad():
            want = ref(x)[0]
        assert got.dtype == dtype
        tol = DTYPE_TOL[dtype]
        torch.testing.assert_close(got.double(), want.double(), rtol=tol, atol=tol)
    norms = hidden_grad_norms_torch(x.float(), None, *(v.float() for v in w), cell="lstm")
    assert np.isfinite(norms).all()


# ---------------------------------------------------------------- the GRU against nn.GRU and nn.GRUCell


def check_gru_cell(cell_fn: Callable, B: int, d_in: int, H: int, seed: int = 0) -> None:
    """One step against nn.GRUCell with copied weights (x @ W layout), with and without biases."""
    rng = np.random.default_rng(seed)
    for bias in (True, False):
        torch.manual_seed(seed)
        ref = torch.nn.GRUCell(d_in, H, bias=bias, dtype=torch.float64)
        x, h = rng.standard_normal((B, d_in)), rng.standard_normal((B, H))
        w = rnn_weights_from_torch(ref)
        assert_close(cell_fn(x, h, w["W_ih"], w["W_hh"], w["b_ih"], w["b_hh"]), ref(t(x), t(h)).detach())


@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_gru_cell_matches_nn_gru_cell(shape) -> None:
    B, _, d_in, H = shape
    check_gru_cell(gru_cell, B, d_in, H)


@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_gru_matches_nn_gru(shape) -> None:
    B, T, d_in, H = shape
    torch.manual_seed(14)
    ref = torch.nn.GRU(d_in, H, batch_first=True, dtype=torch.float64)
    rng = np.random.default_rng(14)
    x = rng.standard_normal((B, T, d_in))
    for h0 in (None, rng.standard_normal((B, H))):
        out, h_n = gru(x, h0, **rnn_weights_from_torch(ref))
        want_out, want_h = ref(t(x), None if h0 is None else t(h0)[None])
        assert_close(out, want_out.detach())
        assert_close(h_n, want_h[0].detach())


def test_gru_hand_worked_and_reset_placement() -> None:
    """d_h = 1, update-gate bias -100 so z = 0 and h' = n. W_in = 1, W_hn = 2, x = 0.5, h = 1 and
    r = sigmoid(0) = 0.5: n = tanh(0.5 + 0.5 * 2) = tanh(1.5) = 0.905148. A recurrent bias b_hn = 1
    sits inside the reset: tanh(0.5 + 0.5 * (2 + 1)) = tanh(2); an input bias b_in = 1 sits
    outside it: tanh(0.5 + 1 + 0.5 * 2) = tanh(2.5)."""
    W_ih, W_hh = np.array([[0.0, 0.0, 1.0]]), np.array([[0.0, 0.0, 2.0]])
    b_ih = np.array([0.0, -100.0, 0.0])
    assert round(float(gru_cell([[0.5]], [[1.0]], W_ih, W_hh, b_ih)[0, 0]), 6) == round(math.tanh(1.5), 6)
    got = gru_cell([[0.5]], [[1.0]], W_ih, W_hh, b_ih, np.array([0.0, 0.0, 1.0]))
    assert math.isclose(float(got[0, 0]), math.tanh(2.0), rel_tol=1e-12)
    got = gru_cell([[0.5]], [[1.0]], W_ih, W_hh, b_ih + np.array([0.0, 0.0, 1.0]))
    assert math.isclose(float(got[0, 0]), math.tanh(2.5), rel_tol=1e-12)


# ---------------------------------------------------------------- bidirectional layers


@pytest.mark.parametrize("name", ["rnn", "gru", "lstm"])
def test_bidirectional_matches_pytorch(name: str) -> None:
    """nn.RNN / nn.GRU / nn.LSTM(bidirectional=True): out is [forward_t, backward_t] along the last
    axis; h_n[0] is the forward state after x_T and h_n[1] the backward state after x_1, which sits
    at out[:, 0, d_h:], not at out[:, -1]."""
    Module, layer = {"rnn": (torch.nn.RNN, rnn), "gru": (torch.nn.GRU, gru), "lstm": (torch.nn.LSTM, lstm)}[name]
    torch.manual_seed(15)
    ref = Module(3, 4, batch_first=True, bidirectional=True, dtype=torch.float64)
    x = np.random.default_rng(15).standard_normal((2, 6, 3))
    fwd, bwd = rnn_weights_from_torch(ref), rnn_weights_from_torch(ref, reverse=True)
    out, h_f, h_b = bidirectional(layer, x, fwd, bwd)
    want_out, want_h = ref(t(x))
    if name == "lstm":
        (h_f, _), (h_b, _), want_h = h_f, h_b, want_h[0]
    assert out.shape == (2, 6, 8)
    assert_close(out, want_out.detach())
    assert_close(np.stack([h_f, h_b]), want_h.detach())
    assert_close(h_b, out[:, 0, 4:])
    assert not np.allclose(h_b, out[:, -1, 4:])


# ---------------------------------------------------------------- Bahdanau (additive) attention


def additive_reference(s, k, W_q, W_k, v, mask=None):
    """e_j = v^T tanh(W_a s + U_a h_j) (Bahdanau et al. 2015, eq. 6 with nn.Linear-free tensors),
    written with torch.nn.functional so it shares no code with ours."""
    e = torch.einsum("btd,d->bt", torch.tanh(s[:, None, :] @ W_q + k @ W_k), v)
    if mask is not None:
        e = e.masked_fill(~mask, float("-inf"))
    a = F.softmax(e, dim=-1)
    return torch.bmm(a[:, None, :], k)[:, 0], a


@pytest.mark.parametrize("B, T, d_q, d_k, d_a", [(1, 1, 1, 1, 1), (2, 5, 3, 4, 6), (3, 9, 8, 2, 5)])
def test_additive_attention_matches_a_torch_reference(B, T, d_q, d_k, d_a) -> None:
    rng = np.random.default_rng(16)
    s, k = rng.standard_normal((B, d_q)), rng.standard_normal((B, T, d_k))
    W_q, W_k, v = rng.standard_normal((d_q, d_a)), rng.standard_normal((d_k, d_a)), rng.standard_normal(d_a)
    mask = rng.random((B, T)) < 0.7
    mask[:, 0] = True
    for m in (None, mask):
        ctx, a = additive_attention(s, k, W_q, W_k, v, mask=m)
        want_ctx, want_a = additive_reference(*map(t, (s, k, W_q, W_k, v)), None if m is None else t(m))
        assert_close(ctx, want_ctx)
        assert_close(a, want_a)
        np.testing.assert_allclose(a.sum(-1), 1.0)
        if m is not None:
            assert (a[~m] == 0).all()


def test_additive_attention_bad_input() -> None:
    k = np.zeros((1, 3, 2))
    with pytest.raises(ValueError, match=r"mask must be boolean \(batch, seq\) = \(1, 3\) with a True in every row"):
        additive_attention(np.zeros((1, 1)), k, np.zeros((1, 4)), np.zeros((2, 4)), np.zeros(4), mask=[[False] * 3])
    with pytest.raises(ValueError, match=r"W_q must be \(d_q, d_a\) = \(1, 4\)"):
        additive_attention(np.zeros((1, 1)), k, np.zeros((4, 1)), np.zeros((2, 4)), np.zeros(4))


# ---------------------------------------------------------------- the exercises' checks on our code


@pytest.mark.parametrize(("exercise", "impl"), [("rnn.elman", rnn), ("rnn.gru-cell", gru_cell)])
def test_exercise_checks_pass_on_our_implementation(exercise: str, impl: Callable) -> None:
    """The checks that grade a learner's solution are run on ours (issue 9)."""
    from concepts.exercises._harness import run_checks
    from concepts.exercises.rnn import CHECKS

    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed
