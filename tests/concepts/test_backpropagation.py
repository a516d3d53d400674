"""The scalar engine and the manual backward passes against ``torch.autograd`` in float64, gradient
checking and its step-size trade-off, vanishing gradients through depth, and the bank's numeric keys."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from support import bank_tolerance, check_numeric_keys

from concepts.backpropagation import (
    Value,
    central_difference_error,
    linear_backward,
    mlp_layer_grad_norms,
    numerical_gradient,
    relative_error,
    relu_backward,
    softmax_cross_entropy_with_grad,
    tanh_backward,
    tape_gradients,
    topological_order,
)
from concepts.exercises._harness import run_checks
from concepts.exercises.backpropagation import CHECKS

F64 = torch.float64

# Each expression is written once and run on Values and on float64 tensors: reuse of a node
# (x * x, y twice), every operator, constants on both sides, and the non-linearities.
EXPRESSIONS = {
    "square plus self": lambda x, y, z: x * x + x,
    "reused twice": lambda x, y, z: (x * y + y) * (y - z) / (1.0 + (x - 0.5) ** 2),
    "exp and log": lambda x, y, z: ((x * y).exp() + (z * z + 1.0).log()) * x,
    "tanh and relu": lambda x, y, z: (x * 2.0 + y).tanh() * (z - x).relu() + (y * z).relu() - 3.0 / (y**2 + 1.0),
    "neuron": lambda x, y, z: (0.3 * x - 1.2 * y + 0.7 * z + 0.1).tanh() * 2.0 - (x * y * z).relu(),
    "deep reuse": lambda x, y, z: _deep(x, y, z),
}


def _deep(x, y, z):
    h = x
    for _ in range(6):
        h = (h * y + z).tanh() + h  # h is read twice per step: a residual path
    return h * h


@pytest.mark.parametrize("name", list(EXPRESSIONS))
@pytest.mark.parametrize("point", [(0.7, -1.3, 2.1), (-0.4, 0.9, 0.25), (1.5, 2.0, -0.6)])
def test_value_equals_torch_autograd_in_float64(name, point) -> None:
    f = EXPRESSIONS[name]
    xs = [Value(p) for p in point]
    out = f(*xs)
    out.backward()
    ts = [torch.tensor(p, dtype=F64, requires_grad=True) for p in point]
    ref = f(*ts)
    ref.backward()
    assert out.data == pytest.approx(float(ref.detach()), rel=1e-12, abs=1e-12)
    for v, t in zip(xs, ts, strict=True):
        want = 0.0 if t.grad is None else float(t.grad)  # an unused input: None in torch, 0 here
        assert v.grad == pytest.approx(want, rel=1e-10, abs=1e-12), name


def test_hand_worked_square_plus_self() -> None:
    """y = x * x + x at x = 3: the graph has a = x * x and y = a + x, and x is used three times.

    Backward from y.grad = 1: the sum gives a.grad = 1 and x.grad += 1; the product gives
    x.grad += 3 * 1 twice (x is both of its operands). Total 1 + 3 + 3 = 7 = 2x + 1.
    """
    x = Value(3.0)
    a = x * x
    y = a + x
    y.backward()
    assert (y.data, a.grad, x.grad) == (12.0, 1.0, 7.0)


class _AssigningValue(Value):
    """The classic bug: backward rules that assign the gradient instead of adding to it."""

    __slots__ = ()

    def __add__(self, other):
        other = other if isinstance(other, Value) else _AssigningValue(other)
        out = _AssigningValue(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad
            other.grad = out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else _AssigningValue(other)
        out = _AssigningValue(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out


def _assigning_engine_grad() -> float:
    x = _AssigningValue(3.0)
    (x * x + x).backward()
    return x.grad


def test_forgetting_to_accumulate_gives_a_wrong_gradient() -> None:
    """The convention flip: with assignment, x * x + x at x = 3 leaves 3 in x.grad, not 7 (bank key)."""
    assert _assigning_engine_grad() == 3.0
    x = Value(3.0)
    (x * x + x).backward()
    assert x.grad == 7.0


def test_gradients_accumulate_across_backward_calls_like_torch() -> None:
    """Leaves add up over two calls (2 * 12 = 24); the intermediate x * x must not carry its
    first-call gradient into the second, or x would get 12 + 24 = 36."""
    x = Value(3.0)
    y = (x * x) * 2.0
    y.backward()
    y.backward()
    t = torch.tensor(3.0, dtype=F64, requires_grad=True)
    ref = (t * t) * 2.0
    ref.backward(retain_graph=True)
    ref.backward()
    assert x.grad == float(t.grad) == 24.0


def test_topological_order_puts_every_node_after_its_inputs_and_handles_deep_chains() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(order) == 5 and order[-1] is e
    for node in order:
        assert all(position[id(child)] < position[id(node)] for child in node._children)
    h = Value(0.5)
    x = h
    for _ in range(20_000):  # far past Python's recursion limit
        x = x * 1.0 + 0.0
    x.backward()
    assert h.grad == 1.0


def test_tape_and_value_engine_agree_on_random_programs() -> None:
    """The same random program (each entry reads two earlier names, so reuse is common) on the tape
    and on Value nodes gives the same gradients for every name."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        inputs = {f"in{i}": float(v) for i, v in enumerate(rng.uniform(-1.5, 1.5, size=3))}
        nodes = {k: Value(v) for k, v in inputs.items()}
        tape = []
        for j in range(12):
            op = str(rng.choice(["add", "mul", "tanh", "relu"]))
            names = list(nodes)
            args = tuple(str(rng.choice(names)) for _ in range(2 if op in ("add", "mul") else 1))
            tape.append((f"n{j}", op, args))
            a = [nodes[n] for n in args]
            if op == "add":
                nodes[f"n{j}"] = a[0] + a[1]
            elif op == "mul":
                nodes[f"n{j}"] = a[0] * a[1]
            else:
                nodes[f"n{j}"] = getattr(a[0], op)()  # Value.tanh / Value.relu
        grads = tape_gradients(inputs, tape)
        nodes[tape[-1][0]].backward()
        assert list(grads) == list(nodes)
        for name, node in nodes.items():
            assert grads[name] == pytest.approx(node.grad, rel=1e-12, abs=1e-12), name


def test_tape_errors() -> None:
    with pytest.raises(ValueError, match="empty tape"):
        tape_gradients({"x": 1.0}, [])
    with pytest.raises(ValueError, match="op in"):
        tape_gradients({"x": 1.0}, [("y", "sin", ("x",))])
    with pytest.raises(ValueError, match="op in"):
        tape_gradients({"x": 1.0}, [("y", "add", ("x",))])
    with pytest.raises(ValueError, match="not defined before"):
        tape_gradients({"x": 1.0}, [("y", "mul", ("x", "z"))])


def test_value_errors() -> None:
    with pytest.raises(TypeError, match="real number"):
        Value("3")
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="positive"):
        Value(0.0).log()
    with pytest.raises(TypeError, match="Value"):
        topological_order(3.0)


# ---------------------------------------------------------------- manual backward passes


LINEAR_CASES = [((1, 1), 1), ((1, 3), 2), ((5, 4), 4), ((8, 3), 6), ((2, 3, 4), 5), ((2, 2, 3, 2), 3)]


@pytest.mark.parametrize(("x_shape", "d_out"), LINEAR_CASES)
def test_linear_backward_equals_autograd(x_shape, d_out) -> None:
    gen = torch.Generator().manual_seed(sum(x_shape) + d_out)
    x = torch.randn(x_shape, generator=gen, dtype=F64, requires_grad=True)
    W = torch.randn((x_shape[-1], d_out), generator=gen, dtype=F64, requires_grad=True)
    b = torch.randn(d_out, generator=gen, dtype=F64, requires_grad=True)
    dy = torch.randn((*x_shape[:-1], d_out), generator=gen, dtype=F64)
    ((x @ W + b) * dy).sum().backward()
    dx, dW, db = linear_backward(dy.numpy(), x.detach().numpy(), W.detach().numpy())
    for got, want in ((dx, x.grad), (dW, W.grad), (db, b.grad)):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-12)


def test_linear_layout_flip_is_caught() -> None:
    """The convention flip: dY^T X (nn.Linear's layout) is wrong for W of shape (d_in, d_out),
    in shape for a non-square layer and in value for a square one."""
    rng = np.random.default_rng(0)
    for d_in, d_out in ((3, 5), (4, 4)):
        x, W, dy = rng.standard_normal((6, d_in)), rng.standard_normal((d_in, d_out)), rng.standard_normal((6, d_out))
        dW = linear_backward(dy, x, W)[1]
        assert dW.shape == W.shape
        transposed = dy.T @ x
        assert transposed.shape != dW.shape or not np.allclose(transposed, dW)


@pytest.mark.parametrize("shape", [(1,), (3, 4), (2, 3, 5)])
def test_relu_and_tanh_backward_equal_autograd(shape) -> None:
    gen = torch.Generator().manual_seed(len(shape))
    x = torch.randn(shape, generator=gen, dtype=F64)
    x.view(-1)[0] = 0.0  # the kink: PyTorch's ReLU gradient at 0 is 0
    dy = torch.randn(shape, generator=gen, dtype=F64)
    for fn in (torch.relu, torch.tanh):
        xr = x.clone().requires_grad_()
        y = fn(xr)
        (y * dy).sum().backward()
        if fn is torch.relu:
            got = relu_backward(dy.numpy(), x.numpy())  # from the input
        else:
            got = tanh_backward(dy.numpy(), y.detach().numpy())  # from the output
        np.testing.assert_allclose(got, xr.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert relu_backward([5.0], [0.0]).tolist() == [0.0]


@pytest.mark.parametrize(("batch", "classes"), [(1, 1), (1, 2), (3, 5), (16, 10), (7, 100)])
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_softmax_cross_entropy_equals_autograd(batch, classes, scale) -> None:
    gen = torch.Generator().manual_seed(batch * classes)
    z = (scale * torch.randn((batch, classes), generator=gen, dtype=F64)).requires_grad_()
    t = torch.randint(0, classes, (batch,), generator=gen)
    loss = torch.nn.functional.cross_entropy(z, t)
    loss.backward()
    got_loss, got_grad = softmax_cross_entropy_with_grad(z.detach().numpy(), t.numpy())
    assert math.isfinite(got_loss)
    assert got_loss == pytest.approx(float(loss.detach()), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(got_grad, z.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_grad.sum(axis=1), 0.0, atol=1e-12)  # each row of p - y sums to 0


def _mlp_loss_and_grads(x, t, W1, b1, W2, b2):
    """linear -> tanh -> linear -> ReLU -> linear -> softmax cross-entropy, forward and manual backward."""
    z1 = x @ W1 + b1
    h1 = np.tanh(z1)
    z2 = h1 @ W2 + b2
    h2 = np.maximum(z2, 0.0)
    W3 = np.ones((W2.shape[1], 3)) * np.array([0.5, -0.25, 1.0])
    loss, dlogits = softmax_cross_entropy_with_grad(h2 @ W3, t)
    dh2 = linear_backward(dlogits, h2, W3)[0]
    dz2 = relu_backward(dh2, z2)
    dh1, dW2, db2 = linear_backward(dz2, h1, W2)
    dz1 = tanh_backward(dh1, h1)
    _, dW1, db1 = linear_backward(dz1, x, W1)
    return loss, (dW1, db1, dW2, db2)


@pytest.mark.parametrize(("batch", "d_in", "hidden"), [(1, 2, 3), (4, 5, 7), (16, 8, 8)])
def test_composed_backward_equals_autograd_and_finite_differences(batch, d_in, hidden) -> None:
    rng = np.random.default_rng(batch)
    x, t = rng.standard_normal((batch, d_in)), rng.integers(0, 3, size=batch)
    params = [rng.standard_normal(s) for s in ((d_in, hidden), (hidden,), (hidden, hidden), (hidden,))]
    loss, grads = _mlp_loss_and_grads(x, t, *params)
    tp = [torch.tensor(p, requires_grad=True) for p in params]
    W3 = torch.ones((hidden, 3), dtype=F64) * torch.tensor([0.5, -0.25, 1.0], dtype=F64)
    h = torch.relu(torch.tanh(torch.from_numpy(x) @ tp[0] + tp[1]) @ tp[2] + tp[3])
    ref = torch.nn.functional.cross_entropy(h @ W3, torch.from_numpy(t))
    ref.backward()
    assert loss == pytest.approx(float(ref.detach()), rel=1e-12)
    for got, p in zip(grads, tp, strict=True):
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-10, atol=1e-12)
    for i in (0, 2):  # the weight gradients against central differences

        def f(w, i=i):
            ps = list(params)
            ps[i] = w
            return _mlp_loss_and_grads(x, t, *ps)[0]

        np.testing.assert_allclose(numerical_gradient(f, params[i]), grads[i], rtol=1e-6, atol=1e-9)


def test_exercise_checks_pass_on_the_package() -> None:
    for exercise, impl in (
        ("backpropagation.linear-backward", linear_backward),
        ("backpropagation.softmax-cross-entropy", softmax_cross_entropy_with_grad),
        ("backpropagation.tape-backward", tape_gradients),
    ):
        failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
        assert not failed, failed


def test_manual_backward_errors() -> None:
    with pytest.raises(ValueError, match="d_in = 3"):
        linear_backward(np.ones((2, 4)), np.ones((2, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="grad_out must have shape"):
        linear_backward(np.ones((2, 5)), np.ones((2, 3)), np.ones((3, 4)))
    with pytest.raises(TypeError, match="NumPy array"):
        linear_backward(torch.ones(1, 1), np.ones((1, 1)), np.ones((1, 1)))
    with pytest.raises(ValueError, match="targets must be integers"):
        softmax_cross_entropy_with_grad(np.zeros((2, 3)), [0.0, 1.0])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 3\)"):
        softmax_cross_entropy_with_grad(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="shape of x"):
        relu_backward(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="positive"):
        numerical_gradient(lambda v: 0.0, [1.0], h=0.0)
    with pytest.raises(ValueError, match="same shape"):
        relative_error([1.0], [1.0, 2.0])


# ---------------------------------------------------------------- gradient checking: the step size

HS = np.logspace(-12, -1, 45)


def test_central_difference_error_has_its_minimum_near_the_cube_root_of_epsilon() -> None:
    """Truncation h^2/6 against round-off ~eps/h: the measured optimum lies within a factor 3 of
    eps^(1/3) in float64 (6.1e-6) and in float32 (4.9e-3, measured in float32)."""
    for dtype in (np.float64, np.float32):
        err = central_difference_error(HS, dtype=dtype)
        eps = float(np.finfo(dtype).eps)
        best = HS[np.argmin(err)]
        assert eps ** (1 / 3) / 3 < best < 3 * eps ** (1 / 3), (dtype, best)
        assert eps ** (2 / 3) / 10 < err.min() < 10 * eps ** (2 / 3), (dtype, err.min())
    err64 = central_difference_error([1e-2, 1e-3, 1e-10, 1e-12])
    assert err64[0] == pytest.approx(1e-4 / 6, rel=1e-3)  # pure truncation: h^2 / 6 for exp
    assert 80 < err64[0] / err64[1] < 120  # O(h^2): ten times smaller h, 100 times smaller error
    assert 30 < err64[3] / err64[2] < 300  # O(eps / h): round-off grows as h shrinks
    f32 = central_difference_error([1e-6], dtype=np.float32)[0]
    assert 1e-2 < f32 < 0.1  # the page's "about 3%": h = 1e-6 in float32 is all noise
    err = central_difference_error(HS)
    assert 2e-6 < HS[np.argmin(err)] < 1e-5 and 3e-12 < err.min() < 3e-11  # page: 3e-6 to 6e-6, about 1e-11
    assert central_difference_error([1e-12])[0] > central_difference_error([1e-3])[0]  # too small is worse
    assert 1e-6 < central_difference_error(HS, dtype=np.float32).min() < 1e-5  # page: 6e-6 at best in float32


def test_the_pages_precision_claims_in_their_dtypes() -> None:
    """exp overflows float64 above 709 and float16 above 11; gradcheck warns on float32 inputs."""
    with np.errstate(over="ignore"):
        assert np.isfinite(np.exp(709.0)) and np.isinf(np.exp(710.0))
        assert np.isfinite(np.exp(np.float16(11.0))) and np.isinf(np.exp(np.float16(11.1)))
    x = torch.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="not a double precision"):
        torch.autograd.gradcheck(torch.sin, (x,), eps=1e-3, atol=1e-2, rtol=1e-2)


def test_central_difference_error_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="positive steps"):
        central_difference_error([1e-3, 0.0])
    with pytest.raises(ValueError, match="dtype"):
        central_difference_error([1e-3], dtype=np.int64)


# ---------------------------------------------------------------- vanishing gradients


def _torch_grad_norms(num_layers, width, activation, init, batch=64, seed=0):
    """The same network and draws as mlp_layer_grad_norms, differentiated by autograd."""
    gen = np.random.default_rng(seed)
    std = math.sqrt({"he": 2.0, "xavier": 1.0}[init] / width)
    Ws = [torch.tensor(gen.standard_normal((width, width)) * std, requires_grad=True) for _ in range(num_layers)]
    a = torch.tensor(gen.standard_normal((batch, width)))
    g = torch.tensor(gen.standard_normal((batch, width)))
    act = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[activation]
    zs = []
    for W in Ws:
        z = a @ W
        z.retain_grad()
        zs.append(z)
        a = act(z)
    (a * g).sum().backward()
    return np.array([float(z.grad.norm()) for z in zs]), np.array([float(W.grad.norm()) for W in Ws])


@pytest.mark.parametrize(("activation", "init"), [("sigmoid", "xavier"), ("relu", "he"), ("tanh", "xavier")])
def test_layer_grad_norms_equal_autograd(activation, init) -> None:
    want_z, want_w = _torch_grad_norms(6, 16, activation, init)
    np.testing.assert_allclose(mlp_layer_grad_norms(6, 16, activation, init=init), want_z, rtol=1e-10)
    got_w = mlp_layer_grad_norms(6, 16, activation, init=init, which="weight")
    np.testing.assert_allclose(got_w, want_w, rtol=1e-10)


def test_vanishing_gradients_through_depth_as_the_page_states() -> None:
    """20 layers of width 128 (the page's figure): sigmoid with Xavier loses about 12 orders of
    magnitude; ReLU with He keeps the gradient within a factor 2; ReLU with variance 1/n (the He
    factor 2 flipped off) loses about 500 times at the pre-activations while the weight gradients
    stay level (activations and gradients shrink alike and the factors cancel)."""
    ratio = lambda n: n[0] / n[-1]  # noqa: E731
    sigmoid = ratio(mlp_layer_grad_norms(20, 128, "sigmoid", init="xavier"))
    assert 1e-14 < sigmoid < 1e-10
    he = mlp_layer_grad_norms(20, 128, "relu", init="he")
    assert he.max() / he.min() < 2.0  # every layer within a factor 2 of every other
    no_he = ratio(mlp_layer_grad_norms(20, 128, "relu", init="xavier"))
    assert 1 / 2000 < no_he < 1 / 200
    assert 0.5 < ratio(mlp_layer_grad_norms(20, 128, "relu", init="xavier", which="weight")) < 2.0
    sig = mlp_layer_grad_norms(20, 128, "sigmoid", init="xavier")
    per_layer = (sig[0] / sig[-1]) ** (1 / 19)
    assert 0.2 < per_layer < 0.3  # about 1/4 per layer, the sigmoid's largest slope


def test_layer_grad_norms_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="activation"):
        mlp_layer_grad_norms(3, 4, "gelu")
    with pytest.raises(ValueError, match="init"):
        mlp_layer_grad_norms(3, 4, init="orthogonal")
    with pytest.raises(ValueError, match="which"):
        mlp_layer_grad_norms(3, 4, which="bias")
    with pytest.raises(ValueError, match="num_layers"):
        mlp_layer_grad_norms(0, 4)


# ---------------------------------------------------------------- the bank


def test_bank_numeric_keys() -> None:
    def loose(question, value):
        return max(bank_tolerance(question, value), 0.5 * 10 ** -question["decimals"])

    ce = softmax_cross_entropy_with_grad([[1.0, 2.0, 3.0]], [0])[1][0, 0]
    sigmoid_layers = next(n for n in range(1, 100) if 0.25**n < 1e-6)
    # multiply-adds of linear_backward's two products, dx = dY W^T and dW = X^T dY
    batch, d_in, d_out = 32, 128, 64
    check_numeric_keys(
        "backpropagation",
        {
            "backpropagation.ce-grad-entry": ce,
            "backpropagation.accumulate": _assigning_engine_grad(),
            "backpropagation.optimal-step-float64": np.finfo(np.float64).eps ** (1 / 3) / 1e-6,
            "backpropagation.optimal-step-float32": float(np.finfo(np.float32).eps) ** (1 / 3) / 1e-3,
            "backpropagation.sigmoid-layers": sigmoid_layers,
            "backpropagation.he-std": math.sqrt(2 / 512),
            "backpropagation.backward-flops": batch * d_out * d_in + d_in * batch * d_out,
        },
        loose,
    )
