"""Recurrent networks: the Elman RNN, the LSTM and the GRU, their gradients through time, and their costs.

Follows Elman (1990), Hochreiter and Schmidhuber (1997) and Cho et al. (2014) with the
equations of ``torch.nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` (two bias vectors, gates stacked
i, f, g, o for the LSTM and r, z, n for the GRU), Bengio et al. (1994) for vanishing and
exploding gradients, Bahdanau et al. (2015) for additive attention, and Table 1 of Vaswani
et al. (2017) for sequential operations and path lengths. NumPy code computes ``x @ W`` with
``W`` of shape ``(d_in, gates * d_h)``; the ``_torch`` mirrors take PyTorch's
``(gates * d_h, d_in)`` and :func:`rnn_weights_from_torch` converts. The gated cells, the
bidirectional wrapper and additive attention live in ``concepts/_rnn_gated.py``. Leaves out
dropout between layers, packed sequences and peephole connections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import require_positive_int, require_torch
from concepts._rnn_gated import (
    _arrays,
    _check,
    _tensors,
    additive_attention,
    bidirectional,
    gru,
    gru_cell,
    lstm,
    lstm_cell,
    lstm_torch,
)

if TYPE_CHECKING:
    import torch

__all__ = [
    "additive_attention",
    "bidirectional",
    "gru",
    "gru_cell",
    "gru_param_count",
    "hidden_grad_norms",
    "hidden_grad_norms_torch",
    "layer_costs",
    "lstm",
    "lstm_cell",
    "lstm_param_count",
    "lstm_torch",
    "rnn",
    "rnn_backward",
    "rnn_param_count",
    "rnn_torch",
    "rnn_weights_from_torch",
]

LAYERS = ("recurrent", "self-attention")


def rnn(
    x: ArrayLike,
    h0: ArrayLike | None,
    W_ih: ArrayLike,
    W_hh: ArrayLike,
    b_ih: ArrayLike | None = None,
    b_hh: ArrayLike | None = None,
    *,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, np.ndarray]:
    """One Elman RNN layer over a batch of sequences, as ``nn.RNN(batch_first=True)``.

    :param x: inputs, ``(batch, seq, d_in)``.
    :param h0: initial state, ``(batch, d_h)``, or None for zeros.
    :param W_ih: input weights, ``(d_in, d_h)`` (``x @ W_ih``; PyTorch's ``weight_ih_l0.T``).
    :param W_hh: recurrent weights, ``(d_h, d_h)`` (``h @ W_hh``).
    :param b_ih: input bias, ``(d_h,)``, or None (``bias=False``).
    :param b_hh: recurrent bias, ``(d_h,)``, or None.
    :param nonlinearity: ``"tanh"`` (PyTorch's default), ``"relu"``, or ``"identity"`` (a
        linear RNN, for measuring gradients exactly).
    :returns: ``(out, h_n)``: every state ``(batch, seq, d_h)`` and the last ``(batch, d_h)``.
    :raises ValueError: on a wrong shape or an unknown nonlinearity.

    >>> import numpy as np
    >>> from concepts.rnn import rnn
    >>> x = np.array([[[1.0], [0.0], [0.0]]])  # batch 1, three steps, d_in = 1
    >>> out, h_n = rnn(x, None, [[1.0]], [[0.5]], nonlinearity="identity")
    >>> np.round(out, 4).tolist(), np.round(h_n, 4).tolist()  # h_t = 0.5 h_{t-1}: an echo that fades
    ([[[1.0], [0.5], [0.25]]], [[0.25]])
    """
    x, h0, W_ih, W_hh, b_ih, b_hh = _arrays(x, h0, W_ih, W_hh, b_ih, b_hh)
    H = _check(x, h0, W_ih, W_hh, b_ih, b_hh, gates=1, nonlinearity=nonlinearity, torch_layout=False)
    act = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0), "identity": lambda a: a}[nonlinearity]
    h = np.zeros((x.shape[0], H)) if h0 is None else h0
    xw = x @ W_ih + (0.0 if b_ih is None else b_ih)  # every input projection at once, in parallel  (B, T, H)
    b = 0.0 if b_hh is None else b_hh
    out = []
    for t in range(x.shape[1]):  # the recurrence itself cannot be parallelised over t
        h = act(xw[:, t] + h @ W_hh + b)  # h_t = f(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)
        out.append(h)
    return np.stack(out, axis=1), h  # (B, T, H), (B, H)


def rnn_torch(
    x: torch.Tensor,
    h0: torch.Tensor | None,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor | None = None,
    b_hh: torch.Tensor | None = None,
    *,
    nonlinearity: str = "tanh",
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`rnn` in PyTorch, differentiable by autograd; weights in ``nn.RNN``'s ``(d_h, d_in)`` layout.

    >>> import torch
    >>> from concepts.rnn import rnn_torch
    >>> x = torch.tensor([[[1.0], [0.0], [0.0]]], dtype=torch.float64)
    >>> one, half = torch.ones(1, 1, dtype=torch.float64), torch.full((1, 1), 0.5, dtype=torch.float64)
    >>> out, h_n = rnn_torch(x, None, one, half, nonlinearity="relu")
    >>> out.flatten().tolist(), h_n.flatten().tolist()
    ([1.0, 0.5, 0.25], [0.25])
    """
    torch = require_torch()
    x, h0, W_ih, W_hh, b_ih, b_hh = _tensors(x, h0, W_ih, W_hh, b_ih, b_hh)
    H = _check(x, h0, W_ih, W_hh, b_ih, b_hh, gates=1, nonlinearity=nonlinearity, torch_layout=True)
    act = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda a: a}[nonlinearity]
    h = x.new_zeros(x.shape[0], H) if h0 is None else h0
    xw = x @ W_ih.T + (0.0 if b_ih is None else b_ih)  # (B, T, H)
    b = 0.0 if b_hh is None else b_hh
    out = []
    for t in range(x.shape[1]):
        h = act(xw[:, t] + h @ W_hh.T + b)  # h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
        out.append(h)
    return torch.stack(out, dim=1), h  # (B, T, H), (B, H)


def rnn_backward(
    x: ArrayLike,
    h0: ArrayLike | None,
    W_ih: ArrayLike,
    W_hh: ArrayLike,
    out: ArrayLike,
    d_out: ArrayLike,
    *,
    nonlinearity: str = "tanh",
) -> dict[str, np.ndarray]:
    """Backpropagation through time for :func:`rnn`, given ``d_out = dL/d out`` ``(batch, seq, d_h)``.

    A loss on ``h_n`` is a loss on ``out[:, -1]``: add its gradient to ``d_out[:, -1]``.

    :returns: gradients ``"x"``, ``"h0"``, ``"W_ih"``, ``"W_hh"``, ``"b_ih"``, ``"b_hh"``
        shaped like those arguments, and ``"h"``: the total ``dL/dh_t``, ``(batch, seq, d_h)``.
    :raises ValueError: when ``out`` or ``d_out`` does not have the shape ``(batch, seq, d_h)``.

    >>> import numpy as np
    >>> from concepts.rnn import rnn, rnn_backward
    >>> x, one, half = np.ones((1, 3, 1)), np.ones((1, 1)), np.full((1, 1), 0.5)
    >>> out, _ = rnn(x, None, one, half, nonlinearity="identity")
    >>> d_out = np.zeros_like(out); d_out[:, -1] = 1.0  # L = h_3
    >>> g = rnn_backward(x, None, one, half, out, d_out, nonlinearity="identity")
    >>> g["h"].flatten().tolist(), g["x"].flatten().tolist()  # dL/dh_t = 0.5^(3 - t)
    ([0.25, 0.5, 1.0], [0.25, 0.5, 1.0])
    """
    x, h0, W_ih, W_hh, out, d_out = _arrays(
        x, h0, W_ih, W_hh, out, d_out, names=("x", "h0", "W_ih", "W_hh", "out", "d_out")
    )
    H = _check(x, h0, W_ih, W_hh, None, None, gates=1, nonlinearity=nonlinearity, torch_layout=False)
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
        grads["W_ih"] += x[:, t].T @ da  # dL/dW_ih = sum_t x_t^T da_t
        grads["W_hh"] += h_prev.T @ da  # dL/dW_hh = sum_t h_{t-1}^T da_t
        db += da.sum(axis=0)
        grads["x"][:, t] = da @ W_ih.T  # dL/dx_t = da_t W_ih^T
        dh_next = da @ W_hh.T  # dL/dh_{t-1} gets da_t W_hh^T: one more factor of W_hh per step back
    grads.update(h0=dh_next, b_ih=db, b_hh=db.copy())
    return grads


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
    >>> norms = hidden_grad_norms(np.zeros((1, 4, 1)), None, np.zeros((1, 2)), W_hh, np.zeros(2), np.zeros(2))
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


def rnn_weights_from_torch(module: Any, *, layer: int = 0, reverse: bool = False) -> dict[str, np.ndarray | None]:
    """One layer and direction of an ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` (or a cell) in the ``x @ W`` layout.

    :returns: ``{"W_ih": (d_in, gates * d_h), "W_hh": (d_h, gates * d_h), "b_ih", "b_hh"}`` as
        float64 arrays (biases None for ``bias=False``), ready for ``rnn(x, h0, **weights)``.

    >>> import torch
    >>> from concepts.rnn import rnn_weights_from_torch
    >>> w = rnn_weights_from_torch(torch.nn.GRU(3, 2, bias=False))
    >>> w["W_ih"].shape, w["W_hh"].shape, w["b_ih"]
    ((3, 6), (2, 6), None)
    """
    torch = require_torch()
    if not isinstance(module, torch.nn.RNNBase | torch.nn.RNNCellBase):
        raise TypeError(f"module must be an nn.RNN, nn.LSTM, nn.GRU or one of their cells; got {type(module).__name__}")
    cell = isinstance(module, torch.nn.RNNCellBase)
    suffix = "" if cell else f"_l{layer}" + ("_reverse" if reverse else "")

    def arr(name: str, transpose: bool) -> np.ndarray | None:
        w = getattr(module, name + suffix, None)
        if w is None:
            return None
        a = w.detach().to(torch.float64).numpy()
        return (a.T if transpose else a).copy()

    if not cell and (layer >= module.num_layers or (reverse and not module.bidirectional)):
        have = f"{module.num_layers} layer(s), bidirectional={module.bidirectional}"
        raise ValueError(f"module has {have}; got layer={layer}, reverse={reverse}")
    return {
        "W_ih": arr("weight_ih", True),
        "W_hh": arr("weight_hh", True),
        "b_ih": arr("bias_ih", False),
        "b_hh": arr("bias_hh", False),
    }


def _param_count(gates: int, d_in: int, d_h: int, bias: bool, num_layers: int, bidirectional: bool) -> int:
    d_in, d_h, num_layers = (
        require_positive_int(v, n) for v, n in ((d_in, "d_in"), (d_h, "d_h"), (num_layers, "num_layers"))
    )
    dirs = 2 if bidirectional else 1
    per = lambda n_in: gates * d_h * (n_in + d_h + (2 if bias else 0))  # noqa: E731  W_ih, W_hh, b_ih, b_hh
    return dirs * (per(d_in) + (num_layers - 1) * per(dirs * d_h))  # later layers read both directions


def rnn_param_count(d_in: int, d_h: int, *, bias: bool = True, num_layers: int = 1, bidirectional: bool = False) -> int:
    """Parameters of ``nn.RNN(d_in, d_h, ...)``: ``d_h (d_in + d_h + 2)`` per layer and direction.

    >>> from concepts.rnn import rnn_param_count
    >>> rnn_param_count(32, 64)
    6272
    """
    return _param_count(1, d_in, d_h, bias, num_layers, bidirectional)


def lstm_param_count(
    d_in: int, d_h: int, *, bias: bool = True, num_layers: int = 1, bidirectional: bool = False
) -> int:
    """Parameters of ``nn.LSTM``: four gates, ``4 d_h (d_in + d_h + 2)`` per layer and direction.

    >>> from concepts.rnn import lstm_param_count
    >>> lstm_param_count(10, 20)
    2560
    """
    return _param_count(4, d_in, d_h, bias, num_layers, bidirectional)


def gru_param_count(d_in: int, d_h: int, *, bias: bool = True, num_layers: int = 1, bidirectional: bool = False) -> int:
    """Parameters of ``nn.GRU``: three gates, ``3 d_h (d_in + d_h + 2)`` per layer and direction.

    >>> from concepts.rnn import gru_param_count
    >>> gru_param_count(10, 20), gru_param_count(10, 20, bidirectional=True)
    (1920, 3840)
    """
    return _param_count(3, d_in, d_h, bias, num_layers, bidirectional)
