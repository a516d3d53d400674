"""The gated cells and the encoder-decoder pieces of the ``rnn`` concept, re-exported by :mod:`concepts.rnn`.

LSTM (Hochreiter and Schmidhuber, 1997) and GRU (Cho et al., 2014) with ``nn.LSTM``'s and
``nn.GRU``'s equations, a bidirectional wrapper, and Bahdanau et al.'s (2015) additive
attention. NumPy code computes ``x @ W`` with ``W`` of shape ``(d_in, gates * d_h)``; the
``_torch`` mirror takes PyTorch's ``(gates * d_h, d_in)``. Shared validation lives here so
that both modules use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_tensor, require_torch

if TYPE_CHECKING:
    import torch

NONLINEARITIES = ("tanh", "relu", "identity")
NAMES = ("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh")


def _check(x, h0, W_ih, W_hh, b_ih, b_hh, *, gates: int, nonlinearity: str = "tanh", torch_layout: bool) -> int:
    """Validate a recurrent call on arrays or tensors; return the hidden size d_h."""
    if x.ndim != 3 or x.shape[1] == 0:
        raise ValueError(f"x must have shape (batch, seq, d_in) with seq > 0; got {tuple(x.shape)}")
    B, _, d_in = x.shape
    hh = tuple(W_hh.shape) if torch_layout else tuple(W_hh.shape)[::-1]  # (gates * d_h, d_h) either way
    if len(hh) != 2 or hh[0] != gates * hh[1]:
        want = f"({gates} * d_h, d_h)" if torch_layout else f"(d_h, {gates} * d_h)"
        raise ValueError(f"W_hh must have shape {want}; got {tuple(W_hh.shape)}")
    H = hh[1]
    want_ih = (gates * H, d_in) if torch_layout else (d_in, gates * H)
    if tuple(W_ih.shape) != want_ih:
        words = f"({gates} * d_h, d_in)" if torch_layout else f"(d_in, {gates} * d_h)"
        raise ValueError(f"W_ih must have shape {want_ih} = {words}; got {tuple(W_ih.shape)}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and tuple(b.shape) != (gates * H,):
            raise ValueError(f"{name} must have shape ({gates * H},) or be None; got {tuple(b.shape)}")
    if h0 is not None and tuple(h0.shape) != (B, H):
        raise ValueError(f"h0 must have shape (batch, d_h) = ({B}, {H}); got {tuple(h0.shape)}")
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}; got {nonlinearity!r}")
    return H


def _arrays(*args: Any, names: tuple[str, ...] = ("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh")) -> list[Any]:
    """The arguments as float64 arrays (None stays None); a tensor is a TypeError naming the argument."""
    return [None if a is None else as_array(a, n) for a, n in zip(args, names, strict=True)]


def _tensors(*args: Any) -> list[Any]:
    names = ("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh")
    return [None if a is None else require_tensor(a, n) for a, n in zip(args, names)]  # noqa: B905


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # 1 / (1 + e^-a), without overflow


def lstm_cell(
    x: ArrayLike,
    h: ArrayLike,
    c: ArrayLike,
    W_ih: ArrayLike,
    W_hh: ArrayLike,
    b_ih: ArrayLike | None = None,
    b_hh: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step, as ``nn.LSTMCell``: gates i, f, g, o side by side in ``W``'s columns.

    :param x: inputs ``(batch, d_in)``; ``h``, ``c``: states ``(batch, d_h)``.
    :param W_ih: ``(d_in, 4 * d_h)``; ``W_hh``: ``(d_h, 4 * d_h)``; biases ``(4 * d_h,)`` or None.
    :returns: ``(h', c')``, each ``(batch, d_h)``.
    :raises ValueError: on a wrong shape.

    >>> import numpy as np
    >>> from concepts.rnn import lstm_cell
    >>> b = np.array([0.0, 100.0, 0.0, 100.0])  # d_h = 1: i = 0.5, f = 1, g = 0, o = 1
    >>> zero, W = np.zeros((1, 1)), np.zeros((1, 4))
    >>> h, c = lstm_cell(zero, zero, np.full((1, 1), 2.0), W, W, b)
    >>> float(c[0, 0]), round(float(h[0, 0]), 4)  # c' = 1 * 2 + 0.5 * 0 = 2, h' = tanh(2)
    (2.0, 0.964)
    """
    x, h, c, W_ih, W_hh, b_ih, b_hh = _arrays(x, h, c, W_ih, W_hh, b_ih, b_hh, names=("x", "h", "c", *NAMES[2:]))
    _check(x[:, None], h, W_ih, W_hh, b_ih, b_hh, gates=4, torch_layout=False)
    if c.shape != h.shape:
        raise ValueError(f"c must have the shape of h {h.shape}; got {c.shape}")
    z = x @ W_ih + h @ W_hh + sum(b for b in (b_ih, b_hh) if b is not None)  # all four at once  (B, 4H)
    zi, zf, zg, zo = np.split(z, 4, axis=1)  # (B, H) each, PyTorch's order
    i, f, g, o = _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)
    c = f * c + i * g  # c_t = f_t * c_{t-1} + i_t * g_t: the additive path that carries gradients
    return o * np.tanh(c), c  # h_t = o_t * tanh(c_t)


def lstm(
    x: ArrayLike,
    state: tuple[ArrayLike, ArrayLike] | None,
    W_ih: ArrayLike,
    W_hh: ArrayLike,
    b_ih: ArrayLike | None = None,
    b_hh: ArrayLike | None = None,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """One LSTM layer over ``x`` ``(batch, seq, d_in)``, as ``nn.LSTM(batch_first=True)``.

    :param state: ``(h0, c0)``, each ``(batch, d_h)``, or None for zeros.
    :returns: ``(out, (h_n, c_n))`` with ``out`` of shape ``(batch, seq, d_h)``.

    >>> import numpy as np
    >>> from concepts.rnn import lstm
    >>> rng = np.random.default_rng(0)
    >>> W_ih, W_hh = rng.standard_normal((3, 8)), rng.standard_normal((2, 8))
    >>> out, (h_n, c_n) = lstm(rng.standard_normal((1, 5, 3)), None, W_ih, W_hh)
    >>> out.shape, bool(np.allclose(out[:, -1], h_n)), bool(np.abs(out).max() < 1)  # |h| = |o tanh(c)| < 1
    ((1, 5, 2), True, True)
    """
    x, W_hh = as_array(x, "x"), as_array(W_hh, "W_hh")
    h0 = None if state is None else as_array(state[0], "h0")
    H = _check(x, h0, as_array(W_ih, "W_ih"), W_hh, None, None, gates=4, torch_layout=False)
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
    b_ih: torch.Tensor | None = None,
    b_hh: torch.Tensor | None = None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """:func:`lstm` in PyTorch, differentiable by autograd; weights in ``nn.LSTM``'s ``(4 d_h, d_in)`` layout.

    >>> import torch
    >>> from concepts.rnn import lstm_torch
    >>> b = torch.tensor([0.0, 100.0, 0.0, 100.0], dtype=torch.float64)  # i = 0.5, f = 1, g = 0, o = 1
    >>> W = torch.zeros(4, 1, dtype=torch.float64)
    >>> out, (h_n, c_n) = lstm_torch(torch.zeros(1, 2, 1, dtype=torch.float64), None, W, W, b)
    >>> c_n.item(), out.flatten().tolist()  # nothing written, nothing forgotten
    (0.0, [0.0, 0.0])
    """
    torch = require_torch()
    x, h0, W_ih, W_hh, b_ih, b_hh = _tensors(x, None if state is None else state[0], W_ih, W_hh, b_ih, b_hh)
    H = _check(x, h0, W_ih, W_hh, b_ih, b_hh, gates=4, torch_layout=True)
    h, c = (x.new_zeros(x.shape[0], H), x.new_zeros(x.shape[0], H)) if state is None else state
    bias = sum(b for b in (b_ih, b_hh) if b is not None)
    out = []
    for t in range(x.shape[1]):
        z = x[:, t] @ W_ih.T + h @ W_hh.T + bias  # (B, 4H)
        zi, zf, zg, zo = z.chunk(4, dim=1)
        c = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)  # c_t = f_t * c_{t-1} + i_t * g_t
        h = torch.sigmoid(zo) * torch.tanh(c)  # h_t = o_t * tanh(c_t)
        out.append(h)
    return torch.stack(out, dim=1), (h, c)


def gru_cell(
    x: ArrayLike,
    h: ArrayLike,
    W_ih: ArrayLike,
    W_hh: ArrayLike,
    b_ih: ArrayLike | None = None,
    b_hh: ArrayLike | None = None,
) -> np.ndarray:
    """One GRU step, as ``nn.GRUCell``: gates r (reset), z (update), n (candidate) in ``W``'s columns.

    The reset gate multiplies the recurrent term *after* its bias, ``r * (h W_hn + b_hn)``,
    as cuDNN and PyTorch do (Cho et al. put it before the matrix product).

    :param x: ``(batch, d_in)``; ``h``: ``(batch, d_h)``.
    :param W_ih: ``(d_in, 3 * d_h)``; ``W_hh``: ``(d_h, 3 * d_h)``; biases ``(3 * d_h,)`` or None.
    :returns: ``h'`` of shape ``(batch, d_h)``.

    >>> import numpy as np
    >>> from concepts.rnn import gru_cell
    >>> b = np.array([0.0, -100.0, 0.0])  # d_h = 1: z = 0, so h' = n = tanh(x w_n + r h w_hn)
    >>> W_ih, W_hh = np.array([[0.0, 0.0, 1.0]]), np.array([[0.0, 0.0, 2.0]])
    >>> round(float(gru_cell([[0.5]], [[1.0]], W_ih, W_hh, b)[0, 0]), 4)  # r = 0.5: tanh(0.5 + 1)
    0.9051
    """
    x, h, W_ih, W_hh, b_ih, b_hh = _arrays(x, h, W_ih, W_hh, b_ih, b_hh, names=("x", "h", *NAMES[2:]))
    _check(x[:, None], h, W_ih, W_hh, b_ih, b_hh, gates=3, torch_layout=False)
    gi = x @ W_ih + (0.0 if b_ih is None else b_ih)  # (B, 3H)
    gh = h @ W_hh + (0.0 if b_hh is None else b_hh)  # (B, 3H)
    (xr, xz, xn), (hr, hz, hn) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
    r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)  # r_t, z_t
    n = np.tanh(xn + r * hn)  # n_t = tanh(x_t W_in + b_in + r_t * (h_{t-1} W_hn + b_hn))
    return (1.0 - z) * n + z * h  # h_t = (1 - z_t) * n_t + z_t * h_{t-1}


def gru(
    x: ArrayLike,
    h0: ArrayLike | None,
    W_ih: ArrayLike,
    W_hh: ArrayLike,
    b_ih: ArrayLike | None = None,
    b_hh: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One GRU layer over ``x`` ``(batch, seq, d_in)``, as ``nn.GRU(batch_first=True)``; see :func:`gru_cell`.

    >>> import numpy as np
    >>> from concepts.rnn import gru
    >>> W = np.zeros((1, 3))
    >>> out, h_n = gru(np.ones((1, 2, 1)), [[1.0]], W, W)  # z = 0.5, n = 0: h halves each step
    >>> out.flatten().tolist()
    [0.5, 0.25]
    """
    x, h0, W_hh = as_array(x, "x"), None if h0 is None else as_array(h0, "h0"), as_array(W_hh, "W_hh")
    H = _check(x, h0, as_array(W_ih, "W_ih"), W_hh, None, None, gates=3, torch_layout=False)
    h = np.zeros((x.shape[0], H)) if h0 is None else h0
    out = []
    for t in range(x.shape[1]):
        h = gru_cell(x[:, t], h, W_ih, W_hh, b_ih, b_hh)
        out.append(h)
    return np.stack(out, axis=1), h  # (B, T, H), (B, H)


def bidirectional(
    layer: Callable[..., tuple], x: ArrayLike, forward: dict[str, Any], backward: dict[str, Any]
) -> tuple[np.ndarray, Any, Any]:
    """Run ``layer`` (:func:`rnn`, :func:`gru` or :func:`lstm`) left to right and right to left; concatenate.

    :param forward: keyword weights of the left-to-right direction (``W_ih``, ``W_hh``, ...).
    :param backward: the right-to-left direction's weights.
    :returns: ``out`` ``(batch, seq, 2 d_h)`` (``out[:, t]`` sees the whole sequence) and
        each direction's final state. The backward final state summarises ``x_1`` last, so it
        sits at ``out[:, 0, d_h:]``, not at ``out[:, -1]``.

    >>> import numpy as np
    >>> from concepts.rnn import bidirectional, rnn
    >>> w = {"W_ih": [[1.0]], "W_hh": [[1.0]], "nonlinearity": "identity"}  # a running sum
    >>> out, h_f, h_b = bidirectional(rnn, [[[1.0], [2.0], [3.0]]], w, w)
    >>> out[0].tolist(), bool(h_b[0, 0] == out[0, 0, 1])  # (prefix sum, suffix sum) at each t
    ([[1.0, 6.0], [3.0, 5.0], [6.0, 3.0]], True)
    """
    x = as_array(x, "x")
    out_f, h_f = layer(x, None, **forward)
    out_b, h_b = layer(x[:, ::-1], None, **backward)  # read the sequence reversed
    return np.concatenate([out_f, out_b[:, ::-1]], axis=-1), h_f, h_b  # re-align the backward states with t


def additive_attention(
    query: ArrayLike, keys: ArrayLike, W_q: ArrayLike, W_k: ArrayLike, v: ArrayLike, *, mask: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Bahdanau (additive) attention: ``e_j = v . tanh(s W_q + h_j W_k)``, softmax over j, context ``sum_j a_j h_j``.

    :param query: decoder state ``s``, ``(batch, d_q)``.
    :param keys: encoder states ``h_j`` (also the values), ``(batch, seq, d_k)``.
    :param W_q: ``(d_q, d_a)``; ``W_k``: ``(d_k, d_a)``; ``v``: ``(d_a,)``.
    :param mask: boolean ``(batch, seq)``, True = may attend (padding False); None for all.
    :returns: ``(context (batch, d_k), weights (batch, seq))``.
    :raises ValueError: on mismatched shapes or a row with nothing to attend to.

    >>> import numpy as np
    >>> from concepts.rnn import additive_attention
    >>> keys = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> ctx, a = additive_attention([[0.0]], keys, [[0.0]], [[1.0], [0.0]], [100.0])
    >>> np.round(a, 4).tolist(), np.round(ctx, 4).tolist()  # e = (100 tanh 1, 0): all weight on key 1
    ([[1.0, 0.0]], [[1.0, 0.0]])
    """
    s, k = as_array(query, "query"), as_array(keys, "keys")
    W_q, W_k, v = as_array(W_q, "W_q"), as_array(W_k, "W_k"), as_array(v, "v")
    shapes = (s.shape, k.shape, W_q.shape, W_k.shape, v.shape)
    if s.ndim != 2 or k.ndim != 3 or v.ndim != 1 or k.shape[0] != s.shape[0]:
        raise ValueError(f"need query (batch, d_q), keys (batch, seq, d_k), v (d_a,); got {shapes}")
    if W_q.shape != (s.shape[1], v.shape[0]) or W_k.shape != (k.shape[2], v.shape[0]):
        raise ValueError(f"W_q must be (d_q, d_a) = {(s.shape[1], v.shape[0])}, W_k (d_k, d_a); got {shapes}")
    e = np.tanh((s @ W_q)[:, None, :] + k @ W_k) @ v  # e_j = v^T tanh(W_q s + W_k h_j)   (B, T)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != e.shape or not m.any(axis=-1).all():
            raise ValueError(f"mask must be boolean (batch, seq) = {e.shape} with a True in every row; got {m.shape}")
        e = np.where(m, e, -np.inf)
    a = np.exp(e - e.max(axis=-1, keepdims=True))
    a /= a.sum(axis=-1, keepdims=True)  # a_j = softmax_j(e_j)
    return np.einsum("bt,btd->bd", a, k), a  # c = sum_j a_j h_j
