"""Checks for the speculative decoding exercises: verifying one drafted token, and one full step.

The trusted references are values worked by hand, the identity that makes speculative
sampling exact (a token drafted from ``q``, kept with probability ``a(x)`` and otherwise
replaced by a residual sample, is emitted with probability ``p(x)`` for every ``x``), and,
for a whole step, frequencies over many seeded runs compared with the target's
distribution and with the expected length ``1 + a_1 + a_1 a_2 + ...`` derived on the page.
``tests/concepts/test_speculative_decoding.py`` runs the same checks on ours.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from concepts.exercises._harness import check, compare, expect

__all__ = ["CHECKS"]


# ---------------------------------------------------------------- speculative_decoding.verify-token


@check("acceptance min(1, p/q) and the residual on hand-worked tables", section="speculative-decoding-rule")
def check_hand_worked(candidate: Callable) -> None:
    """p = (0.6, 0.3, 0.1), q = (0.2, 0.2, 0.6): p - q = (0.4, 0.1, -0.5), so the residual is
    (0.4, 0.1, 0) / 0.5 = (0.8, 0.2, 0). Token 2 is kept with 0.1 / 0.6 = 1/6."""
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.2, 0.6])
    accept, residual = candidate(p, q, 2)
    compare(accept, 1 / 6, inputs={"p": p, "q": q, "token": 2}, what="the acceptance probability", atol=1e-12)
    compare(residual, [0.8, 0.2, 0.0], inputs={"p": p, "q": q, "token": 2}, what="the residual", atol=1e-12)


@check("a token the draft under-proposes (p > q) is always kept: min(1, p/q) = 1", section="speculative-decoding-rule")
def check_acceptance_capped(candidate: Callable) -> None:
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.2, 0.6])
    for token, want in ((0, 1.0), (1, 1.0)):
        got, _ = candidate(p, q, token)
        compare(got, want, inputs={"p": p, "q": q, "token": token}, what="the acceptance probability", atol=1e-12)


@check(
    "draft from q, keep or resample: every token comes out with probability p (random tables)",
    section="speculative-decoding-exact",
)
def check_emits_target_distribution(candidate: Callable) -> None:
    """P(emit y) = q(y) a(y) + (1 - sum_x q(x) a(x)) r(y) must equal p(y) for all y."""
    rng = np.random.default_rng(0)
    for vocab in (2, 3, 5, 8):
        p, q = rng.dirichlet(np.ones(vocab)), rng.dirichlet(np.ones(vocab))
        results = [candidate(p, q, x) for x in range(vocab)]
        accept = np.array([float(a) for a, _ in results])
        residual = np.asarray(results[0][1], dtype=float)
        emitted = q * accept + (1 - (q * accept).sum()) * residual
        compare(emitted, p, inputs={"p": p, "q": q}, what="the probability of emitting each token", atol=1e-12)


@check(
    "p equal to q: every draft is kept, and the residual is still a distribution", section="speculative-decoding-rule"
)
def check_identical_models(candidate: Callable) -> None:
    p = np.array([0.5, 0.25, 0.25])
    accept, residual = candidate(p, p.copy(), 1)
    compare(accept, 1.0, inputs={"p": p, "q": p, "token": 1}, what="the acceptance probability", atol=1e-12)
    residual = np.asarray(residual, dtype=float)
    expect(
        residual.shape == (3,) and np.isfinite(residual).all() and abs(residual.sum() - 1) < 1e-12,
        f"with p == q the residual must still be a probability vector (return p); got {residual}",
    )


# ---------------------------------------------------------------- speculative_decoding.step


@check(
    "hand-worked steps: all accepted plus a bonus, and rejections at the first and second draft",
    section="speculative-decoding-rule",
)
def check_deterministic_steps(candidate: Callable) -> None:
    """One-hot targets make every outcome certain. (1) q = p: drafts 1, 2 kept, bonus 0.
    (2) the target gives draft 0 no mass: rejected, residual max(0, p - q) = (0, 0.5, 0) / 0.5
    picks 1, and nothing else follows. (3) the first draft kept, the second rejected, 2 from
    the residual."""
    onehot = np.eye(3)
    cases = [
        (onehot[[1, 2, 0]], onehot[[1, 2]], [1, 2], [1, 2, 0]),
        (np.array([[0.0, 1.0, 0.0], [1, 0, 0], [1, 0, 0]]), np.array([[0.5, 0.5, 0.0], [1, 0, 0]]), [0, 0], [1]),
        (np.array([[0.0, 1.0, 0.0], [0, 0, 1], [1, 0, 0]]), np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0]]), [1, 0], [1, 2]),
    ]
    for p, q, draft, want in cases:
        for seed in range(5):
            got = np.asarray(candidate(p, q, np.array(draft), rng=np.random.default_rng(seed)))
            inputs = {"p": p, "q": q, "draft": np.array(draft)}
            expect(
                got.shape == (len(want),),
                f"expected {len(want)} tokens {want}, got {got.tolist()} for p = {p.tolist()}, q = {q.tolist()}, "
                f"draft = {draft}: after a rejection the step ends with the residual token (no bonus)",
            )
            compare(got, want, inputs=inputs, what="the tokens", atol=0)


def _runs(candidate: Callable, p: np.ndarray, q: np.ndarray, n: int) -> list[np.ndarray]:
    draw, step = np.random.default_rng(1), np.random.default_rng(2)
    outs = []
    for _ in range(n):
        draft = np.array([draw.choice(q.shape[1], p=row) for row in q])  # what the draft model would propose
        outs.append(np.asarray(candidate(p, q, draft, rng=step)))
    return outs


P_TABLE = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])
Q_TABLE = np.array([[0.1, 0.3, 0.6], [0.4, 0.4, 0.2]])


@check(
    "over 4000 seeded steps the first two tokens follow the target's p (within 5 standard errors)",
    section="speculative-decoding-exact",
)
def check_output_distribution(candidate: Callable) -> None:
    outs = _runs(candidate, P_TABLE, Q_TABLE, 4000)
    for i in (0, 1):
        tokens = np.array([o[i] for o in outs if len(o) > i])
        freq = np.bincount(tokens, minlength=3)[:3] / len(tokens)
        tol = 5 * np.sqrt(P_TABLE[i] * (1 - P_TABLE[i]) / len(tokens)).max()
        compare(freq, P_TABLE[i], inputs={"p": P_TABLE, "q": Q_TABLE}, what=f"the frequencies of token {i}", atol=tol)


@check(
    "mean tokens per step equals 1 + a1 + a1 a2 with a_i = sum min(p_i, q_i) (within 5 standard errors)",
    section="speculative-decoding-speed",
)
def check_mean_length(candidate: Callable) -> None:
    outs = _runs(candidate, P_TABLE, Q_TABLE, 4000)
    a = np.minimum(P_TABLE[:2], Q_TABLE).sum(-1)  # (0.5, 0.8)
    lengths = np.array([len(o) for o in outs], dtype=float)
    tol = 5 * lengths.std() / np.sqrt(len(lengths))
    compare(
        lengths.mean(), 1 + a[0] + a[0] * a[1], inputs={"p": P_TABLE, "q": Q_TABLE}, what="the mean length", atol=tol
    )


CHECKS: dict[str, list] = {
    "speculative_decoding.verify-token": [
        check_hand_worked,
        check_acceptance_capped,
        check_emits_target_distribution,
        check_identical_models,
    ],
    "speculative_decoding.step": [check_deterministic_steps, check_output_distribution, check_mean_length],
}
