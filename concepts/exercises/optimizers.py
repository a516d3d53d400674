"""Checks for the optimizer exercises: one Adam step with bias correction, one AdamW step, clipping by global norm.

The trusted references are ``torch.optim.Adam`` and ``torch.optim.AdamW`` in float64, fed the
same gradients (of a least-squares loss computed here in NumPy) at the same points, and two
first steps derived by hand: Adam's first step is ``lr * g / (|g| + eps)`` entry by entry,
and AdamW's first step on a zero gradient is ``param * (1 - lr * weight_decay)``. Clipping is
checked against ``torch.nn.utils.clip_grad_norm_`` and on gradients of norms 3 and 4.
``tests/concepts/test_optimizers.py`` runs the same checks on ``concepts.optimizers`` and
uses :func:`torch_trajectory` and :func:`least_squares` for the other optimizers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS", "least_squares", "torch_trajectory"]


def least_squares(n: int = 40, d: int = 5, *, seed: int = 0, condition: float = 30.0):
    """A least-squares problem ``L(x) = ||A x - b||^2 / (2 n)``: returns ``(grad_fn, x0)``.

    ``A`` has singular values spread from 1 to ``condition``, so the loss is badly conditioned.
    """
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((n, d)))
    v, _ = np.linalg.qr(rng.standard_normal((d, d)))
    a = np.sqrt(n) * (u * np.linspace(1.0, np.sqrt(condition), d)) @ v.T
    b = a @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
    return (lambda x: a.T @ (a @ x - b) / n), rng.standard_normal(d)


def torch_trajectory(
    optimizer: str,
    grad_fn: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    num_steps: int,
    *,
    scheduler: Callable[[Any], Any] | None = None,
    max_norm: float | None = None,
    **hyper: Any,
) -> np.ndarray:
    """``torch.optim.<optimizer>`` in float64 from ``x0``, fed ``grad_fn`` at each point: ``(num_steps + 1, d)``.

    ``scheduler(opt)`` builds a learning-rate scheduler stepped after each optimizer step;
    ``max_norm`` clips with ``torch.nn.utils.clip_grad_norm_`` before each step.
    """
    torch = require_torch()
    p = torch.tensor(np.asarray(x0, dtype=np.float64), requires_grad=True)
    opt = getattr(torch.optim, optimizer)([p], **hyper)
    sched = None if scheduler is None else scheduler(opt)
    path = [p.detach().numpy().copy()]
    for _ in range(num_steps):
        p.grad = torch.from_numpy(np.asarray(grad_fn(p.detach().numpy().copy()), dtype=np.float64))
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_([p], max_norm)
        opt.step()
        if sched is not None:
            sched.step()
        path.append(p.detach().numpy().copy())
    return np.stack(path)


def _candidate_trajectory(candidate: Callable, grad_fn, x0, num_steps: int, **hyper) -> np.ndarray:
    """The candidate's trajectory: its own state dict fed back in, ``{}`` at the start."""
    x, state, path = np.asarray(x0, dtype=np.float64), {}, [np.asarray(x0, dtype=np.float64)]
    for _ in range(num_steps):
        x, state = candidate(x.copy(), grad_fn(x), state, **hyper)
        x = np.asarray(x, dtype=np.float64)
        path.append(x)
    return np.stack(path)


def _first_step_cases():
    rng = np.random.default_rng(1)
    yield np.array([1.0]), np.array([0.5])  # one parameter
    yield np.array([1.0, -2.0, 0.5]), np.array([3.0, -0.25, 1e-3])  # mixed scales
    yield rng.standard_normal(6), 10.0 ** rng.uniform(-3, 2, 6) * rng.choice([-1.0, 1.0], 6)


# ---------------------------------------------------------------- Adam


@check("the first step is lr * g / (|g| + eps) in every coordinate, worked by hand", section="optimizers-adam")
def check_first_step(candidate: Callable) -> None:
    """At t = 1, m_hat = g and v_hat = g^2 exactly, so each coordinate moves lr * g / (|g| + eps)."""
    for param, grad in _first_step_cases():
        for lr in (0.1, 1e-3):
            got, _ = candidate(param.copy(), grad.copy(), {}, lr=lr)
            want = param - lr * grad / (np.abs(grad) + 1e-8)
            compare(got, want, inputs={"param": param, "grad": grad, "lr": lr}, rtol=1e-12, atol=1e-15)


@check("150 steps on a least-squares loss equal torch.optim.Adam, L2 decay included", section="optimizers-adam")
def check_adam_against_torch(candidate: Callable) -> None:
    grad_fn, x0 = least_squares()
    for hyper in (
        {"lr": 0.05},
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6},
        {"lr": 0.05, "weight_decay": 0.1},
    ):
        got = _candidate_trajectory(candidate, grad_fn, x0, 150, **hyper)
        want = torch_trajectory("Adam", grad_fn, x0, 150, **hyper)
        compare(got, want, inputs={"x0": x0, **hyper}, what="the trajectory (row = step)", rtol=0, atol=1e-10)


@check("with gradients near 1e-6, eps is added after the square root, as torch does", section="optimizers-adam")
def check_small_gradients(candidate: Callable) -> None:
    grad_fn, x0 = least_squares(seed=2)
    tiny = lambda x: 1e-6 * grad_fn(x)  # noqa: E731 - the same loss, scaled down
    got = _candidate_trajectory(candidate, tiny, x0, 5, lr=0.1)
    want = torch_trajectory("Adam", tiny, x0, 5, lr=0.1)
    compare(
        got,
        want,
        inputs={"x0": x0, "grad": "the least-squares gradient times 1e-6"},
        what="the trajectory (row = step)",
        rtol=0,
        atol=1e-10,
    )


@check("the inputs are left unchanged (param, grad and the state's arrays)", section="optimizers-state")
def check_no_mutation(candidate: Callable) -> None:
    param, grad = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    p1, state = candidate(param.copy(), grad.copy(), {}, lr=0.1)
    kept = {k: np.array(v, copy=True) for k, v in state.items()}
    p1_kept = np.array(p1, copy=True)
    candidate(p1, grad, state, lr=0.1)
    compare(p1, p1_kept, what="param after the call", rtol=0, atol=0)
    compare(grad, [0.5, 0.25], what="grad after the call", rtol=0, atol=0)
    for key, value in kept.items():
        compare(state[key], value, what=f"state[{key!r}] after the call", rtol=0, atol=0)


# ---------------------------------------------------------------- AdamW


@check("with a zero gradient, one step multiplies param by 1 - lr * weight_decay", section="optimizers-adamw")
def check_decay_only(candidate: Callable) -> None:
    """With g = 0 the moments stay 0 and Adam's step is 0: only the decoupled decay moves param."""
    for param in (np.array([2.0]), np.array([1.0, -3.0, 0.5])):
        for lr, wd in ((0.1, 0.1), (1e-3, 0.01)):
            got, _ = candidate(param.copy(), np.zeros_like(param), {}, lr=lr, weight_decay=wd)
            want = param * (1 - lr * wd)
            compare(got, want, inputs={"param": param, "grad": 0.0, "lr": lr, "weight_decay": wd},
                    rtol=1e-12, atol=1e-15)  # fmt: skip


@check("150 steps on a least-squares loss equal torch.optim.AdamW", section="optimizers-adamw")
def check_adamw_against_torch(candidate: Callable) -> None:
    grad_fn, x0 = least_squares(seed=3)
    for hyper in ({"lr": 0.05}, {"lr": 0.05, "weight_decay": 0.2}, {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}):
        got = _candidate_trajectory(candidate, grad_fn, x0, 150, **hyper)
        want = torch_trajectory("AdamW", grad_fn, x0, 150, **hyper)
        compare(got, want, inputs={"x0": x0, **hyper}, what="the trajectory (row = step)", rtol=0, atol=1e-10)


@check("the default weight_decay is PyTorch's 0.01", section="optimizers-adamw")
def check_default_decay(candidate: Callable) -> None:
    got, _ = candidate(np.array([1.0, 2.0]), np.zeros(2), {}, lr=0.1)
    expect(np.allclose(got, [0.999, 1.998], rtol=1e-12), f"expected [0.999, 1.998] (decay 0.01); got {got}")


# ---------------------------------------------------------------- clipping by global norm


def _torch_clip(grads: list[np.ndarray], max_norm: float, norm_type: float) -> tuple[list[np.ndarray], float]:
    """``torch.nn.utils.clip_grad_norm_`` on copies of ``grads`` (float64): the clipped arrays and its return value."""
    torch = require_torch()
    params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(np.array(g, dtype=np.float64))
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return [p.grad.numpy() for p in params], float(total)


def _compare_clip(candidate: Callable, grads: list[np.ndarray], max_norm: float, **kw: Any) -> None:
    want, want_total = _torch_clip(grads, max_norm, kw.get("norm_type", 2.0))
    got, total = candidate([g.copy() for g in grads], max_norm, **kw)
    inputs = {**{f"grads[{i}]": g for i, g in enumerate(grads)}, "max_norm": max_norm, **kw}
    compare(total, want_total, inputs=inputs, what="the returned norm", rtol=1e-12, atol=0)
    expect(len(got) == len(grads), f"return one clipped array per gradient: {len(grads)}; got {len(got)}")
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        compare(g, w, inputs=inputs, what=f"clipped grads[{i}]", rtol=1e-12, atol=1e-15)


@check("norms 3 and 4 make a global norm of 5: clipped to 1 they become 0.6 and 0.8", section="optimizers-clipping")
def check_global_norm(candidate: Callable) -> None:
    """One factor for all tensors, 1 / (5 + 1e-6): by hand, (3, 4) -> (0.6, 0.8) up to 2e-7."""
    grads = [np.array([3.0]), np.array([[0.0, 4.0]])]
    got, _ = candidate([g.copy() for g in grads], 1.0)
    for i, want in enumerate(([3.0 / (5 + 1e-6)], [[0.0, 4.0 / (5 + 1e-6)]])):
        compare(got[i], want, inputs={"grads[0]": grads[0], "grads[1]": grads[1], "max_norm": 1.0},
                what=f"clipped grads[{i}]", rtol=1e-12, atol=1e-15)  # fmt: skip


@check("returns the global norm measured before clipping", section="optimizers-clipping")
def check_returned_norm(candidate: Callable) -> None:
    cases = (
        ("two tensors of norms 3 and 4", [np.array([3.0]), np.array([4.0])], 1.0, 5.0),
        ("one 2x2 tensor of ones", [np.ones((2, 2))], 0.5, 2.0),
    )
    for words, grads, max_norm, want in cases:
        _, total = candidate([g.copy() for g in grads], max_norm)
        inputs = {"grads": words, "max_norm": max_norm}
        compare(total, want, inputs=inputs, what="the returned norm", rtol=1e-12, atol=0)


@check(
    "a norm exactly at max_norm still shrinks by 1 / (1 + 1e-6 / max_norm), as in PyTorch",
    section="optimizers-clipping",
)
def check_eps_at_the_limit(candidate: Callable) -> None:
    _compare_clip(candidate, [np.array([0.6, 0.8])], 1.0)
    _compare_clip(candidate, [np.array([0.0, 0.0])], 1.0)  # zero gradients: no division by zero


@check(
    "equals torch.nn.utils.clip_grad_norm_ on random tensors, norm types 2, 1 and inf", section="optimizers-clipping"
)
def check_clip_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for shapes, max_norm in (([(3,)], 1.0), ([(4, 3), (3,), (2, 2, 2)], 0.5), ([(4, 3), (3,)], 100.0)):
        grads = [rng.standard_normal(s) for s in shapes]
        for norm_type in (2.0, 1.0, math.inf):
            _compare_clip(candidate, grads, max_norm, norm_type=norm_type)


CHECKS: dict[str, list] = {
    "optimizers.adam-step": [check_first_step, check_adam_against_torch, check_small_gradients, check_no_mutation],
    "optimizers.adamw-step": [check_decay_only, check_adamw_against_torch, check_default_decay, check_no_mutation],
    "optimizers.clip-grad-norm": [
        check_global_norm,
        check_returned_norm,
        check_eps_at_the_limit,
        check_clip_against_torch,
    ],
}
