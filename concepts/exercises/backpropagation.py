"""Checks for the backpropagation exercises: a linear layer's backward pass, softmax cross-entropy,
and reverse mode over a tape.

The trusted references are ``torch.autograd`` in float64 (through ``x @ W + b`` and
``torch.nn.functional.cross_entropy``), values worked by hand, and properties (each row of
the cross-entropy gradient sums to zero; a name the output does not use gets 0).
``tests/concepts/test_backpropagation.py`` runs the same checks on ``concepts.backpropagation``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]

# (x shape, d_out), smallest first: one number, one row, a batch, a square layer, a sequence axis
LINEAR_SHAPES = [((1, 1), 1), ((1, 2), 3), ((4, 3), 2), ((5, 4), 4), ((2, 3, 4), 5)]


def _linear_autograd(grad_out: np.ndarray, x: np.ndarray, W: np.ndarray):
    torch = require_torch()
    xt, Wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(W).requires_grad_()
    b = torch.zeros(W.shape[1], dtype=torch.float64, requires_grad=True)
    ((xt @ Wt + b) * torch.from_numpy(grad_out)).sum().backward()  # dL/dy = grad_out
    return xt.grad.numpy(), Wt.grad.numpy(), b.grad.numpy()


# ---------------------------------------------------------------- backpropagation.linear-backward


@check(
    "x = (1, 2), W = [[1, 0, -1], [2, 1, 0]], dY = ones gives dx = (0, 3) and dW = x^T dY", section="backprop-linear"
)
def check_linear_hand_worked(candidate: Callable) -> None:
    """dx = dY W^T = (1 + 0 - 1, 2 + 1 + 0) = (0, 3); dW = x^T dY has rows (1, 1, 1), (2, 2, 2); db = dY."""
    x, W, dy = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]]), np.ones((1, 3))
    want = (np.array([[0.0, 3.0]]), np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]), np.ones(3))
    compare(candidate(dy, x, W), want, inputs={"grad_out": dy, "x": x, "W": W}, atol=1e-12)


@check("(dx, dW, db) equal autograd through x @ W + b in float64, W of shape (d_in, d_out)", section="backprop-linear")
def check_linear_against_autograd(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for x_shape, d_out in LINEAR_SHAPES[:4]:
        x, W = rng.standard_normal(x_shape), rng.standard_normal((x_shape[-1], d_out))
        dy = rng.standard_normal((*x_shape[:-1], d_out))
        got = candidate(dy, x, W)
        compare(got, _linear_autograd(dy, x, W), inputs={"grad_out": dy, "x": x, "W": W}, rtol=1e-10, atol=1e-12)


@check("dW and db sum over every leading axis: x of shape (batch, seq_len, d_in)", section="backprop-linear")
def check_linear_leading_axes(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    x_shape, d_out = LINEAR_SHAPES[-1]
    x, W = rng.standard_normal(x_shape), rng.standard_normal((x_shape[-1], d_out))
    dy = rng.standard_normal((*x_shape[:-1], d_out))
    got = candidate(dy, x, W)
    compare(got, _linear_autograd(dy, x, W), inputs={"grad_out": dy, "x": x, "W": W}, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- backpropagation.softmax-cross-entropy


def _ce_autograd(logits: np.ndarray, targets: np.ndarray):
    torch = require_torch()
    z = torch.from_numpy(logits).requires_grad_()
    loss = torch.nn.functional.cross_entropy(z, torch.from_numpy(targets))  # reduction="mean"
    loss.backward()
    return float(loss.detach()), z.grad.numpy()


def _compare_ce(candidate: Callable, logits: np.ndarray, targets: np.ndarray, want, atol: float) -> None:
    got = candidate(logits, targets)
    expect(isinstance(got, tuple) and len(got) == 2, f"return (loss, dlogits); got {type(got).__name__}")
    inputs = {"logits": logits, "targets": targets}
    compare(np.asarray(got[0], dtype=np.float64), want[0], inputs=inputs, what="the loss", rtol=1e-10, atol=atol)
    compare(got[1], want[1], inputs=inputs, what="dlogits", rtol=1e-9, atol=atol)


@check(
    "equal logits over C classes give loss log C and dlogits (1/C - onehot) / batch",
    section="backprop-softmax-ce",
)
def check_ce_hand_worked(candidate: Callable) -> None:
    """Softmax of equal logits is uniform, so loss = log C; the gradient is (p - y) divided by the batch of 2."""
    logits, targets = np.zeros((2, 4)), np.array([0, 3])
    grad = np.full((2, 4), 0.25)
    grad[[0, 1], targets] -= 1.0
    _compare_ce(candidate, logits, targets, (math.log(4.0), grad / 2), atol=1e-12)


@check("loss and dlogits equal autograd through F.cross_entropy (mean) in float64", section="backprop-softmax-ce")
def check_ce_against_autograd(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    for batch, classes in ((1, 1), (1, 3), (4, 5), (16, 10)):
        logits = 2.0 * rng.standard_normal((batch, classes))
        targets = rng.integers(0, classes, size=batch)
        _compare_ce(candidate, logits, targets, _ce_autograd(logits, targets), atol=1e-12)


@check(
    "logits near 1000 give a finite loss and gradient equal to autograd (no overflow)", section="backprop-softmax-ce"
)
def check_ce_large_logits(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    logits = 1000.0 + 50.0 * rng.standard_normal((3, 4))
    logits[0] = [-1000.0, 1000.0, 0.0, 999.0]
    targets = np.array([0, 2, 1])
    _compare_ce(candidate, logits, targets, _ce_autograd(logits, targets), atol=1e-10)


# ---------------------------------------------------------------- backpropagation.tape-backward

# Programs on a tape: a neuron, heavy reuse (fan-out), and a residual chain; each is (inputs, tape).
PROGRAMS = [
    (
        {"x1": 2.0, "x2": -1.0, "w1": -0.5, "w2": 1.5, "b": 0.3},
        [
            ("p1", "mul", ("x1", "w1")),
            ("p2", "mul", ("x2", "w2")),
            ("s", "add", ("p1", "p2")),
            ("z", "add", ("s", "b")),
            ("out", "tanh", ("z",)),
        ],
    ),
    (
        {"x": 0.7, "w": -1.3},
        [
            ("xw", "mul", ("x", "w")),
            ("r", "relu", ("xw",)),
            ("xx", "mul", ("x", "x")),
            ("u", "add", ("xx", "x")),
            ("t", "tanh", ("u",)),
            ("v", "mul", ("t", "x")),
            ("out", "add", ("v", "r")),
        ],
    ),
    (
        {"h0": 0.4, "w": 0.9},
        [
            entry
            for i in range(4)
            for entry in (
                (f"m{i}", "mul", (f"h{i}", "w")),
                (f"t{i}", "tanh", (f"m{i}",)),
                (f"h{i + 1}", "add", (f"h{i}", f"t{i}")),
            )
        ],
    ),
]


def _tape_autograd(inputs: dict, tape: list) -> dict:
    torch = require_torch()
    ops = {"add": torch.add, "mul": torch.mul, "tanh": torch.tanh, "relu": torch.relu}
    values = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in inputs.items()}
    for name, op, args in tape:
        values[name] = ops[op](*(values[a] for a in args))
        values[name].retain_grad()
    values[tape[-1][0]].backward()
    return {k: 0.0 if t.grad is None else float(t.grad) for k, t in values.items()}


def _compare_grads(got, want: dict, inputs: dict, tape: list, atol: float) -> None:
    expect(isinstance(got, dict), f"return a dict {{name: gradient}}; got {type(got).__name__}")
    missing = [k for k in want if k not in got]
    expect(not missing, f"the result has no gradient for {missing}; every input and every tape name needs one")
    names = list(want)
    shown = {
        "inputs": str(inputs),
        "tape": "; ".join(f"{n} = {op}{tuple(a)}" for n, op, a in tape),
        "names": str(names),
    }
    compare(
        np.array([got[k] for k in names], dtype=np.float64),
        np.array([want[k] for k in names]),
        inputs=shown,
        what="the gradients, in the order of names,",
        rtol=1e-10,
        atol=atol,
    )


@check("x = 3, a = x * x, f = a + x gives df/dx = 2x + 1 = 7 (x is read three times)", section="backprop-engine")
def check_tape_hand_worked(candidate: Callable) -> None:
    """The sum gives a and x a 1 each; the product gives x another 3 twice: 1 + 3 + 3 = 7."""
    inputs, tape = {"x": 3.0}, [("a", "mul", ("x", "x")), ("f", "add", ("a", "x"))]
    _compare_grads(candidate(inputs, tape), {"x": 7.0, "a": 1.0, "f": 1.0}, inputs, tape, atol=1e-12)


@check(
    "every gradient equals autograd in float64 on a neuron, heavy reuse and a residual chain", section="backprop-engine"
)
def check_tape_against_autograd(candidate: Callable) -> None:
    for inputs, tape in PROGRAMS:
        _compare_grads(candidate(inputs, tape), _tape_autograd(inputs, tape), inputs, tape, atol=1e-12)


@check(
    "an input the output does not use gets gradient 0, and so does a dead ReLU's input path", section="backprop-engine"
)
def check_tape_unused_inputs(candidate: Callable) -> None:
    inputs = {"x": -2.0, "y": 5.0, "unused": 1.0}
    tape = [("r", "relu", ("x",)), ("out", "add", ("r", "y"))]
    _compare_grads(
        candidate(inputs, tape), {"x": 0.0, "y": 1.0, "unused": 0.0, "r": 1.0, "out": 1.0}, inputs, tape, 1e-12
    )


CHECKS: dict[str, list] = {
    "backpropagation.linear-backward": [
        check_linear_hand_worked,
        check_linear_against_autograd,
        check_linear_leading_axes,
    ],
    "backpropagation.softmax-cross-entropy": [check_ce_hand_worked, check_ce_against_autograd, check_ce_large_logits],
    "backpropagation.tape-backward": [check_tape_hand_worked, check_tape_against_autograd, check_tape_unused_inputs],
}
