"""Backpropagation: the chain rule applied once per edge of a graph, from the loss back to the inputs.

A scalar reverse-mode engine (:class:`Value`, in the spirit of Karpathy's micrograd, and the
same sweep over a tape); manual NumPy backward passes for a linear layer (``x @ W``, ``W`` of
shape ``(d_in, d_out)``), ReLU, tanh and softmax cross-entropy; gradient checking by central
differences with its step-size trade-off; vanishing gradients through depth. Follows
Rumelhart, Hinton and Williams (1986) and Baydin et al. (2018), "Automatic differentiation in
machine learning: a survey". Leaves out tensors in the engine, higher-order derivatives,
forward mode and checkpointing. Gradient checking and the vanishing-gradient experiment live
in ``concepts/_backpropagation_experiments.py`` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._backpropagation_experiments import (
    central_difference_error,
    mlp_layer_grad_norms,
    numerical_gradient,
    relative_error,
)
from concepts._checks import as_array, require_ndim

__all__ = [
    "Value",
    "central_difference_error",
    "linear_backward",
    "mlp_layer_grad_norms",
    "numerical_gradient",
    "relative_error",
    "relu_backward",
    "softmax_cross_entropy_with_grad",
    "tanh_backward",
    "tape_gradients",
    "topological_order",
]


class Value:
    """A scalar that remembers how it was computed, so that ``backward()`` can differentiate it.

    Every operation returns a new ``Value`` whose ``_backward`` closure adds
    ``local derivative * out.grad`` into the gradient of each input. Adding (not assigning)
    is what makes a node used twice, as ``x`` in ``x * x``, collect both contributions.

    >>> from concepts.backpropagation import Value
    >>> x = Value(3.0)
    >>> y = x * x + x  # dy/dx = 2x + 1 = 7
    >>> y.backward()
    >>> y.data, x.grad
    (12.0, 7.0)
    """

    __slots__ = ("_backward", "_children", "data", "grad", "op")

    def __init__(self, data: float, _children: tuple[Value, ...] = (), op: str = "") -> None:
        if isinstance(data, bool) or not isinstance(data, int | float | np.integer | np.floating):
            raise TypeError(f"Value holds a real number; got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self._children = _children
        self._backward: Callable[[], None] = lambda: None
        self.op = op

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _lift(other: Any) -> Value:
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other: Any) -> Value:
        other = self._lift(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:  # d(a + b)/da = d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> Value:
        other = self._lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k: float) -> Value:
        if not isinstance(k, int | float) or isinstance(k, bool):
            raise TypeError(f"the exponent must be a constant int or float; got {type(k).__name__}")
        out = Value(self.data**k, (self,), f"**{k}")

        def _backward() -> None:  # d(a^k)/da = k a^(k-1)
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:  # d(e^a)/da = e^a, the output itself
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive argument; got {self.data!r}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:  # d(log a)/da = 1/a
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward() -> None:  # d(tanh a)/da = 1 - tanh(a)^2, from the output
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward() -> None:  # 1 where a > 0, else 0 (PyTorch's choice at a = 0)
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Any) -> Value:
        return self + (-self._lift(other))

    def __truediv__(self, other: Any) -> Value:
        return self * self._lift(other) ** -1

    __radd__ = __add__  # a + b == b + a, so 2 + x reuses the same rule
    __rmul__ = __mul__

    def __rsub__(self, other: Any) -> Value:
        return self._lift(other) - self

    def __rtruediv__(self, other: Any) -> Value:
        return self._lift(other) / self

    def backward(self) -> None:
        """Set ``d self / d node`` in ``node.grad`` for every node that ``self`` depends on.

        Leaves' gradients add up across calls, as PyTorch's ``.grad`` does (zero them between
        steps); intermediate nodes start from 0, so a second call does not reuse stale values.
        """
        order = topological_order(self)
        for node in order:
            if node._children:
                node.grad = 0.0
        self.grad = 1.0  # d self / d self
        for node in reversed(order):  # every consumer of a node runs before the node itself
            node._backward()


def topological_order(root: Value) -> list[Value]:
    """The nodes ``root`` depends on, each after all of its inputs (``root`` last).

    Iterative depth-first search: a chain of 100,000 operations cannot hit the recursion limit.

    >>> from concepts.backpropagation import Value, topological_order
    >>> a = Value(2.0)
    >>> b = a * a
    >>> [n.op or "leaf" for n in topological_order(b + a)]
    ['leaf', '*', '+']
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value; got {type(root).__name__}")
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)  # all its inputs are already in order
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in node._children if id(child) not in seen)
    return order


_TAPE_OPS = {  # op: (arity, forward rule)
    "add": (2, lambda a, b: a + b),
    "mul": (2, lambda a, b: a * b),
    "tanh": (1, math.tanh),
    "relu": (1, lambda a: max(a, 0.0)),
}


def tape_gradients(inputs: dict[str, float], tape: list[tuple[str, str, tuple[str, ...]]]) -> dict[str, float]:
    """Reverse-mode gradients of the tape's last value with respect to every named value.

    A tape (a Wengert list) is the graph already in topological order: each entry
    ``(name, op, args)`` computes ``name`` from earlier names with ``op`` in ``add``,
    ``mul``, ``tanh``, ``relu``. The reverse sweep walks it backwards and *adds* each
    local derivative times the entry's gradient into its arguments.

    :returns: ``{name: dL/dname}`` for the inputs, then the tape's names, in that order.

    >>> from concepts.backpropagation import tape_gradients
    >>> tape_gradients({"x": 3.0}, [("a", "mul", ("x", "x")), ("f", "add", ("a", "x"))])
    {'x': 7.0, 'a': 1.0, 'f': 1.0}
    """
    values = {str(k): float(v) for k, v in inputs.items()}
    if not tape:
        raise ValueError("tape must hold at least one (name, op, args) entry; got an empty tape")
    for name, op, args in tape:  # forward sweep
        if op not in _TAPE_OPS or len(args) != _TAPE_OPS[op][0] or name in values:
            raise ValueError(f"each entry is (new name, op in {sorted(_TAPE_OPS)}, args); got {(name, op, args)}")
        if any(a not in values for a in args):
            raise ValueError(f"entry {name!r} reads a name that is not defined before it: {args}")
        values[name] = _TAPE_OPS[op][1](*(values[a] for a in args))
    grads = dict.fromkeys(values, 0.0)
    grads[tape[-1][0]] = 1.0
    for name, op, args in reversed(tape):  # every consumer of a name comes after it on the tape
        g = grads[name]
        if op == "add":
            grads[args[0]] += g
            grads[args[1]] += g
        elif op == "mul":
            grads[args[0]] += values[args[1]] * g
            grads[args[1]] += values[args[0]] * g
        elif op == "tanh":
            grads[args[0]] += (1.0 - values[name] ** 2) * g
        else:  # relu
            grads[args[0]] += (values[args[0]] > 0) * g
    return grads


def linear_backward(grad_out: ArrayLike, x: ArrayLike, W: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of ``y = x @ W + b`` given ``grad_out = dL/dy``: ``(dL/dx, dL/dW, dL/db)``.

    ``dx = grad_out @ W.T``, ``dW = x.T @ grad_out``, ``db = grad_out`` summed: every row of
    every leading axis used the same ``W`` and ``b``, so their contributions add.

    :param grad_out: ``(..., d_out)``, the loss's gradient with respect to ``y``.
    :param x: ``(..., d_in)``, the layer's input (same leading axes as ``grad_out``).
    :param W: ``(d_in, d_out)``.
    :returns: ``dx`` of shape ``(..., d_in)``, ``dW`` ``(d_in, d_out)``, ``db`` ``(d_out,)``.

    >>> import numpy as np
    >>> from concepts.backpropagation import linear_backward
    >>> dx, dW, db = linear_backward([[1.0, 1.0, 1.0]], [[1.0, 2.0]], [[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    >>> dx.tolist(), dW.tolist(), db.tolist()
    ([[0.0, 3.0]], [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], [1.0, 1.0, 1.0])
    """
    grad_out, x, W = as_array(grad_out, "grad_out"), as_array(x, "x"), as_array(W, "W")
    require_ndim(W, "W", 2, "(d_in, d_out)")
    if x.ndim < 1 or x.shape[-1] != W.shape[0]:
        raise ValueError(f"x must have shape (..., d_in) with d_in = {W.shape[0]}; got {x.shape}")
    if grad_out.shape != (*x.shape[:-1], W.shape[1]):
        raise ValueError(f"grad_out must have shape {(*x.shape[:-1], W.shape[1])}; got {grad_out.shape}")
    g2 = grad_out.reshape(-1, W.shape[1])  # (rows, d_out): every leading axis is a batch axis
    dx = grad_out @ W.T  # (..., d_in)
    dW = x.reshape(-1, W.shape[0]).T @ g2  # (d_in, d_out) = sum over rows of x_r^T g_r
    return dx, dW, g2.sum(axis=0)


def relu_backward(grad_out: ArrayLike, x: ArrayLike) -> np.ndarray:
    """``dL/dx`` for ``y = max(x, 0)``: ``grad_out`` where ``x > 0``, else 0 (0 at ``x = 0``, as PyTorch).

    >>> from concepts.backpropagation import relu_backward
    >>> relu_backward([1.0, 2.0, 3.0], [-1.0, 0.0, 2.0]).tolist()
    [0.0, 0.0, 3.0]
    """
    grad_out, x = as_array(grad_out, "grad_out"), as_array(x, "x")
    if grad_out.shape != x.shape:
        raise ValueError(f"grad_out must have the shape of x, {x.shape}; got {grad_out.shape}")
    return np.where(x > 0, grad_out, 0.0)


def tanh_backward(grad_out: ArrayLike, y: ArrayLike) -> np.ndarray:
    """``dL/dx`` for ``y = tanh(x)``, from the *output* ``y``: ``grad_out * (1 - y**2)``.

    >>> from concepts.backpropagation import tanh_backward
    >>> tanh_backward([1.0, 1.0], [0.0, 0.5]).tolist()
    [1.0, 0.75]
    """
    grad_out, y = as_array(grad_out, "grad_out"), as_array(y, "y")
    if grad_out.shape != y.shape:
        raise ValueError(f"grad_out must have the shape of y, {y.shape}; got {grad_out.shape}")
    return grad_out * (1.0 - y**2)


def softmax_cross_entropy_with_grad(logits: ArrayLike, targets: ArrayLike) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` against class indices, and its gradient.

    ``loss = mean_i (logsumexp(z_i) - z_i[t_i])`` and ``dL/dz = (softmax(z) - onehot(t)) / batch``:
    the mean divides the gradient by the batch size too.

    :param logits: ``(batch, num_classes)``.
    :param targets: ``(batch,)`` integers in ``[0, num_classes)``.
    :returns: ``(loss, dlogits)``, ``dlogits`` of shape ``(batch, num_classes)``.

    >>> import numpy as np
    >>> from concepts.backpropagation import softmax_cross_entropy_with_grad
    >>> loss, dz = softmax_cross_entropy_with_grad([[0.0, 0.0]], [0])
    >>> round(loss, 4), dz.tolist()  # log 2, and (p - y) = (0.5 - 1, 0.5)
    (0.6931, [[-0.5, 0.5]])
    """
    z = as_array(logits, "logits")
    require_ndim(z, "logits", 2, "(batch, num_classes)")
    t = np.asarray(targets)
    if t.shape != z.shape[:1] or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"targets must be integers of shape ({z.shape[0]},); got {t.dtype} of shape {t.shape}")
    if z.size == 0 or t.min() < 0 or t.max() >= z.shape[1]:
        raise ValueError(f"targets must lie in [0, {z.shape[1]}) and the batch be non-empty; got {t.tolist()}")
    shifted = z - z.max(axis=1, keepdims=True)  # logsumexp(z) = m + log sum exp(z - m): no overflow
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(z.shape[0])
    loss = float(-log_p[rows, t].mean())
    grad = np.exp(log_p)
    grad[rows, t] -= 1.0  # p - onehot(t)
    return loss, grad / z.shape[0]
