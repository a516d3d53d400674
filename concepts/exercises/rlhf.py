"""Checks for the RLHF exercises: DPO's loss from log-probs, generalised advantage estimation,
and PPO's clipped surrogate.

The trusted references are values worked by hand, PyTorch's ``F.logsigmoid`` in float64
(the DPO formula written out here, not our module), GAE's definition as a direct double sum
``A_t = sum_l (gamma lam)^l delta_{t+l}`` (not the backward recursion a solution uses), and
PPO's loss written with ``torch.clamp`` and ``torch.maximum``.
``tests/concepts/test_rlhf.py`` runs the same checks on ``concepts.rlhf``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS", "gae_direct_sum", "torch_dpo_loss", "torch_ppo_loss"]


def torch_dpo_loss(pc, pr, rc, rr, beta: float, loss_type: str) -> np.ndarray:
    """DPO's three losses written out with PyTorch in float64 (the formulas of trl's DPOTrainer)."""
    torch = require_torch()
    pc, pr, rc, rr = (torch.as_tensor(np.asarray(a, dtype=np.float64)) for a in (pc, pr, rc, rr))
    h = (pc - rc) - (pr - rr)
    if loss_type == "sigmoid":
        return (-torch.nn.functional.logsigmoid(beta * h)).numpy()
    if loss_type == "hinge":
        return torch.relu(1 - beta * h).numpy()
    return ((h - 1 / (2 * beta)) ** 2).numpy()


def gae_direct_sum(rewards, values, gamma: float, lam: float, dones=None, last_value=0.0) -> np.ndarray:
    """GAE by its definition: a discounted sum of TD errors, stopped at the end of an episode."""
    r, v = np.asarray(rewards, dtype=np.float64), np.asarray(values, dtype=np.float64)
    d = np.zeros(r.shape, bool) if dones is None else np.asarray(dones, bool)
    T = r.shape[-1]
    next_v = np.concatenate([v[..., 1:], np.broadcast_to(last_value, r.shape[:-1])[..., None]], axis=-1)
    delta = r + gamma * next_v * (~d) - v
    adv = np.zeros_like(r)
    for idx in np.ndindex(r.shape[:-1]):
        for t in range(T):
            total, factor = 0.0, 1.0
            for s in range(t, T):
                total += factor * delta[(*idx, s)]
                if d[(*idx, s)]:  # the episode ends with step s: nothing later belongs to it
                    break
                factor *= gamma * lam
            adv[(*idx, t)] = total
    return adv


def torch_ppo_loss(logprobs, old_logprobs, advantages, clip_eps: float, mask=None) -> float:
    """PPO's clipped loss written with torch.clamp and torch.maximum (as trl's PPOTrainer does)."""
    torch = require_torch()
    lp, old, a = (torch.as_tensor(np.asarray(x, dtype=np.float64)) for x in (logprobs, old_logprobs, advantages))
    ratio = torch.exp(lp - old)
    losses = torch.maximum(-a * ratio, -a * torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps))
    m = torch.ones_like(lp, dtype=torch.bool) if mask is None else torch.as_tensor(np.asarray(mask, bool))
    return float(losses[m].mean())


# ---------------------------------------------------------------- rlhf.dpo-loss


@check("a pair worked by hand: h = 2, beta = 0.5 gives -log sigmoid(1) = 0.3133", section="rlhf-dpo")
def check_dpo_hand_worked(candidate: Callable) -> None:
    """log pi rises by 1 on y_w and falls by 1 on y_l: h = (-4 + 5) - (-6 + 5) = 2, beta h = 1."""
    args = ([-4.0], [-6.0], [-5.0], [-5.0])
    want = math.log1p(math.exp(-1.0))
    compare(candidate(*args, beta=0.5), [want], inputs={"logps (pc, pr, rc, rr)": np.array(args)}, rtol=1e-10)
    compare(candidate(*args, beta=0.5, loss_type="hinge"), [0.0], what="the hinge loss", atol=1e-12)
    compare(candidate(*args, beta=0.5, loss_type="ipo"), [1.0], what="the IPO loss (h - 1/(2 beta))^2", atol=1e-12)
    same = candidate([-3.0], [-7.0], [-3.0], [-7.0], beta=0.1)
    compare(same, [math.log(2.0)], what="the loss when the policy equals the reference", rtol=1e-10)


@check("equals the DPO formulas in torch float64 for random batches and each loss type", section="rlhf-dpo")
def check_dpo_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(0)
    for batch in (1, 3, 16):
        pc, pr, rc, rr = (-rng.gamma(3.0, 4.0, size=batch) for _ in range(4))
        for beta in (0.1, 0.5, 2.0):
            for loss_type in ("sigmoid", "hinge", "ipo"):
                inputs = {"pc": pc, "pr": pr, "rc": rc, "rr": rr, "beta": beta, "loss_type": loss_type}
                got = candidate(pc, pr, rc, rr, beta=beta, loss_type=loss_type)
                compare(got, torch_dpo_loss(pc, pr, rc, rr, beta, loss_type), inputs=inputs, rtol=1e-10, atol=1e-12)


@check("the reference log-probs matter: shifting them changes the loss", section="rlhf-dpo")
def check_dpo_uses_reference(candidate: Callable) -> None:
    pc, pr = np.array([-10.0, -12.0]), np.array([-11.0, -9.0])
    rc, rr = np.array([-12.0, -12.0]), np.array([-9.0, -9.0])
    got = candidate(pc, pr, rc, rr, beta=0.1)
    want = torch_dpo_loss(pc, pr, rc, rr, 0.1, "sigmoid")
    compare(got, want, inputs={"pc": pc, "pr": pr, "rc": rc, "rr": rr}, rtol=1e-10)
    expect(
        not np.allclose(got, candidate(pc, pr, np.zeros(2), np.zeros(2), beta=0.1)),
        "the loss did not change when the reference log-probs did: DPO compares the policy with the reference",
    )


@check("margins of 1e4 give finite losses (no overflow in exp)", section="rlhf-dpo")
def check_dpo_large_margins(candidate: Callable) -> None:
    pc, pr, z = np.array([0.0, -1e4]), np.array([-1e4, 0.0]), np.zeros(2)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        got = candidate(pc, pr, z, z, beta=1.0)
    compare(got, [0.0, 1e4], inputs={"pc": pc, "pr": pr, "rc": z, "rr": z, "beta": 1.0}, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- rlhf.gae


@check("a three-step example worked by hand (gamma = 1, lam = 0.5)", section="rlhf-gae")
def check_gae_hand_worked(candidate: Callable) -> None:
    """Rewards (0, 0, 1), values 0.5 each, V = 0 after the end: deltas (0, 0, 0.5);
    A_2 = 0.5, A_1 = 0 + 0.5 * 0.5 = 0.25, A_0 = 0 + 0.5 * 0.25 = 0.125; returns add 0.5."""
    r, v = [0.0, 0.0, 1.0], [0.5, 0.5, 0.5]
    compare(candidate(r, v, gamma=1.0, lam=0.5), ([0.125, 0.25, 0.5], [0.625, 0.75, 1.0]), inputs={"r": r, "v": v})
    got = candidate([1.0, 1.0], [0.0, 0.0], gamma=0.5, lam=1.0, last_value=4.0)
    compare(got, ([2.5, 3.0], [2.5, 3.0]), inputs={"r": [1, 1], "v": [0, 0], "gamma": 0.5, "last_value": 4.0})


@check("equals the direct sum of discounted TD errors on random batches", section="rlhf-gae")
def check_gae_direct_sum(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    for shape in ((1,), (4,), (2, 5), (3, 2, 7)):
        r, v = rng.standard_normal(shape), rng.standard_normal(shape)
        last = rng.standard_normal(shape[:-1])
        for gamma, lam in ((1.0, 0.95), (0.9, 0.8), (0.99, 1.0), (0.7, 0.0)):
            adv, ret = candidate(r, v, gamma=gamma, lam=lam, last_value=last)
            inputs = {"rewards": r, "values": v, "gamma": gamma, "lam": lam, "last_value": last}
            want = gae_direct_sum(r, v, gamma, lam, last_value=last)
            compare(adv, want, inputs=inputs, what="the advantages", rtol=1e-10, atol=1e-12)
            compare(ret, want + v, inputs=inputs, what="the returns (advantages + values)", rtol=1e-10, atol=1e-12)


@check("an episode that ends (dones) neither bootstraps nor sums past its end", section="rlhf-gae")
def check_gae_dones(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    r, v = rng.standard_normal((2, 6)), rng.standard_normal((2, 6))
    dones = np.zeros((2, 6), bool)
    dones[0, 2] = dones[1, 0] = dones[1, 4] = True
    for gamma, lam in ((1.0, 0.95), (0.9, 0.7)):
        adv, _ = candidate(r, v, gamma=gamma, lam=lam, dones=dones)
        want = gae_direct_sum(r, v, gamma, lam, dones=dones)
        compare(adv, want, inputs={"rewards": r, "values": v, "dones": dones, "gamma": gamma, "lam": lam}, rtol=1e-10)


@check("lam = 0 gives the one-step TD error; lam = 1 the discounted return minus V", section="rlhf-gae")
def check_gae_limits(candidate: Callable) -> None:
    r, v = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.3, 0.1, -0.4, 1.0])
    gamma = 0.9
    delta = r + gamma * np.append(v[1:], 0.0) - v
    compare(candidate(r, v, gamma=gamma, lam=0.0)[0], delta, inputs={"r": r, "v": v, "lam": 0.0}, rtol=1e-12)
    mc = np.array([sum(gamma ** (s - t) * r[s] for s in range(t, 4)) for t in range(4)])
    compare(candidate(r, v, gamma=gamma, lam=1.0)[0], mc - v, inputs={"r": r, "v": v, "lam": 1.0}, rtol=1e-12)


# ---------------------------------------------------------------- rlhf.ppo-clip


@check("three tokens worked by hand, for a positive and a negative advantage", section="rlhf-ppo")
def check_ppo_hand_worked(candidate: Callable) -> None:
    """Ratios (0.5, 1, 1.5), eps 0.2. A = +1: min(rho, clip(rho)) = (0.5, 1, 1.2), loss -0.9.
    A = -1: the pessimistic objective is -max(rho, clip) = -(0.8, 1, 1.5), loss 1.1."""
    lp, old = np.log([0.5, 1.0, 1.5]), np.zeros(3)
    compare(candidate(lp, old, np.ones(3), clip_eps=0.2), -0.9, inputs={"ratio": np.exp(lp), "A": 1.0}, atol=1e-12)
    compare(candidate(lp, old, -np.ones(3), clip_eps=0.2), 1.1, inputs={"ratio": np.exp(lp), "A": -1.0}, atol=1e-12)


@check("equals PPO's loss written with torch.clamp and torch.maximum, with a mask", section="rlhf-ppo")
def check_ppo_against_torch(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    for shape in ((1,), (5,), (2, 6), (4, 9)):
        lp = -rng.gamma(2.0, 1.0, size=shape)
        old = lp + 0.4 * rng.standard_normal(shape)
        a = rng.standard_normal(shape)
        mask = rng.random(shape) < 0.7
        mask.flat[0] = True
        for eps in (0.1, 0.2):
            inputs = {"logprobs": lp, "old_logprobs": old, "advantages": a, "mask": mask, "clip_eps": eps}
            compare(candidate(lp, old, a, clip_eps=eps), torch_ppo_loss(lp, old, a, eps), inputs=inputs, rtol=1e-10)
            got = candidate(lp, old, a, clip_eps=eps, mask=mask)
            compare(got, torch_ppo_loss(lp, old, a, eps, mask), inputs=inputs, what="the masked loss", rtol=1e-10)


@check("past the clip the loss stops improving, on the side the advantage pushes", section="rlhf-ppo")
def check_ppo_clip_side(candidate: Callable) -> None:
    old = np.zeros(1)
    for a, ratios in ((1.0, (1.3, 1.6, 3.0)), (-1.0, (0.7, 0.5, 0.1))):
        losses = [candidate(np.log([rho]), old, [a], clip_eps=0.2) for rho in ratios]
        expect(
            np.allclose(losses, losses[0], atol=1e-12),
            f"with advantage {a:+g}, ratios {ratios} beyond the clip range gave losses {np.round(losses, 4).tolist()}; "
            "the clipped objective should be flat there, so the update gains nothing",
        )
    for a, rho, want in ((1.0, 0.5, -0.5), (-1.0, 2.0, 2.0)):  # the unclipped side keeps the full penalty
        got = candidate(np.log([rho]), old, [a], clip_eps=0.2)
        compare(got, want, inputs={"ratio": rho, "A": a}, what="the loss on the side clipping does not protect")


CHECKS: dict[str, list] = {
    "rlhf.dpo-loss": [
        check_dpo_hand_worked,
        check_dpo_against_torch,
        check_dpo_uses_reference,
        check_dpo_large_margins,
    ],
    "rlhf.gae": [check_gae_hand_worked, check_gae_direct_sum, check_gae_dones, check_gae_limits],
    "rlhf.ppo-clip": [check_ppo_hand_worked, check_ppo_against_torch, check_ppo_clip_side],
}
