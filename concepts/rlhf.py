"""RLHF and DPO: the losses that turn pairwise human preferences into a better policy.

Follows the reward model of Ouyang et al. (2022, InstructGPT) and Christiano et al. (2017)
(a Bradley-Terry model of pairwise preferences), PPO's clipped surrogate (Schulman et al.,
2017) with generalised advantage estimation (Schulman et al., 2016) and the per-token KL
penalty of Ziegler et al. (2019), DPO (Rafailov et al., 2023) with its IPO (Azar et al.,
2023) and hinge (SLiC, Zhao et al., 2023) variants, and GRPO's group-normalised advantages
(Shao et al., 2024, DeepSeekMath). Conventions are those of Hugging Face ``trl`` 1.16 where
it has one. Leaves out the language model itself (every function takes log-probabilities,
rewards and values as arrays), value-function clipping, advantage whitening, KL
estimators other than ``log pi - log pi_ref``, and the many later DPO variants.
The toy functions (``kl_regularized_policy``, ``toy_dpo_train``, ``fit_bradley_terry``,
``reward_hacking_curve``) work on a policy over a handful of whole responses; they live in
:mod:`concepts._rlhf_toy` and are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive, require_tensor, require_torch
from concepts._rlhf_toy import (
    _log_sigmoid,
    fit_bradley_terry,
    kl_regularized_policy,
    reward_hacking_curve,
    toy_dpo_train,
)

if TYPE_CHECKING:
    import torch

__all__ = [
    "DPO_LOSS_TYPES",
    "bradley_terry_loss",
    "dpo_loss",
    "dpo_loss_grad",
    "dpo_loss_torch",
    "fit_bradley_terry",
    "gae",
    "grpo_advantages",
    "kl_penalized_rewards",
    "kl_regularized_policy",
    "ppo_clipped_loss",
    "reward_hacking_curve",
    "toy_dpo_train",
]

DPO_LOSS_TYPES = ("sigmoid", "ipo", "hinge")
_LOGP_NAMES = ("policy_chosen_logps", "policy_rejected_logps", "ref_chosen_logps", "ref_rejected_logps")


def _same_shape(arrays: dict[str, np.ndarray]) -> tuple[int, ...]:
    shapes = {name: a.shape for name, a in arrays.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"these arrays must have the same shape; got {shapes}")
    return next(iter(shapes.values()))


def bradley_terry_loss(r_chosen: ArrayLike, r_rejected: ArrayLike) -> np.ndarray:
    """The reward model's loss per pair: ``-log sigmoid(r_chosen - r_rejected)``.

    Under the Bradley-Terry model a labeller prefers ``a`` to ``b`` with probability
    ``sigmoid(r(a) - r(b))``; this is that probability's negative log-likelihood. Only
    differences of rewards matter, so adding a constant to every reward changes nothing.

    :param r_chosen: rewards of the preferred responses, shape ``(batch,)`` (any shape).
    :param r_rejected: rewards of the other responses, the same shape.
    :returns: float64 losses of that shape; average them for the batch loss (as ``trl``'s
        ``RewardTrainer`` does).

    >>> import numpy as np
    >>> from concepts.rlhf import bradley_terry_loss
    >>> np.round(bradley_terry_loss([1.0, 0.0, 2.0], [0.0, 0.0, 1.0]), 4).tolist()  # log 2 when tied
    [0.3133, 0.6931, 0.3133]
    """
    rc, rr = as_array(r_chosen, "r_chosen"), as_array(r_rejected, "r_rejected")
    _same_shape({"r_chosen": rc, "r_rejected": rr})
    return -_log_sigmoid(rc - rr)  # -log P(chosen > rejected)


def _dpo_margin(pc, pr, rc, rr, beta, loss_type):
    """Validation shared by the NumPy and PyTorch DPO losses; returns ``h`` (log-ratio margin)."""
    beta = require_positive(beta, "beta")
    if loss_type not in DPO_LOSS_TYPES:
        raise ValueError(f"loss_type must be one of {DPO_LOSS_TYPES}; got {loss_type!r}")
    _same_shape(
        {"policy_chosen_logps": pc, "policy_rejected_logps": pr, "ref_chosen_logps": rc, "ref_rejected_logps": rr}
    )
    return beta, (pc - rc) - (pr - rr)  # h = log pi/pi_ref (chosen) - log pi/pi_ref (rejected)


def dpo_loss(
    policy_chosen_logps: ArrayLike,
    policy_rejected_logps: ArrayLike,
    ref_chosen_logps: ArrayLike,
    ref_rejected_logps: ArrayLike,
    *,
    beta: float = 0.1,
    loss_type: str = "sigmoid",
) -> np.ndarray:
    """DPO's loss per pair from sequence log-probabilities under the policy and the reference.

    With the log-ratio margin ``h = (log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))``:

    - ``"sigmoid"`` (DPO): ``-log sigmoid(beta * h)``, Bradley-Terry on the implicit rewards
      ``beta * log(pi / pi_ref)``;
    - ``"hinge"`` (SLiC): ``max(0, 1 - beta * h)``;
    - ``"ipo"`` (IPO): ``(h - 1 / (2 * beta)) ** 2``. ``trl`` divides each sequence's
      log-ratio by its number of completion tokens before this; pass per-token averages to
      match it.

    :param policy_chosen_logps: ``log pi(y_w | x)``, summed over the response, shape ``(batch,)``.
    :param policy_rejected_logps: ``log pi(y_l | x)``, same shape.
    :param ref_chosen_logps: ``log pi_ref(y_w | x)``, same shape (no gradient flows here).
    :param ref_rejected_logps: ``log pi_ref(y_l | x)``, same shape.
    :param beta: the strength of the implicit KL penalty, > 0 (``trl``'s default 0.1).
    :param loss_type: one of ``"sigmoid"``, ``"ipo"``, ``"hinge"``.
    :returns: float64 losses, shape ``(batch,)``; ``trl`` reports their mean.

    >>> from concepts.rlhf import dpo_loss
    >>> # the policy raised log pi(y_w) by 1 and lowered log pi(y_l) by 1: h = 2
    >>> round(float(dpo_loss([-4.0], [-6.0], [-5.0], [-5.0], beta=0.5)[0]), 4)  # -log sigmoid(1)
    0.3133
    >>> [round(float(dpo_loss([-4.0], [-6.0], [-5.0], [-5.0], beta=0.5, loss_type=t)[0]), 4) for t in ("hinge", "ipo")]
    [0.0, 1.0]
    """
    args = (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    pc, pr, rc, rr = (as_array(a, n) for a, n in zip(args, _LOGP_NAMES, strict=True))
    beta, h = _dpo_margin(pc, pr, rc, rr, beta, loss_type)
    if loss_type == "sigmoid":
        return -_log_sigmoid(beta * h)
    if loss_type == "hinge":
        return np.maximum(0.0, 1.0 - beta * h)
    return (h - 1.0 / (2.0 * beta)) ** 2  # IPO: regress h onto 1 / (2 beta)


def dpo_loss_grad(
    policy_chosen_logps: ArrayLike,
    policy_rejected_logps: ArrayLike,
    ref_chosen_logps: ArrayLike,
    ref_rejected_logps: ArrayLike,
    *,
    beta: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the sigmoid DPO loss per pair with respect to the two policy log-probs.

    ``dL/d log pi(y_w) = -beta * w`` and ``dL/d log pi(y_l) = +beta * w`` with
    ``w = sigmoid(r_l - r_w)``, ``r = beta * log(pi / pi_ref)`` the implicit reward. Gradient
    descent raises the chosen log-prob and lowers the rejected one, most for pairs the
    implicit reward still orders wrongly (``w`` near 1), hardly at all once it is right.

    :returns: ``(grad_chosen, grad_rejected)``, each of shape ``(batch,)``.

    >>> import numpy as np
    >>> from concepts.rlhf import dpo_loss_grad
    >>> gw, gl = dpo_loss_grad([-5.0], [-5.0], [-5.0], [-5.0], beta=0.1)  # policy = reference: w = 1/2
    >>> float(gw[0]), float(gl[0])
    (-0.05, 0.05)
    """
    args = (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    pc, pr, rc, rr = (as_array(a, n) for a, n in zip(args, _LOGP_NAMES, strict=True))
    beta, h = _dpo_margin(pc, pr, rc, rr, beta, "sigmoid")
    w = np.exp(_log_sigmoid(-beta * h))  # sigmoid(r_l - r_w): how wrong the implicit reward still is
    return -beta * w, beta * w


def dpo_loss_torch(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    *,
    beta: float = 0.1,
    loss_type: str = "sigmoid",
) -> torch.Tensor:
    """PyTorch mirror of :func:`dpo_loss` (same arguments); differentiable in the policy log-probs.

    The reference log-probs are detached, as they come from a frozen model.

    >>> import torch
    >>> from concepts.rlhf import dpo_loss_torch
    >>> pc = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    >>> loss = dpo_loss_torch(pc, torch.tensor([-6.0]).double(), torch.tensor([-5.0]).double(),
    ...                       torch.tensor([-5.0]).double(), beta=0.5).sum()
    >>> loss.backward()
    >>> round(loss.item(), 4), round(pc.grad.item(), 4)  # -beta * sigmoid(-1)
    (0.3133, -0.1345)
    """
    torch = require_torch()
    args = (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    pc, pr, rc, rr = (require_tensor(a, n) for a, n in zip(args, _LOGP_NAMES, strict=True))
    beta, h = _dpo_margin(pc, pr, rc.detach(), rr.detach(), beta, loss_type)
    if loss_type == "sigmoid":
        return -torch.nn.functional.logsigmoid(beta * h)
    if loss_type == "hinge":
        return torch.relu(1.0 - beta * h)
    return (h - 1.0 / (2.0 * beta)) ** 2


def kl_penalized_rewards(
    score: ArrayLike, logprobs: ArrayLike, ref_logprobs: ArrayLike, *, beta: float = 0.05, mask: ArrayLike | None = None
) -> np.ndarray:
    """PPO's per-token rewards for a response: a KL penalty on every token, the score on the last.

    ``r_t = -beta * (log pi(a_t) - log pi_ref(a_t))``, plus the reward model's ``score`` at
    the last response token, as in the PPO trainer ``trl`` shipped before version 1 (its
    ``"k1"`` KL estimator); ``trl`` 1.16 no longer includes PPO.

    :param score: the reward model's score of each response, shape ``(batch,)``.
    :param logprobs: ``log pi`` of each sampled token under the policy, ``(batch, seq_len)``.
    :param ref_logprobs: the same tokens under the reference model, ``(batch, seq_len)``.
    :param beta: the KL coefficient, > 0.
    :param mask: boolean ``(batch, seq_len)``, ``True`` for response tokens (padding after);
        every row needs at least one. ``None`` means all tokens.
    :returns: float64 rewards ``(batch, seq_len)``, 0 on padding.

    >>> import numpy as np
    >>> from concepts.rlhf import kl_penalized_rewards
    >>> r = kl_penalized_rewards([1.0], [[-1.0, -2.0, -0.5]], [[-1.5, -2.0, -1.0]], beta=0.1)
    >>> np.round(r, 4).tolist()  # the policy is 0.5 nats above the reference on tokens 0 and 2
    [[-0.05, 0.0, 0.95]]
    """
    beta = require_positive(beta, "beta")
    lp, ref = as_array(logprobs, "logprobs"), as_array(ref_logprobs, "ref_logprobs")
    score = as_array(score, "score")
    if lp.ndim != 2 or score.shape != lp.shape[:1]:
        raise ValueError(f"need logprobs (batch, seq_len) and score (batch,); got {lp.shape} and {score.shape}")
    _same_shape({"logprobs": lp, "ref_logprobs": ref})
    m = np.ones(lp.shape, bool) if mask is None else as_array(mask, "mask", dtype=bool)
    if m.shape != lp.shape or not m.any(axis=1).all():
        raise ValueError(f"mask must be boolean {lp.shape} with a True in every row; got shape {m.shape}")
    rewards = (
        np.where(m, -beta * (lp - ref), 0.0) + 0.0
    )  # + 0.0 turns -0.0 into 0.0  # -beta * (log pi - log pi_ref) per token
    last = m.shape[1] - 1 - np.argmax(m[:, ::-1], axis=1)  # index of the last response token
    rewards[np.arange(len(score)), last] += score
    return rewards


def gae(
    rewards: ArrayLike,
    values: ArrayLike,
    *,
    gamma: float = 1.0,
    lam: float = 0.95,
    dones: ArrayLike | None = None,
    last_value: ArrayLike = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Generalised advantage estimation over the last axis: ``A_t = sum_l (gamma lam)^l delta_{t+l}``.

    ``delta_t = r_t + gamma * V_{t+1} * (1 - done_t) - V_t``, computed backwards as
    ``A_t = delta_t + gamma * lam * (1 - done_t) * A_{t+1}``. ``done_t`` means the episode
    ended with step ``t``: nothing after it is bootstrapped or summed. The defaults
    (``gamma = 1``, ``lam = 0.95``, value 0 after the last token) are the usual ones for
    language models.

    :param rewards: ``(..., T)``.
    :param values: ``V(s_t)``, the shape of ``rewards``.
    :param gamma: discount in [0, 1].
    :param lam: GAE's lambda in [0, 1]: 0 gives the one-step TD error, 1 the Monte Carlo
        return minus the value.
    :param dones: boolean, the shape of ``rewards``; ``None`` means no step ends an episode.
    :param last_value: ``V`` of the state after step ``T - 1``, broadcast to ``(...)``.
    :returns: ``(advantages, returns)`` with ``returns = advantages + values``.

    >>> from concepts.rlhf import gae
    >>> adv, ret = gae([0.0, 0.0, 1.0], [0.5, 0.5, 0.5], gamma=1.0, lam=0.5)
    >>> adv.tolist(), ret.tolist()  # deltas (0, 0, 0.5), then A_t = delta_t + 0.5 A_{t+1}
    ([0.125, 0.25, 0.5], [0.625, 0.75, 1.0])
    """
    r, v = as_array(rewards, "rewards"), as_array(values, "values")
    _same_shape({"rewards": r, "values": v})
    for name, x in (("gamma", gamma), ("lam", lam)):
        if not 0.0 <= float(x) <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1]; got {x!r}")
    if r.ndim == 0 or r.shape[-1] == 0:
        raise ValueError(f"rewards must have shape (..., T) with T >= 1; got {r.shape}")
    d = np.zeros(r.shape, bool) if dones is None else as_array(dones, "dones", dtype=bool)
    _same_shape({"rewards": r, "dones": d})
    alive = 1.0 - d  # (1 - done_t): cut the bootstrap and the sum at an episode's end
    next_v = np.concatenate(
        [v[..., 1:], np.broadcast_to(as_array(last_value, "last_value"), r.shape[:-1])[..., None]], -1
    )
    delta = r + gamma * next_v * alive - v  # TD errors delta_t
    adv = np.zeros_like(r)
    running = np.zeros(r.shape[:-1])
    for t in range(r.shape[-1] - 1, -1, -1):
        running = delta[..., t] + gamma * lam * alive[..., t] * running  # A_t = delta_t + gamma lam A_{t+1}
        adv[..., t] = running
    return adv, adv + v


def ppo_clipped_loss(
    logprobs: ArrayLike,
    old_logprobs: ArrayLike,
    advantages: ArrayLike,
    *,
    clip_eps: float = 0.2,
    mask: ArrayLike | None = None,
) -> float:
    """PPO's clipped surrogate, as a loss to minimise: the mean over tokens of
    ``max(-A * rho, -A * clip(rho, 1 - eps, 1 + eps))``, ``rho = exp(log pi - log pi_old)``.

    The ``max`` of the two losses is the ``min`` of the two objectives: the pessimistic one,
    so the update gains nothing from pushing ``rho`` beyond ``1 + eps`` when ``A > 0`` or
    below ``1 - eps`` when ``A < 0``.

    :param logprobs: ``log pi_theta`` of the taken tokens, any shape (``(batch, seq_len)``).
    :param old_logprobs: the same under the policy that sampled them, same shape.
    :param advantages: same shape.
    :param clip_eps: the clip range, > 0 (0.2 worked best in the PPO paper).
    :param mask: boolean, ``True`` for the tokens averaged over; ``None`` means all.
    :returns: the loss as a float.

    >>> from concepts.rlhf import ppo_clipped_loss
    >>> import numpy as np
    >>> ratio = np.array([0.5, 1.0, 1.5])
    >>> round(ppo_clipped_loss(np.log(ratio), [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]), 4)  # -(0.5 + 1 + 1.2) / 3
    -0.9
    >>> round(ppo_clipped_loss(np.log(ratio), [0.0, 0.0, 0.0], [-1.0, -1.0, -1.0]), 4)  # (0.8 + 1 + 1.5) / 3
    1.1
    """
    lp, old, a = (
        as_array(x, n) for x, n in ((logprobs, "logprobs"), (old_logprobs, "old_logprobs"), (advantages, "advantages"))
    )
    _same_shape({"logprobs": lp, "old_logprobs": old, "advantages": a})
    eps = require_positive(clip_eps, "clip_eps")
    m = np.ones(lp.shape, bool) if mask is None else as_array(mask, "mask", dtype=bool)
    if m.shape != lp.shape or not m.any():
        raise ValueError(f"mask must be boolean of shape {lp.shape} with a True somewhere; got shape {m.shape}")
    ratio = np.exp(lp - old)  # rho_t = pi / pi_old
    losses = np.maximum(-a * ratio, -a * np.clip(ratio, 1.0 - eps, 1.0 + eps))  # -min(objectives)
    return float(losses[m].mean())


def grpo_advantages(rewards: ArrayLike, *, unbiased: bool = True, eps: float = 1e-4) -> np.ndarray:
    """GRPO's advantages: each reward minus its group's mean, over the group's std plus ``eps``.

    ``trl`` 1.16 (``scale_rewards="group"``) divides by the unbiased std (``n - 1``, Bessel's
    correction, as ``torch.std``) plus ``1e-4``; ``unbiased=False`` divides by ``n``.

    :param rewards: ``(num_groups, group_size)``: the rewards of ``group_size`` completions of
        each prompt.
    :returns: float64 advantages of the same shape; each row sums to 0.
    :raises ValueError: for ``group_size == 1`` with ``unbiased=True`` (the std is undefined).

    >>> import numpy as np
    >>> from concepts.rlhf import grpo_advantages
    >>> np.round(grpo_advantages([[1.0, 0.0, 0.0, 1.0]], eps=0.0), 4).tolist()  # std = sqrt(1/3)
    [[0.866, -0.866, -0.866, 0.866]]
    """
    r = as_array(rewards, "rewards")
    if r.ndim != 2 or r.size == 0:
        raise ValueError(f"rewards must have shape (num_groups, group_size); got {r.shape}")
    if unbiased and r.shape[1] < 2:
        raise ValueError(f"the unbiased std needs group_size >= 2; got {r.shape[1]}")
    if eps < 0:
        raise ValueError(f"eps must be >= 0; got {eps!r}")
    std = r.std(axis=1, ddof=1 if unbiased else 0, keepdims=True)
    return (r - r.mean(axis=1, keepdims=True)) / (std + eps)  # (r - mean) / (std + eps)
