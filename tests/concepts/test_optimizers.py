"""Optimizers, schedule and clipping checked against torch.optim, transformers and clip_grad_norm_ in float64.

Trajectories: our step functions and ``torch.optim`` start from the same point and are fed
the same gradients (of a badly conditioned least-squares loss and of a logistic-regression
loss, both written in NumPy and checked against autograd), for 200 steps; every point of
the two paths agrees to 1e-10. The schedule is compared step by step with the ``LambdaLR``
that ``transformers.get_cosine_schedule_with_warmup`` returns, and clipping with
``torch.nn.utils.clip_grad_norm_`` (clipped gradients and the returned norm). Each
convention the page names (L2 vs decoupled decay, bias correction, Nesterov vs classical
momentum, eps outside the root) has a test that fails when it flips.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from support import check_numeric_keys

from concepts.exercises._harness import run_checks
from concepts.exercises.optimizers import CHECKS, least_squares, torch_trajectory
from concepts.optimizers import (
    adam_step,
    adamw_step,
    clip_grad_norm,
    cosine_schedule_with_warmup,
    minimize,
    optimizer_state_bytes,
    rmsprop_step,
    sgd_step,
    uncorrected_step_ratio,
)

STEPS = 200
STEP_FNS = {"SGD": sgd_step, "RMSprop": rmsprop_step, "Adam": adam_step, "AdamW": adamw_step}


def logistic_regression(n: int = 60, d: int = 4, *, seed: int = 0):
    """Mean logistic loss of labels in {0, 1}: returns ``(grad_fn, x0, loss_torch)``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.array([1.0, 3.0, 0.3, 1.0])[:d]
    y = (X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0).astype(float)

    def grad_fn(w: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        return X.T @ (p - y) / n  # d/dw of mean BCE = X^T (sigmoid(Xw) - y) / n

    def loss_torch(w):
        return torch.nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(X) @ w, torch.from_numpy(y))

    return grad_fn, rng.standard_normal(d), loss_torch


def ours(name: str, grad_fn, x0, num_steps: int, **hyper) -> np.ndarray:
    return minimize(STEP_FNS[name], grad_fn, x0, num_steps, **hyper)


CONFIGS = [
    ("SGD", {"lr": 0.02}),
    ("SGD", {"lr": 0.02, "momentum": 0.9}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.02, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-6, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.7}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.5, "centered": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.3}),
]
IDS = [f"{name}-" + "-".join(f"{k}={v}" for k, v in hyper.items()) for name, hyper in CONFIGS]


@pytest.mark.parametrize(("name", "hyper"), CONFIGS, ids=IDS)
@pytest.mark.parametrize("problem", ["least-squares", "logistic"])
def test_trajectory_equals_torch_optim(name: str, hyper: dict, problem: str) -> None:
    """200 steps from the same point with the same gradients: every point agrees to 1e-10."""
    grad_fn, x0 = least_squares() if problem == "least-squares" else logistic_regression()[:2]
    got = ours(name, grad_fn, x0, STEPS, **hyper)
    want = torch_trajectory(name, grad_fn, x0, STEPS, **hyper)
    assert got.shape == want.shape == (STEPS + 1, len(x0))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert np.linalg.norm(got[-1] - got[0]) > 0.1, "the optimizer must really move"


def test_logistic_gradient_is_autograd() -> None:
    """The hand-written logistic gradient the trajectories use equals autograd's."""
    grad_fn, x0, loss_torch = logistic_regression()
    w = torch.tensor(x0, requires_grad=True)
    loss_torch(w).backward()
    np.testing.assert_allclose(grad_fn(x0), w.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_the_losses_really_decrease() -> None:
    """Adam for 200 steps brings the least-squares gradient norm down by three orders of magnitude."""
    grad_fn, x0 = least_squares()
    path = ours("Adam", grad_fn, x0, STEPS, lr=0.05)
    assert np.linalg.norm(grad_fn(path[-1])) < 1e-3 * np.linalg.norm(grad_fn(path[0]))


# ---------------------------------------------------------------- conventions that must not flip


def test_adam_l2_and_adamw_decay_differ_and_each_matches_its_torch_class() -> None:
    """Same weight decay, two optimizers: Adam puts it in the gradient, AdamW decays the weights.

    If adam_step used decoupled decay (or adamw_step used L2) it would match the other class.
    """
    grad_fn, x0 = least_squares()
    hyper = {"lr": 0.05, "weight_decay": 0.3}
    adam, adamw = ours("Adam", grad_fn, x0, 100, **hyper), ours("AdamW", grad_fn, x0, 100, **hyper)
    torch_adam = torch_trajectory("Adam", grad_fn, x0, 100, **hyper)
    torch_adamw = torch_trajectory("AdamW", grad_fn, x0, 100, **hyper)
    assert np.abs(torch_adam - torch_adamw).max() > 1e-2, "the two conventions must be far apart here"
    np.testing.assert_allclose(adam, torch_adam, rtol=0, atol=1e-10)
    np.testing.assert_allclose(adamw, torch_adamw, rtol=0, atol=1e-10)


def test_sgd_l2_and_decoupled_decay_agree_up_to_lr() -> None:
    """Under plain SGD, L2 with coefficient wd is decoupled decay with factor lr * wd: one step shows it."""
    p, g = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    l2, _ = sgd_step(p, g, {}, lr=0.1, weight_decay=0.5)
    np.testing.assert_allclose(l2, p * (1 - 0.1 * 0.5) - 0.1 * g, rtol=1e-15)


def test_nesterov_differs_from_classical_momentum() -> None:
    """PyTorch's Nesterov direction is g + mu b; classical momentum steps along b."""
    grad_fn, x0 = least_squares()
    hyper = {"lr": 0.02, "momentum": 0.9}
    classical = torch_trajectory("SGD", grad_fn, x0, 50, **hyper)
    nesterov = torch_trajectory("SGD", grad_fn, x0, 50, nesterov=True, **hyper)
    assert np.abs(classical - nesterov).max() > 1e-2
    np.testing.assert_allclose(ours("SGD", grad_fn, x0, 50, nesterov=True, **hyper), nesterov, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours("SGD", grad_fn, x0, 50, **hyper), classical, rtol=0, atol=1e-10)


def test_bias_correction_is_on_and_its_absence_is_measured() -> None:
    """Uncorrected Adam on a constant gradient steps uncorrected_step_ratio(t) times further than torch's Adam."""
    g = np.array([0.5, -2.0])
    torch_path = torch_trajectory("Adam", lambda x: g, np.zeros(2), 20, lr=1e-3)
    np.testing.assert_allclose(ours("Adam", lambda x: g, np.zeros(2), 20, lr=1e-3), torch_path, rtol=0, atol=1e-14)
    m = v = np.zeros(2)
    for t in range(1, 21):
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        uncorrected = 1e-3 * m / np.sqrt(v)  # eps left out on both sides
        corrected = torch_path[t - 1] - torch_path[t]
        np.testing.assert_allclose(uncorrected / corrected, uncorrected_step_ratio(t), rtol=1e-4)
    assert uncorrected_step_ratio(1) > 3 and uncorrected_step_ratio(10) > uncorrected_step_ratio(1)


def test_eps_is_outside_the_square_root() -> None:
    """With a gradient of 1e-6, eps outside the root gives a step of ~0.99 lr; inside, ~0.01 lr."""
    p, _ = adam_step([0.0], [1e-6], {}, lr=1.0)
    assert abs(-p[0] - 1e-6 / (1e-6 + 1e-8)) < 1e-12
    p, _ = rmsprop_step([0.0], [1e-6], {}, lr=1.0, alpha=0.0)  # v = g^2 exactly
    assert abs(-p[0] - 1e-6 / (1e-6 + 1e-8)) < 1e-12


def test_hand_worked_sgd_momentum() -> None:
    """SGD, lr 0.1, momentum 0.9, gradient (0.5, -1) twice from (1, 2).

    Step 1: b = g = (0.5, -1) (the first buffer is the raw gradient), p = (1, 2) - 0.1 b = (0.95, 2.1).
    Step 2: b = 0.9 (0.5, -1) + (0.5, -1) = (0.95, -1.9), p = (0.95, 2.1) - 0.1 b = (0.855, 2.29).
    Nesterov step 2 instead steps along g + 0.9 b = (1.355, -2.71): p = (0.8145, 2.371).
    """
    g = [0.5, -1.0]
    p1, s = sgd_step([1.0, 2.0], g, {}, lr=0.1, momentum=0.9)
    p2, _ = sgd_step(p1, g, s, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(p1, [0.95, 2.1], rtol=1e-15)
    np.testing.assert_allclose(p2, [0.855, 2.29], rtol=1e-14)
    p1, s = sgd_step([1.0, 2.0], g, {}, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(p1, [1.0 - 0.1 * 0.95, 2.0 + 0.1 * 1.9], rtol=1e-15)  # g + 0.9 g at step 1
    p2, _ = sgd_step([0.95, 2.1], g, {"momentum_buffer": np.array(g)}, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(p2, [0.8145, 2.371], rtol=1e-14)


def test_steps_do_not_modify_their_inputs() -> None:
    for step_fn in STEP_FNS.values():
        p, g = np.array([1.0, -1.0]), np.array([0.5, 0.5])
        _, state = step_fn(p, g, {}, lr=0.1)
        kept = {k: np.array(v) for k, v in state.items()}
        step_fn(p, g, state, lr=0.1)
        assert p.tolist() == [1.0, -1.0] and g.tolist() == [0.5, 0.5]
        assert all(np.array_equal(state[k], v) for k, v in kept.items())


# ---------------------------------------------------------------- the schedule


SCHEDULES = [(10, 100), (0, 50), (1, 2), (30, 30), (100, 1000), (7, 13)]


@pytest.mark.parametrize(("warmup", "total"), SCHEDULES)
@pytest.mark.parametrize("num_cycles", [0.5, 1.5])
def test_schedule_equals_transformers(warmup: int, total: int, num_cycles: float) -> None:
    """Our factor times the peak rate equals the LambdaLR's rate after every scheduler step, and past the end."""
    transformers = pytest.importorskip("transformers")  # only the schedule tests need it
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=3e-4)
    sched = transformers.get_cosine_schedule_with_warmup(opt, warmup, total, num_cycles=num_cycles)
    rates = [opt.param_groups[0]["lr"]]
    for _ in range(total + 5):
        opt.step()
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    steps = np.arange(total + 6)
    ours_ = 3e-4 * cosine_schedule_with_warmup(
        steps, num_warmup_steps=warmup, num_training_steps=total, num_cycles=num_cycles
    )
    np.testing.assert_allclose(ours_, rates, rtol=1e-12, atol=1e-18)


def test_schedule_shape_of_the_default() -> None:
    """Zero at step 0, peak 1 at the end of warm-up, 0.5 halfway through the decay, 0 at the end,
    and past the end the cosine climbs back: (1 + cos(pi 110/90)) / 2 = 0.117 at step 120."""
    f = cosine_schedule_with_warmup([0, 1, 10, 55, 100, 120], num_warmup_steps=10, num_training_steps=100)
    np.testing.assert_allclose(f, [0.0, 0.1, 1.0, 0.5, 0.0, (1 + math.cos(math.pi * 110 / 90)) / 2], atol=1e-15)
    assert round(float(f[-1]), 3) == 0.117
    assert float(cosine_schedule_with_warmup(5, num_warmup_steps=10, num_training_steps=100)) == 0.5


def test_warmup_cosine_clipping_adamw_pipeline_equals_torch() -> None:
    """AdamW with the transformers schedule and clip_grad_norm_ each step: the whole loop agrees to 1e-10."""
    transformers = pytest.importorskip("transformers")
    grad_fn, x0 = least_squares(condition=100.0)
    warm, total, lr, max_norm = 20, 150, 0.1, 1.0
    assert np.linalg.norm(grad_fn(x0)) > 5 * max_norm, "clipping must be active at the start"

    def sched(step: int) -> float:
        return float(cosine_schedule_with_warmup(step, num_warmup_steps=warm, num_training_steps=total))

    got = minimize(adamw_step, grad_fn, x0, total, lr=lr, schedule=sched, max_norm=max_norm, weight_decay=0.1)
    want = torch_trajectory(
        "AdamW", grad_fn, x0, total, lr=lr, weight_decay=0.1, max_norm=max_norm,
        scheduler=lambda opt: transformers.get_cosine_schedule_with_warmup(opt, warm, total),
    )  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert np.array_equal(got[0], got[1]), "step 0 has rate 0: the first update does nothing"


# ---------------------------------------------------------------- clipping


CLIP_CASES = [
    ([(3,)], 1.0),
    ([(4, 3), (3,), (2, 2, 2)], 0.5),  # well above max_norm
    ([(4, 3), (3,)], 100.0),  # below: untouched
    ([(1,)], 1e-3),
]


@pytest.mark.parametrize(("shapes", "max_norm"), CLIP_CASES)
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_equals_clip_grad_norm_(shapes, max_norm: float, norm_type: float) -> None:
    rng = np.random.default_rng(len(shapes))
    grads = [rng.standard_normal(s) for s in shapes]
    originals = [g.copy() for g in grads]
    params = [torch.nn.Parameter(torch.zeros(s, dtype=torch.float64)) for s in shapes]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    want_total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    clipped, total = clip_grad_norm(grads, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert abs(total - float(want_total)) <= 1e-12 * float(want_total)
    for got, p in zip(clipped, params, strict=True):
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-13, atol=0)
    assert all(np.array_equal(g, o) for g, o in zip(grads, originals, strict=True)), "inputs untouched"


def test_clip_eps_shrinks_a_norm_exactly_at_the_limit_and_guards_zero() -> None:
    """At total = max_norm the factor is max_norm / (max_norm + 1e-6) < 1, as in PyTorch; zeros stay zeros."""
    g = [np.array([0.6, 0.8])]  # norm 1
    clipped, total = clip_grad_norm(g, 1.0)
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    p.grad = torch.tensor([0.6, 0.8], dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([p], 1.0)
    np.testing.assert_allclose(clipped[0], p.grad.numpy(), rtol=1e-15)
    assert clipped[0][0] < 0.6 and abs(clipped[0][0] - 0.6 / (1 + 1e-6)) < 1e-15
    clipped, total = clip_grad_norm([np.zeros(3)], 1.0)
    assert total == 0.0 and clipped[0].tolist() == [0.0, 0.0, 0.0]


def test_clip_keeps_the_direction_and_leaves_the_input() -> None:
    grads = [np.array([3.0, 0.0]), np.array([[0.0, 4.0]])]
    clipped, total = clip_grad_norm(grads, 1.0)
    assert total == 5.0 and grads[0].tolist() == [3.0, 0.0]
    np.testing.assert_allclose(clipped[0], [0.6 / (1 + 2e-7), 0.0], rtol=1e-12)


# ---------------------------------------------------------------- the page's figure


def quadratic_runs(num_steps: int = 100) -> dict[str, np.ndarray]:
    """The page's figure: f(x) = (x1^2 + 100 x2^2) / 2 from (-4, 0.4), the same settings."""
    h = np.array([1.0, 100.0])
    runs = {
        "SGD": (sgd_step, {"lr": 0.019}),
        "momentum": (sgd_step, {"lr": 0.01, "momentum": 0.9}),
        "Nesterov": (sgd_step, {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
        "RMSProp": (rmsprop_step, {"lr": 0.05}),
        "Adam": (adam_step, {"lr": 0.3}),
    }
    return {k: minimize(f, lambda x: h * x, [-4.0, 0.4], num_steps, **hp) for k, (f, hp) in runs.items()}


def test_figure_claims() -> None:
    """What the page says about the figure: SGD at the edge of stability zigzags on every step and is
    still far away after 100 steps; momentum and Nesterov get 1000 times closer; Nesterov crosses the
    valley floor less often than classical momentum; Nesterov with lr 0.019 would diverge."""
    runs = quadratic_runs()
    loss = {k: 0.5 * (p[:, 0] ** 2 + 100 * p[:, 1] ** 2) for k, p in runs.items()}
    crossings = {k: int((np.diff(np.sign(p[:31, 1])) != 0).sum()) for k, p in runs.items()}
    assert crossings["SGD"] == 30, "SGD's x2 changes sign on every one of the first 30 steps"
    assert loss["SGD"][100] > 0.1
    for k in ("momentum", "Nesterov", "RMSProp", "Adam"):
        assert loss[k][100] < 1e-3 * loss["SGD"][100], k
    assert crossings["Nesterov"] < crossings["momentum"] / 3
    h = np.array([1.0, 100.0])
    wild = minimize(sgd_step, lambda x: h * x, [-4.0, 0.4], 50, lr=0.019, momentum=0.9, nesterov=True)
    assert np.abs(wild[-1]).max() > 1e3
    classical = minimize(sgd_step, lambda x: h * x, [-4.0, 0.4], 300, lr=0.019, momentum=0.9)
    assert np.abs(classical[-1]).max() < 1e-3  # heavy ball is stable up to lr h < 2 (1 + mu)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: sgd_step([1.0], [1.0, 2.0], {}), ValueError, "grad must have the shape"),
        (lambda: sgd_step([[1.0]], [[1.0]], {}), ValueError, "vector of shape (d,)"),
        (lambda: sgd_step([1.0], [1.0], None), TypeError, "state must be a dict"),
        (lambda: sgd_step([1.0], [1.0], {}, nesterov=True), ValueError, "nesterov=True needs momentum"),
        (lambda: sgd_step([1.0], [1.0], {}, lr=-1), ValueError, "lr must be >= 0"),
        (lambda: adam_step([1.0], [1.0], {}, betas=(0.9, 1.0)), ValueError, "betas[1] must lie in [0, 1)"),
        (lambda: adam_step([1.0], [1.0], {}, betas=0.9), ValueError, "betas must be a pair"),
        (lambda: adam_step(torch.ones(1), [1.0], {}), TypeError, "got a torch.Tensor"),
        (lambda: rmsprop_step([1.0], [1.0], {}, alpha=1.5), ValueError, "alpha must lie in [0, 1)"),
        (lambda: clip_grad_norm(np.ones(3), 1.0), TypeError, "list of arrays"),
        (lambda: clip_grad_norm([np.ones(3)], 0.0), ValueError, "max_norm must be positive"),
        (lambda: clip_grad_norm([np.ones(3)], 1.0, norm_type=0.5), ValueError, "norm_type must be >= 1"),
        (
            lambda: cosine_schedule_with_warmup(-1, num_warmup_steps=1, num_training_steps=2),
            ValueError,
            "whole numbers >= 0",
        ),
        (lambda: uncorrected_step_ratio(0), ValueError, "Adam counts from 1"),
    ],
)
def test_bad_input(call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
    assert len(str(info.value).splitlines()) == 1


# ---------------------------------------------------------------- exercises and bank


@pytest.mark.parametrize(
    ("exercise", "impl"),
    [
        ("optimizers.adam-step", adam_step),
        ("optimizers.adamw-step", adamw_step),
        ("optimizers.clip-grad-norm", clip_grad_norm),
    ],
)
def test_exercise_checks_pass_on_our_code(exercise: str, impl) -> None:
    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed


def test_numeric_bank_keys() -> None:
    computed = numeric_keys()
    check_numeric_keys("optimizers", computed, lambda q, value: max(1e-9, 0.5 * 10 ** -q["decimals"]))


def numeric_keys() -> dict[str, float]:
    """Each numeric answer of quiz/banks/optimizers.json, computed from the package (float64)."""
    first, _ = adam_step([0.5], [0.02], {}, lr=1e-3)
    weight = minimize(adamw_step, lambda x: np.zeros(1), [1.0], 1000, lr=1e-3, weight_decay=0.1)[-1]
    clipped, total = clip_grad_norm([np.array([3.0]), np.array([0.0, 4.0])], 1.0)
    return {
        "optimizers.adam-first-step": (0.5 - float(first[0])) / 1e-3,
        "optimizers.uncorrected-ratio": float(uncorrected_step_ratio(10)),
        "optimizers.adamw-shrink": float(weight[0]),
        "optimizers.cosine-quarter": float(
            cosine_schedule_with_warmup(350, num_warmup_steps=100, num_training_steps=1100)
        ),
        "optimizers.warmup-first-rate": float(
            cosine_schedule_with_warmup(0, num_warmup_steps=10, num_training_steps=100)
        ),
        "optimizers.past-the-end": float(cosine_schedule_with_warmup(120, num_warmup_steps=10, num_training_steps=100)),
        "optimizers.clip-share": float(np.linalg.norm(clipped[0])),
        "optimizers.clip-returned": total,
        "optimizers.adam-state-bytes": optimizer_state_bytes(7_000_000_000, "adamw") / 1e9,
    }


def test_bank_misconceptions_are_what_they_say() -> None:
    """The wrong answers the bank explains come out of the wrong computations it names."""
    q = {x["id"]: x for x in json.loads(BANK.read_text(encoding="utf-8"))["questions"]}

    def wrong(qid: str) -> list[float]:
        return [m["answer"] for m in q[qid]["misconceptions"]]

    assert round(0.1 / math.sqrt(0.001), 3) in wrong("optimizers.adam-first-step")  # no bias correction
    assert round(1 - 0.9**10, 2) in wrong("optimizers.uncorrected-ratio")
    assert round(1 / math.sqrt(1 - 0.999**10), 2) in wrong("optimizers.uncorrected-ratio")
    assert round(0.5 * (1 + math.cos(math.pi * 350 / 1100)), 2) in wrong("optimizers.cosine-quarter")
    assert round(0.5 * (1 - math.cos(math.pi * 110 / 90)), 3) in wrong("optimizers.past-the-end")
    assert optimizer_state_bytes(7 * 10**9, "adam") / 1e9 + 28 in wrong("optimizers.adam-state-bytes")
    assert 7 * 16 in wrong("optimizers.adam-state-bytes")  # ZeRO's 16 bytes per parameter: 2 + 2 + 4 + 4 + 4


def test_torch_adam_decoupled_flag_is_adamw() -> None:
    """The bank says recent PyTorch's Adam(decoupled_weight_decay=True) is AdamW: checked in this version."""
    grad_fn, x0 = least_squares()
    hyper = {"lr": 0.05, "weight_decay": 0.3}
    flagged = torch_trajectory("Adam", grad_fn, x0, 50, decoupled_weight_decay=True, **hyper)
    np.testing.assert_allclose(flagged, torch_trajectory("AdamW", grad_fn, x0, 50, **hyper), rtol=0, atol=1e-14)


def test_state_bytes() -> None:
    assert optimizer_state_bytes(10, "sgd") == 0
    assert optimizer_state_bytes(10, "sgd-momentum") == 40
    assert optimizer_state_bytes(10, "adam", bytes_per_value=2) == 40
    with pytest.raises(ValueError, match="optimizer must be one of"):
        optimizer_state_bytes(10, "lion")


BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "optimizers.json"


# ---------------------------------------------------------------- the page's other claims


def test_page_claims_on_bias_correction() -> None:
    """r(1) = 3.16, peak 6.57 at step 12, above 1.05 at step 2000 and below from step 2375;
    with beta2 = 0.95, r(1) = 0.45 and r never exceeds 1.1."""
    t = np.arange(1, 20001)
    r = uncorrected_step_ratio(t)
    assert round(float(r[0]), 2) == 3.16
    assert int(t[r.argmax()]) == 12 and round(float(r.max()), 2) == 6.57
    assert r[1999] > 1.05 and int(t[np.argmax(r < 1.05)]) == 2375
    r95 = uncorrected_step_ratio(t, betas=(0.9, 0.95))
    assert round(float(r95[0]), 2) == 0.45 and r95.max() < 1.1


def test_page_claims_on_rmsprop_and_adam_scale() -> None:
    """RMSProp's first step is 10 lr (v_1 = 0.01 g^2, no bias correction); Adam's steps ignore a loss scale."""
    p, _ = rmsprop_step([0.0, 0.0], [0.3, -5.0], {}, lr=0.01)
    np.testing.assert_allclose(p, [-0.1, 0.1], rtol=1e-6)
    grad_fn, x0 = least_squares()
    one = minimize(adam_step, grad_fn, x0, 50, lr=0.05)
    scaled = minimize(adam_step, lambda x: 1000 * grad_fn(x), x0, 50, lr=0.05)
    np.testing.assert_allclose(one, scaled, rtol=0, atol=1e-6)  # equal up to eps


def test_page_claims_on_a_sudden_gradient() -> None:
    """After 20000 quiet steps (zero gradients leave m = v = 0) a gradient of 1 appears: Adam's step is
    0.1 / sqrt(0.001) = 3.16 lr, the paper's bound; after only 5000 the correction of v still shows (3.15)."""
    for quiet, ratio in ((20_000, 3.16), (5_000, 3.15)):
        state = {"step": quiet, "exp_avg": np.zeros(1), "exp_avg_sq": np.zeros(1)}
        q, _ = adam_step([0.0], [1.0], state, lr=1e-3)
        assert round(-float(q[0]) / 1e-3, 2) == ratio
    assert round(0.1 / math.sqrt(0.001), 2) == 3.16


def test_page_claims_on_stability_limits() -> None:
    """Curvature h: classical momentum is stable for lr h < 2 (1 + mu), Nesterov for lr h < 2 (1 + mu) / (1 + 2 mu)."""
    h, mu = 100.0, 0.9

    def final(lr: float, nesterov: bool) -> float:
        path = minimize(sgd_step, lambda x: h * x, [1.0], 2000, lr=lr, momentum=mu, nesterov=nesterov)
        return float(abs(path[-1, 0]))

    classical, nesterov = 2 * (1 + mu) / h, 2 * (1 + mu) / (1 + 2 * mu) / h
    assert final(0.97 * classical, False) < 1e-3 and final(1.03 * classical, False) > 1e3
    assert final(0.97 * nesterov, True) < 1e-3 and final(1.03 * nesterov, True) > 1e3
