"""Recurrent networks: the Elman RNN and the LSTM, their gradients through time, and their costs.

Follows Elman (1990) and Hochreiter and Schmidhuber (1997) with the conventions of
``torch.nn.RNN`` and ``torch.nn.LSTM`` (``batch_first=True``, weights ``(gates * d_h, d_in)``,
two bias vectors, LSTM gates in the order i, f, g, o), Bengio et al. (1994) for vanishing
and exploding gradients, and Table 1 of Vaswani et al. (2017) for sequential operations
and path lengths. Leaves out stacked and bidirectional layers (stack the one-layer
functions), dropout between layers, packed sequences, GRUs and peephole connections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "hidden_grad_norms",
    "hidden_grad_norms_torch",
    "layer_costs",
    "lstm",
    "lstm_cell",
    "lstm_torch",
    "rnn",
    "rnn_backward",
    "rnn_torch",
]

NONLINEARITIES = ("tanh", "relu", "identity")
LAYERS = ("recurrent", "self-attention")


def _check(x: Any, h0: Any, W_ih: Any, W_hh: Any, b_ih: Any, b_hh: Any, *, gates: int, nonlinearity: str) -> int:
    """Validate a recurrent call on arrays or tensors; return the hidden size d_h."""
    if x.ndim != 3 or x.shape[1] == 0:
        raise ValueError(f"x must have shape (batch, seq, d_in) with seq > 0; got {tuple(x.shape)}")
    B, _, d_in = x.shape
    if W_hh.ndim != 2 or W_hh.shape[0] != gates * W_hh.shape[1]:
        raise ValueError(f"W_hh must have shape ({gates} * d_h, d_h); got {tuple(W_hh.shape)}")
    H = W_hh.shape[1]
    if tuple(W_ih.shape) != (gates * H, d_in):
        raise ValueError(f"W_ih must have shape ({gates * H}, {d_in}) = ({gates} * d_h, d_in); got {tuple(W_ih.shape)}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if tuple(b.shape) != (gates * H,):
            raise ValueError(f"{name} must have shape ({gates * H},); got {tuple(b.shape)}")
    if h0 is not None and tuple(h0.shape) != (B, H):
        raise ValueError(f"h0 must have shape (batch, d_h) = ({B}, {H}); got {tuple(h0.shape)}")
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}; got {nonlinearity!r}")
    return H


def rnn(
    x: np.ndarray,
    h0: np.ndarray | None,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    *,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, np.ndarray]:
    """One Elman RNN layer over a batch of sequences, as ``nn.RNN(batch_first=True)``.

    :param x: inputs, ``(batch, seq, d_in)``.
    :param h0: initial state, ``(batch, d_h)``, or None for zeros.
    :param W_ih: input weights, ``(d_h, d_in)``.
    :param W_hh: recurrent weights, ``(d_h, d_h)``.
    :param b_ih: input bias, ``(d_h,)``.
    :param b_hh: recurrent bias, ``(d_h,)``.
    :param nonlinearity: ``"tanh"`` (PyTorch's default), ``"relu"``, or ``"identity"`` (a
        linear RNN, for measuring gradients exactly).
    :returns: ``(out, h_n)``: every state ``(batch, seq, d_h)`` and the last ``(batch, d_h)``.
    :raises ValueError: on a wrong shape or an unknown nonlinearity.

    >>> import numpy as np
    >>> from concepts.rnn import rnn
    >>> x = np.array([[[1.0], [0.0], [0.0]]])  # batch 1, three steps, d_in = 1
    >>> one, half, zero = np.ones((1, 1)), np.full((1, 1), 0.5), np.zeros(1)
    >>> out, h_n = rnn(x, None, one, half, zero, zero, nonlinearity="identity")
    >>> np.round(out, 4).tolist(), np.round(h_n, 4).tolist()  # h_t = 0.5 h_{t-1}: an echo that fades
    ([[[1.0], [0.5], [0.25]]], [[0.25]])
    """
    H = _check(x, h0, W_ih, W_hh, b_ih, b_hh, gates=1, nonlinearity=nonlinearity)
    act = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0), "identity": lambda a: a}[nonlinearity]
    h = np.zeros((x.shape[0], H)) if h0 is None else h0
    xw = x @ W_ih.T + b_ih  # every input projection at once, in parallel  (B, T, H)
    out = []
    for t in range(x.shape[1]):  # the recurrence itself cannot be parallelised over t
        h = act(xw[:, t] + h @ W_hh.T + b_hh)  # h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
        out.append(h)
    return np.stack(out, axis=1), h  # (B, T, H), (B, H)


def rnn_torch(
    x: torch.Tensor,
    h0: torch.Tensor | None,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
    *,
    nonlinearity: str = "tanh",
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`rnn` in PyTorch tensor operations, differentiable by autograd; same arguments.

    >>> import torch
    >>> from concepts.rnn import rnn_torch
    >>> x = torch.tensor([[[1.0], [0.0], [0.0]]], dtype=torch.float64)
    >>> one, half, zero = torch.ones(1, 1), torch.full((1, 1), 0.5), torch.zeros(1)
    >>> out, h_n = rnn_torch(x, None, one.double(), half.double(), zero.double(), zero.double(), nonlinearity="relu")
    >>> out.flatten().tolist(), h_n.flatten().tolist()
    ([1.0, 0.5, 0.25], [0.25])
    """
    import torch

    H = _check(x, h0, W_ih, W_hh, b_ih, b_hh, gates=1, nonlinearity=nonlinearity)
    act = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda a: a}[nonlinearity]
    h = x.new_zeros(x.shape[0], H) if h0 is None else h0
    xw = x @ W_ih.T + b_ih  # (B, T, H)
    out = []
    for t in range(x.shape[1]):
        h = act(xw[:, t] + h @ W_hh.T + b_hh)  # h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
        out.append(h)
    return torch.stack(out, dim=1), h  # (B, T, H), (B, H)


def rnn_backward(
    x: np.ndarray,
    h0: np.ndarray | None,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    out: np.ndarray,
    d_out: np.ndarray,
    *,
    nonlinearity: str = "tanh",
) -> dict[str, np.ndarray]:
    """Backpropagation through time for :func:`rnn`, given ``d_out = dL/d out``.

    A loss on ``h_n`` is a loss on ``out[:, -1]``: add its gradient to ``d_out[:, -1]``.

    :param x: the inputs of the forward call, ``(batch, seq, d_in)``.
    :param h0: its initial state ``(batch, d_h)``, or None for zeros.
    :param W_ih: input weights, ``(d_h, d_in)``.
    :param W_hh: recurrent weights, ``(d_h, d_h)``.
    :param out: the states it returned, ``(batch, seq, d_h)``.
    :param d_out: the gradient of the loss with respect to ``out``, same shape.
    :param nonlinearity: the forward call's nonlinearity.
    :returns: gradients ``"x"``, ``"h0"``, ``"W_ih"``, ``"W_hh"``, ``"b_ih"``, ``"b_hh"``
        shaped like those arguments, and ``"h"``: the total ``dL/dh_t``, ``(batch, seq, d_h)``.
    :raises ValueError: when ``out`` or ``d_out`` does not have the shape ``(batch, seq, d_h)``.

    >>> import numpy as np
    >>> from concepts.rnn import rnn, rnn_backward
    >>> x, one, half, zero = np.ones((1, 3, 1)), np.ones((1, 1)), np.full((1, 1), 0.5), np.zeros(1)
    >>> out, _ = rnn(x, None, one, half, zero, zero, nonlinearity="identity")
    >>> d_out = np.zeros_like(out); d_out[:, -1] = 1.0  # L = h_3
    >>> g = rnn_backward(x, None, one, half, out, d_out, nonlinearity="identity")
    >>> g["h"].flatten().tolist(), g["x"].flatten().tolist()  # dL/dh_t = 0.5^(3 - t)
    ([0.25, 0.5, 1.0], [0.25, 0.5, 1.0])
    """
    H = _check(x, h0, W_ih, W_hh, np.zeros(W_hh.shape[0]), np.zeros(W_hh.shape[0]), gates=1, nonlinearity=nonlinearity)
    B, T, _ = x.shape
    for name, a in (("out", out), ("d_out", d_out)):
        if a.shape != (B, T, H):
            raise ValueError(f"{name} must have shape (batch, seq, d_h) = {(B, T, H)}; got {a.shape}")
    h0 = np.zeros((B, H)) if h0 is None else h0
    grads = {"x": np.zeros_like(x), "W_ih": np.zeros_like(W_ih), "W_hh": np.zeros_like(W_hh), "h": np.zeros_like(out)}
    db = np.zeros(H)
    dh_next = np.zeros((B, H))  # the gradient reaching h_t from step t + 1
    for t in reversed(range(T)):
        dh = d_out[:, t] + dh_next  # dL/dh_t: the loss at step t plus every later step
        grads["h"][:, t] = dh
        slope = {"tanh": 1.0 - out[:, t] ** 2, "relu": (out[:, t] > 0) * 1.0, "identity": 1.0}[nonlinearity]
        da = dh * slope  # dL/da_t = dL/dh_t * f'(a_t), with tanh' = 1 - h_t^2   (B, H)
        h_prev = out[:, t - 1] if t > 0 else h0
        grads["W_ih"] += da.T @ x[:, t]  # dL/dW_ih = sum_t da_t^T x_t
        grads["W_hh"] += da.T @ h_prev  # dL/dW_hh = sum_t da_t^T h_{t-1}
        db += da.sum(axis=0)
        grads["x"][:, t] = da @ W_ih  # dL/dx_t = da_t W_ih
        dh_next = da @ W_hh  # dL/dh_{t-1} gets da_t W_hh: one more factor of W_hh per step back
    grads.update(h0=dh_next, b_ih=db, b_hh=db.copy())
    return grads


def lstm_cell(
    x: np.ndarray, h: np.ndarray, c: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step, as ``nn.LSTMCell``: gates i, f, g, o stacked in that order.

    :param x: inputs, ``(batch, d_in)``.
    :param h: hidden state, ``(batch, d_h)``.
    :param c: cell state, ``(batch, d_h)``.
    :param W_ih: input weights, ``(4 * d_h, d_in)``.
    :param W_hh: recurrent weights, ``(4 * d_h, d_h)``.
    :param b_ih: input bias, ``(4 * d_h,)``.
    :param b_hh: recurrent bias, ``(4 * d_h,)``.
    :returns: ``(h', c')``, each ``(batch, d_h)``.
    :raises ValueError: on a wrong shape.

    >>> import numpy as np
    >>> from concepts.rnn import lstm_cell
    >>> b = np.array([0.0, 100.0, 0.0, 100.0])  # d_h = 1: i = 0.5, f = 1, g = 0, o = 1
    >>> zero, W = np.zeros((1, 1)), np.zeros((4, 1))
    >>> h, c = lstm_cell(zero, zero, np.full((1, 1), 2.0), W, W, b, 0 * b)
    >>> float(c[0, 0]), round(float(h[0, 0]), 4)  # c' = 1 * 2 + 0.5 * 0 = 2, h' = tanh(2)
    (2.0, 0.964)
    """
    _check(x[:, None], h, W_ih, W_hh, b_ih, b_hh, gates=4, nonlinearity="tanh")
    if c.shape != h.shape:
        raise ValueError(f"c must have the shape of h {h.shape}; got {c.shape}")
    z = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh  # all four pre-activations at once   (B, 4H)
    zi, zf, zg, zo = np.split(z, 4, axis=1)  # (B, H) each, PyTorch's order
    sigmoid = lambda a: 0.5 * (1.0 + np.tanh(0.5 * a))  # noqa: E731  1/(1+e^-a), without overflow
    i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
    c = f * c + i * g  # c_t = f_t * c_{t-1} + i_t * g_t: the additive path that carries gradients
    return o * np.tanh(c), c  # h_t = o_t * tanh(c_t)


def lstm(
    x: np.ndarray,
    state: tuple[np.ndarray, np.ndarray] | None,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """One LSTM layer over ``x`` of shape ``(batch, seq, d_in)``, as ``nn.LSTM(batch_first=True)``.

    :param x: inputs, ``(batch, seq, d_in)``.
    :param state: ``(h0, c0)``, each ``(batch, d_h)``, or None for zeros.
    :param W_ih: input weights, ``(4 * d_h, d_in)``, rows in gate order i, f, g, o.
    :param W_hh: recurrent weights, ``(4 * d_h, d_h)``.
    :param b_ih: input bias, ``(4 * d_h,)``.
    :param b_hh: recurrent bias, ``(4 * d_h,)``.
    :returns: ``(out, (h_n, c_n))`` with ``out`` of shape ``(batch, seq, d_h)``.
    :raises ValueError: on a wrong shape.

    >>> import numpy as np
    >>> from concepts.rnn import lstm
    >>> rng = np.random.default_rng(0)
    >>> W_ih, W_hh, b = rng.standard_normal((8, 3)), rng.standard_normal((8, 2)), np.zeros(8)
    >>> out, (h_n, c_n) = lstm(rng.standard_normal((1, 5, 3)), None, W_ih, W_hh, b, b)
    >>> out.shape, bool(np.allclose(out[:, -1], h_n)), bool(np.abs(out).max() < 1)  # |h| = |o tanh(c)| < 1
    ((1, 5, 2), True, True)
    """
    H = _check(x, None if state is None else state[0], W_ih, W_hh, b_ih, b_hh, gates=4, nonlinearity="tanh")
    h, c = (np.zeros((x.shape[0], H)), np.zeros((x.shape[0], H))) if state is None else state
    out = []
    for t in range(x.shape[1]):
        h, c = lstm_cell(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
        out.append(h)
    return np.stack(out, axis=1), (h, c)  # (B, T, H)


def lstm_torch(
    x: torch.Tensor,
    state: tuple[torch.Tensor, torch.Tensor] | None,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """:func:`lstm` in PyTorch tensor operations, differentiable by autograd; same arguments.

    >>> import torch
    >>> from concepts.rnn import lstm_torch
    >>> b = torch.tensor([0.0, 100.0, 0.0, 100.0], dtype=torch.float64)  # i = 0.5, f = 1, g = 0, o = 1
    >>> W = torch.zeros(4, 1, dtype=torch.float64)
    >>> out, (h_n, c_n) = lstm_torch(torch.zeros(1, 2, 1, dtype=torch.float64), None, W, W, b, 0 * b)
    >>> c_n.item(), out.flatten().tolist()  # nothing written, nothing forgotten
    (0.0, [0.0, 0.0])
    """
    import torch

    H = _check(x, None if state is None else state[0], W_ih, W_hh, b_ih, b_hh, gates=4, nonlinearity="tanh")
    h, c = (x.new_zeros(x.shape[0], H), x.new_zeros(x.shape[0], H)) if state is None else state
    out = []
    for t in range(x.shape[1]):
        z = x[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh  # (B, 4H)
        zi, zf, zg, zo = z.chunk(4, dim=1)
        c = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)  # c_t = f_t * c_{t-1} + i_t * g_t
        h = torch.sigmoid(zo) * torch.tanh(c)  # h_t = o_t * tanh(c_t)
        out.append(h)
    return torch.stack(out, dim=1), (h, c)


def hidden_grad_norms(
    x: np.ndarray,
    h0: np.ndarray | None,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    *,
    nonlinearity: str = "tanh",
) -> np.ndarray:
    """``||dL/dh_t||`` for every step t of :func:`rnn`, for the loss ``L = sum(h_T)`` on the last step.

    Computed by :func:`rnn_backward`. With ``nonlinearity="identity"`` (or inputs small
    enough that tanh stays linear) the gradient is ``dL/dh_t = 1 (W_hh^{T - t})``, so for
    ``W_hh = a * Q`` with ``Q`` orthogonal the norm is exactly ``a^(T - t) * sqrt(batch * d_h)``:
    it vanishes for ``a < 1`` and explodes for ``a > 1``.

    :returns: the norms, ``(seq,)``, over the batch and hidden axes; entry ``t - 1`` is step t.

    >>> import numpy as np
    >>> from concepts.rnn import hidden_grad_norms
    >>> W_hh = 0.5 * np.eye(2)  # spectral radius 0.5; ||dL/dh_T|| = ||(1, 1)|| = sqrt(2)
    >>> norms = hidden_grad_norms(np.zeros((1, 4, 1)), None, np.zeros((2, 1)), W_hh, np.zeros(2), np.zeros(2))
    >>> np.round(norms / np.sqrt(2), 4).tolist()  # halves at every step back in time
    [0.125, 0.25, 0.5, 1.0]
    """
    out, _ = rnn(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity=nonlinearity)
    d_out = np.zeros_like(out)
    d_out[:, -1] = 1.0  # dL/dh_T for L = sum(h_T)
    dh = rnn_backward(x, h0, W_ih, W_hh, out, d_out, nonlinearity=nonlinearity)["h"]  # (B, T, H)
    return np.sqrt((dh**2).sum(axis=(0, 2)))  # (T,)


def hidden_grad_norms_torch(
    x: torch.Tensor,
    h0: torch.Tensor | None,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
    *,
    nonlinearity: str = "tanh",
    cell: str = "rnn",
) -> np.ndarray:
    """:func:`hidden_grad_norms` by autograd, for an RNN (``cell="rnn"``) or an LSTM (``cell="lstm"``).

    For an LSTM ``h0`` starts both states (None for zeros) and the weights have ``4 * d_h`` rows.

    >>> import torch
    >>> from concepts.rnn import hidden_grad_norms_torch
    >>> W_hh = 1.5 * torch.eye(2, dtype=torch.float64)  # spectral radius 1.5: the gradient grows
    >>> z = torch.zeros(2, dtype=torch.float64)
    >>> x = torch.zeros(1, 3, 1, dtype=torch.float64)
    >>> norms = hidden_grad_norms_torch(x, None, torch.zeros(2, 1).double(), W_hh, z, z, nonlinearity="identity")
    >>> [round(float(v), 4) for v in norms / 2**0.5]
    [2.25, 1.5, 1.0]
    """
    import torch

    if cell not in ("rnn", "lstm"):
        raise ValueError(f"cell must be 'rnn' or 'lstm'; got {cell!r}")
    B, H = x.shape[0], W_hh.shape[1]
    h = (x.new_zeros(B, H) if h0 is None else h0.detach().clone()).requires_grad_()  # a graph even without weights
    state: Any = h if cell == "rnn" else (h, h)
    states = []
    with torch.enable_grad():
        for t in range(x.shape[1]):  # one step at a time, so that every h_t is a node we can ask about
            if cell == "rnn":
                _, state = rnn_torch(x[:, t : t + 1], state, W_ih, W_hh, b_ih, b_hh, nonlinearity=nonlinearity)
            else:
                _, state = lstm_torch(x[:, t : t + 1], state, W_ih, W_hh, b_ih, b_hh)
            states.append(state if cell == "rnn" else state[0])
        grads = torch.autograd.grad(states[-1].sum(), states)  # dL/dh_t for L = sum(h_T)
    return np.array([float(g.norm()) for g in grads])


def layer_costs(layer: str, *, n: int, d: int) -> dict[str, int]:
    """The three columns of Table 1 of Vaswani et al. (2017) for one layer, as exact counts.

    ``complexity`` is the leading multiply-add term (``n * d^2`` for ``h_{t-1} W_hh^T`` over
    n steps, ``n^2 * d`` for the scores ``QK^T``); ``sequential`` is the number of steps that
    must run one after another; ``max_path`` is the number of layer applications a signal
    crosses between the first and last of ``n`` positions.

    :param layer: ``"recurrent"`` or ``"self-attention"``.
    :param n: sequence length, a positive integer.
    :param d: representation size, a positive integer.
    :raises ValueError: on an unknown layer or a non-positive size.

    >>> from concepts.rnn import layer_costs
    >>> layer_costs("recurrent", n=100, d=512)
    {'complexity': 26214400, 'sequential': 100, 'max_path': 99}
    >>> layer_costs("self-attention", n=100, d=512)
    {'complexity': 5120000, 'sequential': 1, 'max_path': 1}
    """
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}; got {layer!r}")
    for name, v in (("n", n), ("d", d)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer; got {v!r}")
    if layer == "recurrent":  # h_t needs h_{t-1}: n steps in a row, n - 1 hops from first to last
        return {"complexity": n * d * d, "sequential": n, "max_path": n - 1}
    return {"complexity": n * n * d, "sequential": 1, "max_path": min(1, n - 1)}  # every pair in one hop
