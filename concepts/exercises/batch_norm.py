"""Checks for the batch-norm exercises: one training step with running statistics, and folding.

The trusted references are ``torch.nn.BatchNorm1d`` in float64 (training and evaluation
mode) and ``torch.nn.utils.fusion.fuse_linear_bn_eval``. ``tests/concepts/test_batch_norm.py``
runs the same checks on ``concepts.batch_norm``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]

TRAIN_SHAPES = [(2, 1), (3, 2), (8, 4), (16, 3)]  # (N, C), smallest first


def _bn(C: int, rng: np.random.Generator, *, momentum: float = 0.1, eps: float = 1e-5):
    """An nn.BatchNorm1d in float64 with random gamma, beta and running statistics."""
    torch = require_torch()
    bn = torch.nn.BatchNorm1d(C, momentum=momentum, eps=eps).double()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, C)))
        bn.bias.copy_(torch.from_numpy(rng.normal(0.0, 1.0, C)))
        bn.running_mean.copy_(torch.from_numpy(rng.normal(0.0, 1.0, C)))
        bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, C)))
    return bn


def _train_step(candidate: Callable, shape: tuple[int, int], momentum: float, seed: int):
    """Run the candidate and nn.BatchNorm1d on the same batch; return (got, want, inputs)."""
    torch = require_torch()
    rng = np.random.default_rng(seed)
    bn = _bn(shape[1], rng, momentum=momentum)
    x = 3.0 + 2.0 * rng.standard_normal(shape)
    vectors = [t.detach().numpy().copy() for t in (bn.running_mean, bn.running_var, bn.weight, bn.bias)]
    inputs = {"x": x, "running_mean": vectors[0], "running_var": vectors[1], "gamma": vectors[2], "beta": vectors[3]}
    got = candidate(x, *vectors, momentum=momentum)
    expect(isinstance(got, tuple) and len(got) == 3, "return a tuple (y, new_running_mean, new_running_var)")
    with torch.no_grad():
        y = bn.train()(torch.from_numpy(x)).numpy()
    return got, (y, bn.running_mean.numpy(), bn.running_var.numpy()), {**inputs, "momentum": momentum}


@check("the output equals nn.BatchNorm1d's in training mode", section="batch-norm-train")
def check_train_output(candidate: Callable) -> None:
    for i, shape in enumerate(TRAIN_SHAPES):
        got, want, inputs = _train_step(candidate, shape, 0.1, seed=i)
        compare(got[0], want[0], inputs=inputs, what="y", rtol=1e-9, atol=1e-9)


@check("the running mean moves momentum of the way towards the batch mean", section="batch-norm-running")
def check_running_mean(candidate: Callable) -> None:
    for momentum in (0.1, 0.3):
        for i, shape in enumerate(TRAIN_SHAPES):
            got, want, inputs = _train_step(candidate, shape, momentum, seed=10 + i)
            compare(got[1], want[1], inputs=inputs, what="the new running_mean", rtol=1e-10, atol=1e-12)


@check("the running variance uses the unbiased batch variance, m / (m - 1)", section="batch-norm-running")
def check_running_var(candidate: Callable) -> None:
    for momentum in (0.1, 0.3):
        for i, shape in enumerate(TRAIN_SHAPES):
            got, want, inputs = _train_step(candidate, shape, momentum, seed=20 + i)
            compare(got[2], want[2], inputs=inputs, what="the new running_var", rtol=1e-10, atol=1e-12)


@check("the inputs are left unchanged (no in-place update)", section="batch-norm-running")
def check_no_in_place_update(candidate: Callable) -> None:
    rng = np.random.default_rng(30)
    x, rm, rv = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    before = (x.copy(), rm.copy(), rv.copy())
    candidate(x, rm, rv, np.ones(3), np.zeros(3))
    for name, a, b in zip(("x", "running_mean", "running_var"), (x, rm, rv), before, strict=True):
        compare(a, b, inputs={"x": before[0]}, what=f"{name} after the call", rtol=0, atol=0)


# ---------------------------------------------------------------- folding


def _fold_case(d_in: int, C: int, *, bias: bool, seed: int):
    """A float64 nn.Linear and an eval-mode nn.BatchNorm1d with realistic running statistics."""
    torch = require_torch()
    gen = torch.Generator().manual_seed(seed)
    lin = torch.nn.Linear(d_in, C, bias=bias).double()
    bn = torch.nn.BatchNorm1d(C, eps=1e-3).double()
    with torch.no_grad():
        lin.weight.copy_(torch.randn(C, d_in, generator=gen, dtype=torch.float64))
        if bias:
            lin.bias.copy_(torch.randn(C, generator=gen, dtype=torch.float64))
        bn.weight.uniform_(0.5, 2.0, generator=gen)
        bn.bias.normal_(generator=gen)
        for _ in range(4):  # train the running statistics on shifted data
            bn(lin(3.0 + 2.0 * torch.randn(16, d_in, generator=gen, dtype=torch.float64)))
    return lin.eval(), bn.eval()


def _fold_args(lin, bn) -> dict[str, object]:
    return {
        "W": lin.weight.detach().numpy().T.copy(),  # (d_in, C): the NumPy layout, x @ W
        "b": None if lin.bias is None else lin.bias.detach().numpy().copy(),
        "gamma": bn.weight.detach().numpy().copy(),
        "beta": bn.bias.detach().numpy().copy(),
        "running_mean": bn.running_mean.numpy().copy(),
        "running_var": bn.running_var.numpy().copy(),
    }


@check("x @ W' + b' equals nn.Linear then eval-mode nn.BatchNorm1d", section="batch-norm-folding")
def check_fold_against_torch(candidate: Callable) -> None:
    torch = require_torch()
    for i, (d_in, C) in enumerate([(1, 1), (2, 3), (5, 4), (8, 16)]):
        lin, bn = _fold_case(d_in, C, bias=True, seed=i)
        args = _fold_args(lin, bn)
        Wf, bf = candidate(*args.values(), eps=bn.eps)
        x = np.random.default_rng(i).standard_normal((6, d_in))
        with torch.no_grad():
            want = bn(lin(torch.from_numpy(x))).numpy()
        compare(np.asarray(x @ np.asarray(Wf) + np.asarray(bf)), want, inputs={**args, "x": x}, rtol=1e-9, atol=1e-9)


@check("a layer without bias (b=None) folds too: the bias appears", section="batch-norm-folding")
def check_fold_without_bias(candidate: Callable) -> None:
    torch = require_torch()
    lin, bn = _fold_case(3, 2, bias=False, seed=7)
    args = _fold_args(lin, bn)
    Wf, bf = candidate(*args.values(), eps=bn.eps)
    x = np.random.default_rng(7).standard_normal((4, 3))
    with torch.no_grad():
        want = bn(lin(torch.from_numpy(x))).numpy()
    compare(np.asarray(x @ np.asarray(Wf) + np.asarray(bf)), want, inputs={**args, "x": x}, rtol=1e-9, atol=1e-9)


@check("W' and b' equal PyTorch's fuse_linear_bn_eval", section="batch-norm-folding")
def check_fold_matches_pytorch_fusion(candidate: Callable) -> None:
    torch = require_torch()
    lin, bn = _fold_case(4, 3, bias=True, seed=9)
    args = _fold_args(lin, bn)
    Wf, bf = candidate(*args.values(), eps=bn.eps)
    fused = torch.nn.utils.fusion.fuse_linear_bn_eval(lin, bn)
    compare(Wf, fused.weight.detach().numpy().T, inputs=args, what="W' (d_in, C)", rtol=1e-10, atol=1e-12)
    compare(bf, fused.bias.detach().numpy(), inputs=args, what="b'", rtol=1e-10, atol=1e-12)


CHECKS: dict[str, list] = {
    "batch_norm.train-step": [check_train_output, check_running_mean, check_running_var, check_no_in_place_update],
    "batch_norm.fold": [check_fold_against_torch, check_fold_without_bias, check_fold_matches_pytorch_fusion],
}
