"""A toy policy over a handful of whole responses for :mod:`concepts.rlhf` (a private helper).

Holds the KL-regularised optimum, DPO trained by gradient descent on a softmax policy, a
linear Bradley-Terry reward model and the reward-hacking curve the page draws, plus the
stable ``log sigmoid`` the losses share. The public names are re-exported by
:mod:`concepts.rlhf`, which is where the page and the API documentation find them; this file
exists only to keep each module short.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_positive, require_positive_int, require_rng

__all__ = [
    "fit_bradley_terry",
    "kl_regularized_policy",
    "reward_hacking_curve",
    "toy_dpo_train",
]


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)  # log sigma(x) = -log(1 + e^-x), no overflow for large |x|


# ---------------------------------------------------------------- a toy policy over whole responses


def kl_regularized_policy(ref_logits: ArrayLike, rewards: ArrayLike, *, beta: float) -> np.ndarray:
    """The maximiser of ``E_pi[r] - beta * KL(pi || pi_ref)``: ``pi*(y) ∝ pi_ref(y) exp(r(y) / beta)``.

    DPO starts from this closed form: solved for ``r``, it gives ``r = beta log(pi*/pi_ref) + const``.

    >>> import numpy as np
    >>> from concepts.rlhf import kl_regularized_policy
    >>> np.round(kl_regularized_policy([0.0, 0.0], [0.0, np.log(3.0)], beta=1.0), 4).tolist()
    [0.25, 0.75]
    """
    beta = require_positive(beta, "beta")
    z = as_array(ref_logits, "ref_logits") + as_array(rewards, "rewards") / beta
    e = np.exp(z - z.max())
    return e / e.sum()


def toy_dpo_train(
    ref_logits: ArrayLike,
    chosen: ArrayLike,
    rejected: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    beta: float = 0.1,
    lr: float = 1.0,
    steps: int = 200,
) -> np.ndarray:
    """Gradient descent on the mean sigmoid DPO loss for a softmax policy over ``K`` responses.

    The policy is ``pi = softmax(theta)`` starting from ``theta = ref_logits`` (so it begins
    equal to the reference). For a pair, ``log pi(w) - log pi(l) = theta_w - theta_l``, so the
    gradient is ``-beta * sigmoid(-beta h) * (e_w - e_l)``.

    :param ref_logits: ``(K,)``.
    :param chosen: indices of the preferred responses, ``(n,)``; ``rejected`` likewise.
    :param weights: optional non-negative weight per pair, ``(n,)`` (a weighted mean).
    :returns: the policy's probabilities before each step and after the last, ``(steps + 1, K)``.

    >>> from concepts.rlhf import toy_dpo_train
    >>> probs = toy_dpo_train([0.0, 0.0, 0.0], [0, 0], [1, 2], beta=0.5, steps=50)
    >>> probs[0].round(3).tolist(), bool(probs[-1, 0] > 0.9)
    ([0.333, 0.333, 0.333], True)
    """
    theta = as_array(ref_logits, "ref_logits").copy()
    w_idx, l_idx = (as_array(x, n, dtype=np.intp) for x, n in ((chosen, "chosen"), (rejected, "rejected")))
    if theta.ndim != 1 or w_idx.ndim != 1 or w_idx.shape != l_idx.shape:
        raise ValueError(
            f"need ref_logits (K,), chosen and rejected (n,); got {theta.shape}, {w_idx.shape}, {l_idx.shape}"
        )
    if not ((w_idx >= 0) & (w_idx < theta.size) & (l_idx >= 0) & (l_idx < theta.size)).all():
        raise ValueError(f"chosen and rejected must be indices in [0, {theta.size}); some are outside")
    pw = np.ones(w_idx.shape) if weights is None else as_array(weights, "weights")
    beta, steps = require_positive(beta, "beta"), require_positive_int(steps, "steps")
    pw = pw / pw.sum()
    ref_margin = theta[w_idx] - theta[l_idx]
    history = []
    for _ in range(steps):
        history.append(np.exp(theta - np.logaddexp.reduce(theta)))
        h = (theta[w_idx] - theta[l_idx]) - ref_margin  # log-ratio margin of each pair
        g = pw * beta * np.exp(_log_sigmoid(-beta * h))  # beta * sigmoid(-beta h), weighted
        grad = np.zeros_like(theta)
        np.add.at(grad, w_idx, -g)  # raise the chosen logit
        np.add.at(grad, l_idx, g)  # lower the rejected one
        theta -= lr * grad
    history.append(np.exp(theta - np.logaddexp.reduce(theta)))
    return np.stack(history)


def fit_bradley_terry(
    features_chosen: ArrayLike, features_rejected: ArrayLike, *, l2: float = 1e-3, lr: float = 0.5, steps: int = 500
) -> np.ndarray:
    """A linear reward model ``r(y) = phi(y) @ w`` fitted by gradient descent on the Bradley-Terry loss.

    :param features_chosen: ``phi`` of the preferred responses, ``(n, d)``; ``features_rejected`` likewise.
    :returns: the weights ``w``, ``(d,)``.

    >>> from concepts.rlhf import fit_bradley_terry
    >>> w = fit_bradley_terry([[1.0], [1.0], [0.0]], [[0.0], [0.0], [1.0]])  # feature 1 wins 2 of 3
    >>> round(float(w[0]), 2)  # log 2: sigmoid(w) = 2/3
    0.69
    """
    fc, fr = as_array(features_chosen, "features_chosen"), as_array(features_rejected, "features_rejected")
    if fc.ndim != 2 or fc.shape != fr.shape:
        raise ValueError(f"features must both have shape (n, d); got {fc.shape} and {fr.shape}")
    diff = fc - fr  # Bradley-Terry sees only phi(y_w) - phi(y_l)
    w = np.zeros(fc.shape[1])
    for _ in range(require_positive_int(steps, "steps")):
        s = np.exp(_log_sigmoid(-(diff @ w)))  # sigmoid(r_l - r_w)
        w -= lr * (-(s @ diff) / len(diff) + l2 * w)
    return w


def reward_hacking_curve(betas: ArrayLike, *, num_pairs: int = 300, rng: np.random.Generator | int | None = 0) -> dict:
    """Optimise a proxy reward fitted on short responses; the true reward of the result falls.

    Ten responses of lengths 1 to 10, true reward ``ell - 0.1 ell^2`` (best at length 5).
    Labellers compare only responses of length at most 5, where longer is better, so a
    Bradley-Terry reward model linear in length fits a positive slope: on the data it
    ranks responses exactly as the true reward does. The KL-regularised optimum of that
    proxy (:func:`kl_regularized_policy`, for a reference that prefers short answers)
    moves toward length 10 as ``beta`` shrinks: the proxy keeps rising while the true
    reward peaks and then falls.

    :param betas: KL coefficients, ``(m,)``.
    :returns: a dict of float64 arrays ``(m,)``: ``"kl"`` (``KL(pi || pi_ref)`` in nats),
        ``"proxy"`` and ``"true"`` (expected rewards), and the fitted ``"slope"`` (a float).

    >>> import numpy as np
    >>> from concepts.rlhf import reward_hacking_curve
    >>> curve = reward_hacking_curve([10.0, 1.0, 0.02])  # little, some, a lot of optimisation
    >>> np.round(curve["proxy"], 2).tolist(), np.round(curve["true"], 2).tolist()
    ([0.83, 1.32, 3.22], [1.56, 1.71, 0.0])
    """
    gen = require_rng(rng)
    lengths = np.arange(1.0, 11.0)
    true = lengths - 0.1 * lengths**2
    a, b = gen.integers(0, 5, size=(2, require_positive_int(num_pairs, "num_pairs")))  # lengths 1 to 5 only
    a_wins = gen.random(a.shape) < np.exp(_log_sigmoid(true[a] - true[b]))  # Bradley-Terry labels
    win, lose = np.where(a_wins, a, b), np.where(a_wins, b, a)
    slope = float(fit_bradley_terry(lengths[win, None], lengths[lose, None])[0])
    proxy = slope * lengths
    ref_logits = -0.5 * lengths  # the reference (SFT) policy prefers short answers
    ref = np.exp(ref_logits - np.logaddexp.reduce(ref_logits))
    out = {"kl": [], "proxy": [], "true": []}
    for beta in as_array(betas, "betas").ravel():
        pi = kl_regularized_policy(ref_logits, proxy, beta=beta)
        out["kl"].append(float(np.sum(pi * (np.log(pi + 1e-300) - np.log(ref)))))
        out["proxy"].append(float(pi @ proxy))
        out["true"].append(float(pi @ true))
    return {**{k: np.array(v) for k, v in out.items()}, "slope": slope}
