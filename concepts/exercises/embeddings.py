"""Checks for the embeddings exercises: cosine similarity with broadcasting, and SGNS gradients.

The trusted references are ``torch.nn.functional.cosine_similarity`` and the normalised
matrix product (both float64, on vectors away from zero), values worked by hand, and
autograd through ``torch.nn.functional.logsigmoid`` in float64 for the skip-gram
negative-sampling loss. ``tests/concepts/test_embeddings.py`` runs the same checks on
``concepts.embeddings``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import CheckFailed, check, compare, expect

__all__ = ["CHECKS"]


def _torch_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    torch = require_torch()
    ta, tb = torch.from_numpy(np.asarray(a, dtype=np.float64)), torch.from_numpy(np.asarray(b, dtype=np.float64))
    ta, tb = torch.broadcast_tensors(ta, tb)
    return torch.nn.functional.cosine_similarity(ta, tb, dim=-1).numpy()


# ---------------------------------------------------------------- embeddings.cosine


@check(
    "cosine of two vectors, and along the last axis with broadcasting, equals F.cosine_similarity",
    section="embeddings-cosine",
)
def check_cosine_values(candidate: Callable) -> None:
    compare(
        candidate([1.0, 0.0], [1.0, 1.0]), 1 / math.sqrt(2.0), inputs={"a": [1.0, 0.0], "b": [1.0, 1.0]}, atol=1e-12
    )
    compare(candidate([1.0, 2.0, 2.0], [2.0, 2.0, 1.0]), 8 / 9, inputs={"a": [1, 2, 2], "b": [2, 2, 1]}, atol=1e-12)
    rng = np.random.default_rng(0)
    for a_shape, b_shape in (((3,), (3,)), ((4, 5), (4, 5)), ((1, 6), (3, 6)), ((2, 1, 7), (1, 4, 7))):
        a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        compare(candidate(a, b), _torch_cosine(a, b), inputs={"a": a, "b": b}, rtol=1e-10, atol=1e-12)


@check("A[:, None, :] against B[None, :, :] gives the (n, m) matrix of all pairs", section="embeddings-cosine")
def check_cosine_matrix(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((5, 8)), rng.standard_normal((3, 8))
    unit = lambda X: X / np.linalg.norm(X, axis=1, keepdims=True)  # noqa: E731
    got = candidate(A[:, None, :], B[None, :, :])
    compare(got, unit(A) @ unit(B).T, inputs={"A": A, "B": B}, what="the all-pairs matrix", rtol=1e-10, atol=1e-12)


@check(
    "vectors of size 1e-200 and 1e200 keep their angle (no underflow or overflow of the squares)",
    section="embeddings-cosine",
)
def check_cosine_extreme_scales(candidate: Callable) -> None:
    for scale in (1e-200, 1e200):
        a, b = scale * np.array([3.0, 4.0]), scale * np.array([4.0, 3.0])
        with np.errstate(all="ignore"):
            got = candidate(a, b)
        inputs = {"a": f"{scale:g} * [3.0, 4.0]", "b": f"{scale:g} * [4.0, 3.0]"}  # rounded arrays would show 0
        compare(got, 24 / 25, inputs=inputs, rtol=1e-12, atol=1e-12)


@check("a zero vector raises ValueError (its direction is undefined)", section="embeddings-cosine")
def check_cosine_zero_vector(candidate: Callable) -> None:
    try:
        with np.errstate(all="ignore"):
            got = candidate([0.0, 0.0], [1.0, 1.0])
    except ValueError:
        return
    except Exception as exc:
        raise CheckFailed(f"a zero vector must raise ValueError; got {type(exc).__name__}: {exc}") from None
    raise CheckFailed(f"a zero vector must raise ValueError; got {got!r} (PyTorch returns 0, but 0 means 'orthogonal')")


# ---------------------------------------------------------------- embeddings.sgns-grads


def _autograd_sgns(v_c: np.ndarray, u_o: np.ndarray, u_neg: np.ndarray):
    torch = require_torch()
    F = torch.nn.functional
    t = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)).requires_grad_() for a in (v_c, u_o, u_neg)]
    s_o = (t[0] * t[1]).sum(-1)
    s_neg = torch.einsum("...kd,...d->...k", t[2], t[0])
    loss = -F.logsigmoid(s_o) - F.logsigmoid(-s_neg).sum(-1)
    loss.sum().backward()
    return loss.detach().numpy(), *(x.grad.numpy() for x in t)


@check("all scores 0: loss 2 log 2 and grad_v_c = -u_o/2 + u_1/2 for one negative", section="embeddings-sgns-gradient")
def check_sgns_hand_worked(candidate: Callable) -> None:
    """v_c = 0 makes every score 0 and every sigmoid 1/2: L = log 2 + log 2, dL/dv_c = -1/2 u_o + 1/2 u_1,
    dL/du_o = -1/2 v_c = 0, dL/du_1 = 1/2 v_c = 0."""
    v_c, u_o, u_neg = np.zeros(2), np.array([1.0, 0.0]), np.array([[0.0, 1.0]])
    want = (2 * math.log(2.0), np.array([-0.5, 0.5]), np.zeros(2), np.zeros((1, 2)))
    compare(tuple(candidate(v_c, u_o, u_neg)), want, inputs={"v_c": v_c, "u_o": u_o, "u_neg": u_neg}, atol=1e-12)
    v_c = np.array([1.0, 1.0])  # s_o = 1, s_1 = -1: factors sigma(1) - 1 and sigma(-1)
    u_neg = np.array([[0.0, -1.0]])
    s = 1.0 / (1.0 + math.e)  # sigma(-1)
    want = (2 * math.log1p(math.exp(-1.0)), np.array([-s, -s]), np.array([-s, -s]), np.array([[s, s]]))
    compare(tuple(candidate(v_c, u_o, u_neg)), want, inputs={"v_c": v_c, "u_o": u_o, "u_neg": u_neg}, atol=1e-12)


@check(
    "loss and the three gradients equal autograd on random batches (k = 0 to 10 negatives)",
    section="embeddings-sgns-gradient",
)
def check_sgns_against_autograd(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    for batch, d, k in (((), 1, 1), ((1,), 3, 1), ((), 8, 5), ((4,), 5, 3), ((2, 3), 16, 10), ((3,), 4, 0)):
        v_c, u_o = rng.standard_normal((2, *batch, d))
        u_neg = rng.standard_normal((*batch, k, d))
        got = candidate(v_c, u_o, u_neg)
        expect(isinstance(got, tuple | list) and len(got) == 4, "return (loss, grad_v_c, grad_u_o, grad_u_neg)")
        compare(
            tuple(got),
            _autograd_sgns(v_c, u_o, u_neg),
            inputs={"v_c": v_c, "u_o": u_o, "u_neg": u_neg},
            rtol=1e-9,
            atol=1e-12,
        )


@check("scores in the thousands stay finite and exact (a stable log-sigmoid)", section="embeddings-sgns-gradient")
def check_sgns_large_scores(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    v_c, u_o = 30.0 * rng.standard_normal((2, 4, 8))
    u_neg = 30.0 * rng.standard_normal((4, 5, 8))
    with np.errstate(all="ignore"):
        got = candidate(v_c, u_o, u_neg)
    compare(
        tuple(got),
        _autograd_sgns(v_c, u_o, u_neg),
        inputs={"v_c": v_c, "u_o": u_o, "u_neg": u_neg},
        rtol=1e-9,
        atol=1e-9,
    )


CHECKS: dict[str, list] = {
    "embeddings.cosine": [
        check_cosine_values,
        check_cosine_matrix,
        check_cosine_extreme_scales,
        check_cosine_zero_vector,
    ],
    "embeddings.sgns-grads": [check_sgns_hand_worked, check_sgns_against_autograd, check_sgns_large_scores],
}
