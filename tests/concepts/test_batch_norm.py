"""Batch normalization checked against ``torch.nn.BatchNorm1d`` and autograd, in float64 (and low precision).

Folding is checked by the exercise checks in ``concepts/exercises/batch_norm.py`` (against
``nn.Linear`` + ``nn.BatchNorm1d`` and ``fuse_linear_bn_eval``), which the last tests here run
on our implementation.

Each ``check_*`` function takes the implementation under test (a functional batch norm, a
layer factory, or a folding function), so the same checks can grade a learner's solution.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from support import bank_tolerance, check_numeric_keys

from concepts.batch_norm import (
    BatchNorm1d,
    batch_norm,
    batch_norm_torch,
    batch_norm_train,
    fold_into_linear,
    fold_into_linear_torch,
)

# (N, C) and (N, C, L), including C=1, L=1, and a batch of one with L > 1 (N * L = 5 values).
SHAPES = [(4, 3), (2, 5), (7, 1), (3, 4, 6), (2, 3, 1), (1, 3, 5), (16, 8, 2)]


def torch_as_numpy(fn: Callable) -> Callable:
    """Wrap a tensor-in, tensor-out batch norm so the checks can feed it NumPy arrays."""

    def wrapped(x, *vectors, **kwargs):
        out = fn(*(torch.from_numpy(np.ascontiguousarray(a)) for a in (x, *vectors)), **kwargs)
        return tuple(t.detach().numpy() for t in out)

    return wrapped


def reference(C: int, rng: np.random.Generator, *, momentum: float | None, eps: float) -> torch.nn.BatchNorm1d:
    """nn.BatchNorm1d in float64 with random gamma, beta and starting running statistics."""
    ref = torch.nn.BatchNorm1d(C, eps=eps, momentum=momentum).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(rng.normal(1.0, 0.5, C)))
        ref.bias.copy_(torch.from_numpy(rng.normal(0.0, 0.5, C)))
        ref.running_mean.copy_(torch.from_numpy(rng.normal(0.0, 1.0, C)))
        ref.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, C)))
    return ref


def batch(rng: np.random.Generator, shape: tuple[int, ...], *, loc: float = 3.0, scale: float = 2.0) -> np.ndarray:
    """A batch whose channels have different means and spreads, so no statistic is trivial."""
    C = shape[1]
    per_channel = (1, C) + (1,) * (len(shape) - 2)
    means = rng.normal(loc, 1.0, C).reshape(per_channel)
    spreads = scale * rng.uniform(0.5, 1.5, C).reshape(per_channel)
    return means + spreads * rng.standard_normal(shape)


def check_against_torch(
    bn_fn: Callable, shape: tuple[int, ...], *, momentum: float = 0.1, eps: float = 1e-5, loc: float = 3.0,
    scale: float = 2.0, train_steps: int = 4, seed: int = 0,
) -> None:  # fmt: skip
    """Drive a functional batch norm and nn.BatchNorm1d through train steps, then eval steps."""
    rng = np.random.default_rng(seed)
    C = shape[1]
    ref = reference(C, rng, momentum=momentum, eps=eps)
    gamma, beta = ref.weight.detach().numpy().copy(), ref.bias.detach().numpy().copy()
    rm, rv = ref.running_mean.numpy().copy(), ref.running_var.numpy().copy()
    tol = {"rtol": 1e-9, "atol": 1e-9}
    for _ in range(train_steps):
        x = batch(rng, shape, loc=loc, scale=scale)
        y, rm, rv = bn_fn(x, rm, rv, gamma, beta, training=True, momentum=momentum, eps=eps)
        np.testing.assert_allclose(y, ref(torch.from_numpy(x)).detach().numpy(), **tol)
        np.testing.assert_allclose(rm, ref.running_mean.numpy(), **tol)
        np.testing.assert_allclose(rv, ref.running_var.numpy(), **tol)
    ref.eval()
    for n in (shape[0], 1):  # evaluation works for a batch of one
        x = batch(rng, (n, *shape[1:]), loc=loc, scale=scale)
        y, rm2, rv2 = bn_fn(x, rm, rv, gamma, beta, training=False, momentum=momentum, eps=eps)
        np.testing.assert_allclose(y, ref(torch.from_numpy(x)).detach().numpy(), **tol)
        np.testing.assert_array_equal(rm2, rm)
        np.testing.assert_array_equal(rv2, rv)


def check_layer_against_torch(
    make_layer: Callable, shape: tuple[int, ...], *, momentum: float | None, train_steps: int = 5, seed: int = 0
) -> None:
    """A stateful layer vs nn.BatchNorm1d: outputs, running stats and num_batches_tracked, train then eval."""
    rng = np.random.default_rng(seed)
    C = shape[1]
    ref = torch.nn.BatchNorm1d(C, momentum=momentum).double()
    layer = make_layer(C, momentum=momentum)
    layer.gamma, layer.beta = rng.normal(1.0, 0.5, C), rng.normal(0.0, 0.5, C)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.gamma))
        ref.bias.copy_(torch.from_numpy(layer.beta))
    for mode in [True] * train_steps + [False, False]:
        layer.train(mode)
        ref.train(mode)
        x = batch(rng, shape)
        np.testing.assert_allclose(layer(x), ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(layer.running_mean, ref.running_mean.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer.running_var, ref.running_var.numpy(), rtol=1e-9, atol=1e-12)
        assert layer.num_batches_tracked == int(ref.num_batches_tracked)


def check_backward_against_autograd(make_layer: Callable, shape: tuple[int, ...], *, training: bool) -> None:
    """Hand-written (dx, dgamma, dbeta) vs autograd through nn.BatchNorm1d, for L = sum(dy * y)."""
    rng = np.random.default_rng(1)
    C = shape[1]
    ref = reference(C, rng, momentum=0.1, eps=1e-5)
    layer = make_layer(C, momentum=0.1)
    layer.gamma, layer.beta = ref.weight.detach().numpy().copy(), ref.bias.detach().numpy().copy()
    layer.running_mean, layer.running_var = ref.running_mean.numpy().copy(), ref.running_var.numpy().copy()
    layer.train(training)
    ref.train(training)
    x, dy = batch(rng, shape), rng.standard_normal(shape)
    xt = torch.from_numpy(x).requires_grad_(True)
    (ref(xt) * torch.from_numpy(dy)).sum().backward()
    layer(x)
    dx, dgamma, dbeta = layer.backward(dy)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dgamma, ref.weight.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dbeta, ref.bias.grad.numpy(), rtol=1e-8, atol=1e-10)


IMPLEMENTATIONS = {"numpy": batch_norm, "torch": torch_as_numpy(batch_norm_torch)}


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum", [0.1, 0.3, 1.0])
def test_functional_matches_nn_batchnorm1d(impl: str, shape: tuple[int, ...], momentum: float) -> None:
    check_against_torch(IMPLEMENTATIONS[impl], shape, momentum=momentum, eps=1e-3 if momentum == 0.3 else 1e-5)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_large_values_match_torch(impl: str) -> None:
    check_against_torch(IMPLEMENTATIONS[impl], (8, 4, 3), loc=1e6, scale=1e3)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4, 6), (1, 2, 7)])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_layer_matches_nn_batchnorm1d(shape: tuple[int, ...], momentum: float | None) -> None:
    check_layer_against_torch(BatchNorm1d, shape, momentum=momentum)


@pytest.mark.parametrize("shape", [(5, 3), (2, 1), (3, 4, 6), (1, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_autograd(shape: tuple[int, ...], training: bool) -> None:
    check_backward_against_autograd(BatchNorm1d, shape, training=training)


@pytest.mark.parametrize("shape", [(5, 3), (3, 4, 6)])
def test_torch_version_is_differentiable_like_nn(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(2)
    C = shape[1]
    ref = reference(C, rng, momentum=0.1, eps=1e-5)
    x, dy = torch.from_numpy(batch(rng, shape)), torch.from_numpy(rng.standard_normal(shape))
    gamma = ref.weight.detach().clone().requires_grad_(True)
    beta = ref.bias.detach().clone().requires_grad_(True)
    x1, x2 = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    y, _, _ = batch_norm_torch(x1, ref.running_mean.clone(), ref.running_var.clone(), gamma, beta, training=True)
    (y * dy).sum().backward()
    (ref(x2) * dy).sum().backward()
    for ours, theirs in [(x1.grad, x2.grad), (gamma.grad, ref.weight.grad), (beta.grad, ref.bias.grad)]:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-8, atol=1e-10)


def test_folding_does_not_hold_in_training_mode() -> None:
    """Folding uses frozen statistics; a training-mode BN normalises by the batch and differs."""
    rng = np.random.default_rng(3)
    W, b, x = rng.standard_normal((4, 3)), rng.standard_normal(3), 2.0 + rng.standard_normal((6, 4))
    gamma, beta, rm, rv = np.ones(3), np.zeros(3), np.zeros(3), np.ones(3)
    Wf, bf = fold_into_linear(W, b, gamma, beta, rm, rv)
    h = x @ W + b  # (N, C)
    np.testing.assert_allclose(x @ Wf + bf, batch_norm(h, rm, rv, gamma, beta, training=False)[0])
    assert not np.allclose(x @ Wf + bf, batch_norm(h, rm, rv, gamma, beta, training=True)[0], atol=1e-2)


def test_hand_worked_example() -> None:
    """Three numbers, one channel: x = [1, 2, 3], gamma = 2, beta = 0.5, momentum 0.1, eps 1e-5.

    Training: mu = 2; biased var = ((-1)^2 + 0 + 1^2) / 3 = 2/3, so
    x^ = (x - 2) / sqrt(2/3) = [-sqrt(3/2), 0, sqrt(3/2)] = [-1.22474, 0, 1.22474] (eps moves
    the 6th digit) and y = 2 x^ + 0.5 = [-1.94949, 0.5, 2.94949]. The running mean moves from
    0 to 0.9 * 0 + 0.1 * 2 = 0.2. The unbiased var is 2 / (3 - 1) = 1, so the running var is
    0.9 * 1 + 0.1 * 1 = 1.0 (with the biased 2/3 it would be 0.9 + 0.0667 = 0.9667).
    Evaluation of x = 4: (4 - 0.2) / sqrt(1.0) * 2 + 0.5 = 8.1.
    """
    gamma, beta = np.array([2.0]), np.array([0.5])
    x = np.array([[1.0], [2.0], [3.0]])
    for fn in IMPLEMENTATIONS.values():
        y, rm, rv = fn(x, np.zeros(1), np.ones(1), gamma, beta, training=True)
        np.testing.assert_allclose(y[:, 0], [-1.94949, 0.5, 2.94949], atol=1e-4)
        np.testing.assert_allclose([rm[0], rv[0]], [0.2, 1.0], atol=1e-12)
        _, _, rv_biased = fn(x, np.zeros(1), np.ones(1), gamma, beta, training=True, unbiased=False)
        np.testing.assert_allclose(rv_biased, [0.9 + 0.1 * 2 / 3], atol=1e-12)
        y_eval, _, _ = fn(np.array([[4.0]]), rm, rv, gamma, beta, training=False)
        np.testing.assert_allclose(y_eval, [[8.1]], atol=1e-4)


# ---- claims the page and the bank make --------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 3), (2, 4, 5)])
def test_training_output_has_mean_beta_and_variance_gamma_squared(shape: tuple[int, ...]) -> None:
    """Per channel: mean(y) = beta and the biased var(y) = gamma^2 var / (var + eps)."""
    rng = np.random.default_rng(4)
    x, C = batch(rng, shape), shape[1]
    gamma, beta = rng.uniform(0.5, 2.0, C), rng.standard_normal(C)
    eps = 1e-5
    y, _, _ = batch_norm(x, np.zeros(C), np.ones(C), gamma, beta, training=True, eps=eps)
    axes = (0,) if len(shape) == 2 else (0, 2)
    np.testing.assert_allclose(y.mean(axis=axes), beta, atol=1e-12)
    var = x.var(axis=axes)
    np.testing.assert_allclose(y.var(axis=axes), gamma**2 * var / (var + eps), rtol=1e-10)


def test_training_output_ignores_channel_shift_and_positive_scale() -> None:
    """BN(a x + b) = BN(x) per channel for a > 0 (exactly as eps -> 0)."""
    rng = np.random.default_rng(5)
    x = batch(rng, (5, 3))
    a, b = np.array([0.1, 3.0, 50.0]), np.array([-7.0, 0.0, 1e3])
    vectors = (np.zeros(3), np.ones(3), np.ones(3), np.zeros(3))
    y1, _, _ = batch_norm(x, *vectors, training=True, eps=1e-12)
    y2, _, _ = batch_norm(a * x + b, *vectors, training=True, eps=1e-12)
    np.testing.assert_allclose(y1, y2, atol=1e-8)


def test_input_gradient_sums_to_zero_and_is_orthogonal_to_x_hat() -> None:
    """In training, each channel's dx sums to zero and, as eps -> 0, is orthogonal to x^.

    The sum is exactly zero for any eps; the dot product is gamma/sigma * sum(dy x^) * eps / (var + eps).
    """
    rng = np.random.default_rng(6)
    layer = BatchNorm1d(4, eps=1e-12)
    x = batch(rng, (6, 4, 3))
    layer(x)
    dx, _, _ = layer.backward(rng.standard_normal(x.shape))
    x_hat = (x - x.mean(axis=(0, 2), keepdims=True)) / x.std(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(dx.sum(axis=(0, 2)), 0.0, atol=1e-10)
    np.testing.assert_allclose((dx * x_hat).sum(axis=(0, 2)), 0.0, atol=1e-8)


def test_batch_mates_change_training_output_but_not_eval_output() -> None:
    rng = np.random.default_rng(7)
    example = rng.standard_normal((1, 3))
    vectors = (np.zeros(3), np.ones(3), np.ones(3), np.zeros(3))
    batches = [np.vstack([example, rng.standard_normal((3, 3))]) for _ in range(2)]
    train = [batch_norm(b, *vectors, training=True)[0][0] for b in batches]
    evals = [batch_norm(b, *vectors, training=False)[0][0] for b in batches]
    assert not np.allclose(train[0], train[1], atol=1e-3)
    np.testing.assert_array_equal(evals[0], evals[1])


def test_identical_values_in_a_channel_give_beta() -> None:
    """With one distinct value per channel, x - mu = 0 and the output is beta whatever x is."""
    beta = np.array([0.5, -1.0])
    x = np.array([[3.0, 100.0], [3.0, 100.0]])
    y, _, _ = batch_norm(x, np.zeros(2), np.ones(2), np.ones(2), beta, training=True)
    np.testing.assert_allclose(y, [beta, beta])


@pytest.mark.parametrize(("unbiased", "expected"), [(True, 4.0), (False, 3.0)])
def test_running_variance_settles_at_true_or_shrunk_variance(unbiased: bool, expected: float) -> None:
    """Batches of N = 4 from N(0, 4): the unbiased update averages to 4, the biased to (3/4) * 4 = 3."""
    rng = np.random.default_rng(8)
    C, rm, rv, history = 64, np.zeros(64), np.ones(64), []
    for step in range(1500):
        x = 2.0 * rng.standard_normal((4, C))
        _, rm, rv = batch_norm(x, rm, rv, np.ones(C), np.zeros(C), training=True, unbiased=unbiased)
        if step >= 100:  # past the transient from the initial 1.0
            history.append(rv)
    assert abs(np.mean(history) - expected) < 0.05


def test_cumulative_average_when_momentum_is_none() -> None:
    """momentum=None: the running mean is the plain average of the batch means (factor 1/t)."""
    rng = np.random.default_rng(9)
    layer, means, variances = BatchNorm1d(2, momentum=None), [], []
    for _ in range(6):
        x = batch(rng, (5, 2))
        layer(x)
        means.append(x.mean(axis=0))
        variances.append(x.var(axis=0, ddof=1))
    np.testing.assert_allclose(layer.running_mean, np.mean(means, axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, np.mean(variances, axis=0), rtol=1e-12)


def test_bank_running_mean_after_three_steps() -> None:
    """Bank: start 0, momentum 0.1, three batches of mean 10: 10 (1 - 0.9^3) = 2.71."""
    layer = BatchNorm1d(1)
    for _ in range(3):
        layer(np.array([[9.0], [11.0]]))
    assert round(float(layer.running_mean[0]), 4) == 2.71


def test_bank_running_variance_after_one_step() -> None:
    """Bank: values 0, 2, 4, 6 (biased var 5, unbiased 20/3); momentum 0.1 from 1: 0.9 + 2/3 = 1.5667."""
    _, _, rv = batch_norm(np.array([[0.0], [2.0], [4.0], [6.0]]), np.zeros(1), np.ones(1), np.ones(1), np.zeros(1),
                          training=True)  # fmt: skip
    assert round(float(rv[0]), 4) == 1.5667


def test_bank_parameter_and_buffer_counts() -> None:
    """Bank: BatchNorm1d(64) learns 2 * 64 = 128 numbers and keeps 2 * 64 running statistics (+1 counter)."""
    ref = torch.nn.BatchNorm1d(64)
    assert sum(p.numel() for p in ref.parameters()) == 128
    assert sum(b.numel() for b in ref.buffers()) == 129
    layer = BatchNorm1d(64)
    assert layer.gamma.size + layer.beta.size == 128
    assert layer.running_mean.size + layer.running_var.size == 128


def test_bank_fold_numbers() -> None:
    """Bank and page: gamma 3, var 4 (eps -> 0), beta 0.5, weights (2, 0), b = 1, so s = 3 / 2 = 1.5 and W' = (3, 0).

    With mean 1 (page): b' = 1.5 (1 - 1) + 0.5 = 0.5. With mean 3 (bank): b' = 1.5 (1 - 3) + 0.5 = -2.5.
    """
    W, b, gamma, beta, var = (
        np.array([[2.0], [0.0]]),
        np.array([1.0]),
        np.array([3.0]),
        np.array([0.5]),
        np.array([4.0]),
    )
    for mean, expected_b in [(1.0, 0.5), (3.0, -2.5)]:
        Wf, bf = fold_into_linear(W, b, gamma, beta, np.array([mean]), var, eps=1e-12)
        np.testing.assert_allclose(Wf, [[3.0], [0.0]])
        np.testing.assert_allclose(bf, [expected_b])


def test_bias_before_training_mode_bn_gets_zero_gradient() -> None:
    """Page and bank: the mean subtraction cancels a bias of the layer before, so its gradient is zero."""
    torch.manual_seed(0)
    lin, bn = torch.nn.Linear(5, 3).double(), torch.nn.BatchNorm1d(3).double()
    x = torch.randn(8, 5, dtype=torch.float64)
    (bn(lin(x)) * torch.randn(8, 3, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(lin.bias.grad.numpy(), 0.0, atol=1e-12)
    assert lin.weight.grad.abs().max() > 1e-3, "the weight still learns"


def test_running_stats_update_without_requires_grad() -> None:
    """Pitfall: requires_grad_(False) freezes gamma and beta, not the running buffers; eval() does."""
    bn = torch.nn.BatchNorm1d(2).double().requires_grad_(False)
    before = bn.running_mean.clone()
    bn(torch.full((4, 2), 5.0, dtype=torch.float64) + torch.randn(4, 2, dtype=torch.float64))
    assert not torch.equal(bn.running_mean, before)
    bn.eval()
    after = bn.running_mean.clone()
    bn(torch.randn(4, 2, dtype=torch.float64))
    assert torch.equal(bn.running_mean, after)


def test_bank_keras_momentum_conversion() -> None:
    """Bank: Keras keeps momentum 0.99 of the old value; PyTorch momentum 0.01 does the same update."""
    x = np.array([[1.0, -2.0], [3.0, 4.0], [0.5, 1.0]])
    old_mean, old_var = np.array([0.3, -0.2]), np.array([1.5, 0.7])
    _, rm, rv = batch_norm(x, old_mean, old_var, np.ones(2), np.zeros(2), training=True, momentum=0.01)
    np.testing.assert_allclose(rm, 0.99 * old_mean + (1 - 0.99) * x.mean(axis=0))
    np.testing.assert_allclose(rv, 0.99 * old_var + (1 - 0.99) * x.var(axis=0, ddof=1))


# ---- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1)])
def test_one_value_per_channel_in_training_raises_like_torch(shape: tuple[int, ...]) -> None:
    x = np.ones(shape)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        torch.nn.BatchNorm1d(3).double()(torch.from_numpy(x))
    vectors = (np.zeros(3), np.ones(3), np.ones(3), np.zeros(3))
    for fn in IMPLEMENTATIONS.values():
        with pytest.raises(ValueError, match=r"more than one value per channel \(N \* L > 1\); got x of shape"):
            fn(x, *vectors, training=True)
    layer = BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than one value per channel"):
        layer(x)
    assert layer.num_batches_tracked == 0, "a rejected batch leaves the state untouched"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": np.ones(3)}, r"x must have shape \(N, C\) or \(N, C, L\); got \(3,\)"),
        ({"x": np.ones((2, 3, 4, 5))}, r"x must have shape \(N, C\) or \(N, C, L\); got \(2, 3, 4, 5\)"),
        ({"running_mean": np.zeros(2)}, r"running_mean must have shape \(C,\) = \(3,\); got \(2,\)"),
        ({"running_var": np.ones((3, 1))}, r"running_var must have shape \(C,\) = \(3,\); got \(3, 1\)"),
        ({"gamma": np.ones(4)}, r"gamma must have shape \(C,\) = \(3,\); got \(4,\)"),
        ({"beta": np.zeros(1)}, r"beta must have shape \(C,\) = \(3,\); got \(1,\)"),
        ({"momentum": 1.5}, r"momentum must be in \[0, 1\]; got 1.5"),
        ({"momentum": -0.1}, r"momentum must be in \[0, 1\]; got -0.1"),
        ({"eps": 0.0}, r"eps must be positive; got 0.0"),
    ],
)
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_bad_input_raises(impl: str, kwargs: dict, message: str) -> None:
    args = {"x": np.ones((4, 3)), "running_mean": np.zeros(3), "running_var": np.ones(3), "gamma": np.ones(3)}
    args |= {"beta": np.zeros(3)}
    kwargs = dict(kwargs)  # parametrize shares the dict between runs
    positional = {k: kwargs.pop(k, v) for k, v in args.items()}
    with pytest.raises(ValueError, match=message):
        IMPLEMENTATIONS[impl](*positional.values(), training=True, **kwargs)


def test_layer_bad_input_raises() -> None:
    with pytest.raises(ValueError, match=r"num_features must be a positive integer; got 0"):
        BatchNorm1d(0)
    layer = BatchNorm1d(2)
    with pytest.raises(ValueError, match=r"backward needs a forward call first; got none"):
        layer.backward(np.ones((3, 2)))
    layer(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(3, 2\); got \(2, 3\)"):
        layer.backward(np.ones((2, 3)))


@pytest.mark.parametrize(
    ("W", "b", "message"),
    [
        (np.ones(3), None, r"W must have shape \(d_in, C\); got \(3,\)"),
        (np.ones((2, 3)), np.ones(2), r"b must have shape \(C,\) = \(3,\); got \(2,\)"),
        (np.ones((5, 2)), None, r"gamma must have shape \(C,\) = \(2,\); got \(3,\)"),
    ],
)
def test_fold_bad_input_raises(W: np.ndarray, b: np.ndarray | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fold_into_linear(W, b, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))


def test_fold_bad_eps_raises() -> None:
    with pytest.raises(ValueError, match=r"eps must be positive; got -1.0"):
        fold_into_linear(np.ones((2, 3)), None, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), eps=-1.0)


# ---- low precision, types, and the claims added for issue 7 ------------------------------

LOW_PRECISION = {torch.float32: 1e-5, torch.float16: 2e-2, torch.bfloat16: 1e-1}


@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_torch_mirror_matches_nn_in_low_precision(dtype: torch.dtype, shape: tuple[int, ...]) -> None:
    """batch_norm_torch vs nn.BatchNorm1d in float32, float16 and bfloat16: outputs and running stats."""
    rng = np.random.default_rng(20)
    C, tol = shape[1], LOW_PRECISION[dtype]
    ref = reference(C, rng, momentum=0.1, eps=1e-5).to(dtype)
    gamma, beta = ref.weight.detach().clone(), ref.bias.detach().clone()
    rm, rv = ref.running_mean.clone(), ref.running_var.clone()
    for training in (True, True, False):
        ref.train(training)
        x = torch.from_numpy(batch(rng, shape)).to(dtype)
        y, rm, rv = batch_norm_torch(x, rm, rv, gamma, beta, training=training)
        assert y.dtype == dtype and rm.dtype == dtype
        want = ref(x).detach()
        torch.testing.assert_close(y.float(), want.float(), rtol=tol, atol=tol)
        torch.testing.assert_close(rm.float(), ref.running_mean.float(), rtol=tol, atol=tol)
        torch.testing.assert_close(rv.float(), ref.running_var.float(), rtol=tol, atol=tol)


def test_numpy_layer_given_a_tensor_raises_type_error() -> None:
    """Issue 7: BatchNorm1d handed a tensor used to fail inside ``x.size // C``."""
    with pytest.raises(TypeError, match=r"x must be a NumPy array or array-like; got a torch.Tensor"):
        BatchNorm1d(3)(torch.ones(4, 3))
    with pytest.raises(TypeError, match=r"gamma must be a NumPy array or array-like; got a torch.Tensor"):
        batch_norm(np.ones((4, 3)), np.zeros(3), np.ones(3), torch.ones(3), np.zeros(3))
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor; got a NumPy array"):
        batch_norm_torch(np.ones((4, 3)), *(torch.ones(3),) * 4)
    with pytest.raises(TypeError, match=r"W must be a NumPy array or array-like; got a torch.Tensor"):
        fold_into_linear(torch.ones(2, 3), None, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))


def test_numpy_functions_accept_lists() -> None:
    _, rm, _ = batch_norm([[1.0], [2.0], [3.0]], [0.0], [1.0], [1.0], [0.0], training=True)
    np.testing.assert_allclose(rm, [0.2])
    assert BatchNorm1d(1)([[1.0], [3.0]]).shape == (2, 1)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fold_into_linear_torch_equals_pytorch_fusion(dtype: torch.dtype) -> None:
    torch.manual_seed(1)
    lin, bn = torch.nn.Linear(5, 4).to(dtype), torch.nn.BatchNorm1d(4, eps=1e-3).to(dtype)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.normal_()
        for _ in range(3):
            bn(lin(2.0 + torch.randn(8, 5, dtype=dtype)))
    lin.eval(), bn.eval()
    ours, theirs = fold_into_linear_torch(lin, bn), torch.nn.utils.fusion.fuse_linear_bn_eval(lin, bn)
    tol = 1e-12 if dtype == torch.float64 else 1e-6
    torch.testing.assert_close(ours.weight, theirs.weight, rtol=tol, atol=tol)
    torch.testing.assert_close(ours.bias, theirs.bias, rtol=tol, atol=tol)
    with pytest.raises(ValueError, match=r"bn must have num_features = linear.out_features = 4; got 3"):
        fold_into_linear_torch(lin, torch.nn.BatchNorm1d(3))
    with pytest.raises(TypeError, match=r"expected an nn.Linear and an nn.BatchNorm1d; got Linear, Linear"):
        fold_into_linear_torch(lin, lin)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_statistics_pooled_over_positions_leak_the_future(impl: str) -> None:
    """Page and bank: BN over (N, C, L) pools every position, so in training an early position's
    output changes when a later token changes: a causal model would see the future. Eval mode
    (frozen statistics) and LayerNorm over the features of each token do not."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal((2, 3, 6))  # (N, C, L): L = 6 positions
    later = x.copy()
    later[:, :, -1] += 5.0  # change only the last position
    vectors = (np.zeros(3), np.ones(3), np.ones(3), np.zeros(3))
    fn = IMPLEMENTATIONS[impl]
    early, early_changed = (fn(a, *vectors, training=True)[0][:, :, :-1] for a in (x, later))
    assert np.abs(early - early_changed).max() > 0.1
    ref = torch.nn.BatchNorm1d(3).double()
    with torch.no_grad():
        diff = ref(torch.from_numpy(later))[:, :, :-1] - ref(torch.from_numpy(x))[:, :, :-1]
    assert diff.abs().max() > 0.1, "nn.BatchNorm1d leaks the same way"
    frozen = [fn(a, *vectors, training=False)[0][:, :, :-1] for a in (x, later)]
    np.testing.assert_array_equal(frozen[0], frozen[1])
    ln = torch.nn.functional.layer_norm
    per_token = [ln(torch.from_numpy(a).transpose(1, 2), (3,))[:, :-1] for a in (x, later)]
    torch.testing.assert_close(per_token[0], per_token[1], rtol=0, atol=0)


def test_scale_invariance_shrinks_the_gradient_so_weight_decay_raises_the_effective_lr() -> None:
    """Bank and page: BN(x (aW)) = BN(x W) for a > 0 in training, so the loss ignores the norm of W,
    the gradient is orthogonal to W and scales like 1/a. Weight decay shrinks a, so the same
    learning rate turns W by more: the effective step is lr / ||W||^2."""
    torch.manual_seed(2)
    x, dy = torch.randn(16, 5, dtype=torch.float64), torch.randn(16, 4, dtype=torch.float64)
    W = torch.randn(5, 4, dtype=torch.float64)
    grads = {}
    for a in (1.0, 2.0):
        Wa = (a * W).requires_grad_(True)
        y, _, _ = batch_norm_torch(x @ Wa, torch.zeros(4), torch.ones(4), torch.ones(4), torch.zeros(4), training=True,
                                   eps=1e-12)  # fmt: skip
        (y * dy).sum().backward()
        grads[a] = (y.detach(), Wa.grad)
    torch.testing.assert_close(grads[1.0][0], grads[2.0][0])
    torch.testing.assert_close(grads[2.0][1], grads[1.0][1] / 2.0)
    np.testing.assert_allclose((grads[1.0][1] * W).sum(0).numpy(), 0.0, atol=1e-9)  # per column: g ⟂ w


def test_zero_gamma_makes_a_residual_block_the_identity_at_init() -> None:
    """Bank and page (Goyal et al., 2017): with the last BN's gamma = 0, block(x) = x + 0, so a deep
    stack of such blocks starts as the identity; the gradient still reaches gamma."""
    torch.manual_seed(3)
    lin1, bn1, lin2, bn2 = (torch.nn.Linear(6, 6).double(), torch.nn.BatchNorm1d(6).double(),
                            torch.nn.Linear(6, 6).double(), torch.nn.BatchNorm1d(6).double())  # fmt: skip
    torch.nn.init.zeros_(bn2.weight)
    x = torch.randn(10, 6, dtype=torch.float64)
    out = x + bn2(lin2(torch.relu(bn1(lin1(x)))))
    torch.testing.assert_close(out, x, rtol=0, atol=0)
    (out * torch.randn_like(out)).sum().backward()
    assert bn2.weight.grad.abs().max() > 1e-3 and lin2.weight.grad.abs().max() == 0.0


def _grad_ratio(a: float) -> float:
    """|grad at a W| / |grad at W| for a linear layer feeding a training-mode batch norm."""
    torch.manual_seed(4)
    x, dy, W = torch.randn(12, 3, dtype=torch.float64), torch.randn(12, 2, dtype=torch.float64), torch.randn(3, 2)
    norms = []
    for scale in (1.0, a):
        Wa = (scale * W.double()).requires_grad_(True)
        y, _, _ = batch_norm_torch(x @ Wa, torch.zeros(2), torch.ones(2), torch.ones(2), torch.zeros(2), training=True,
                                   eps=1e-12)  # fmt: skip
        (y * dy).sum().backward()
        norms.append(float(Wa.grad.norm()))
    return norms[1] / norms[0]


def computed_answers() -> dict[str, float]:
    """Every numeric key of the bank, computed from the package (or PyTorch) rather than copied."""
    layer = BatchNorm1d(1)
    for _ in range(3):
        layer(np.array([[9.0], [11.0]]))
    _, _, rv = batch_norm([[0.0], [2.0], [4.0], [6.0]], [0.0], [1.0], [1.0], [0.0], training=True)
    _, bf = fold_into_linear([[2.0], [0.0]], [1.0], [3.0], [0.5], [3.0], [4.0], eps=1e-12)
    ref = torch.nn.BatchNorm1d(64)
    return {
        "batch_norm.running-mean-steps": float(layer.running_mean[0]),
        "batch_norm.running-var-step": float(rv[0]),
        "batch_norm.keras-momentum": 1 - 0.99,
        "batch_norm.param-count": sum(p.numel() for p in ref.parameters()),
        "batch_norm.fold-bias": float(bf[0]),
        "batch_norm.grad-scale": _grad_ratio(4.0),
        "batch_norm.effective-lr": round(_grad_ratio(0.5) / 0.5, 6),  # (|g| / |W|) grows by 2 / 0.5
    }


def test_bank_numeric_answers_are_right() -> None:
    check_numeric_keys("batch_norm", computed_answers(), bank_tolerance)


# ---- the exercises' checks, run on our implementation -----------------------------------


@pytest.mark.parametrize(
    ("exercise", "impl"), [("batch_norm.train-step", batch_norm_train), ("batch_norm.fold", fold_into_linear)]
)
def test_exercise_checks_pass_on_our_implementation(exercise: str, impl) -> None:
    from concepts.exercises._harness import run_checks
    from concepts.exercises.batch_norm import CHECKS

    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float16, 2e-2), (torch.bfloat16, 1e-1)])
def test_fold_into_linear_torch_in_half_precision(dtype: torch.dtype, tol: float) -> None:
    """The folded layer keeps the dtype and matches PyTorch's own fusion and the unfolded pair in fp16 / bf16."""
    torch.manual_seed(5)
    lin, bn = torch.nn.Linear(6, 4), torch.nn.BatchNorm1d(4)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        for _ in range(3):
            bn(lin(1.0 + torch.randn(16, 6)))
    lin, bn = lin.to(dtype).eval(), bn.to(dtype).eval()
    ours = fold_into_linear_torch(lin, bn)
    assert ours.weight.dtype == dtype
    theirs = torch.nn.utils.fusion.fuse_linear_bn_eval(lin, bn)
    torch.testing.assert_close(ours.weight.float(), theirs.weight.float(), rtol=tol, atol=tol)
    x = torch.randn(5, 6).to(dtype)
    with torch.no_grad():
        torch.testing.assert_close(ours(x).float(), bn(lin(x)).float(), rtol=tol, atol=tol)
