"""Checks for the feed-forward exercises: GELU in both forms, and a SwiGLU feed-forward network.

The trusted references are ``torch.nn.functional.gelu`` (``approximate="none"`` and
``"tanh"``) in float64, Python's correctly rounded ``math.erfc`` for GELU's far left tail
(where ``F.gelu``'s erf form itself loses digits), a Llama-style PyTorch module
``down(act(gate(x)) * up(x))`` with ``nn.Linear`` layers, and values worked by hand.
``tests/concepts/test_feed_forward.py`` runs the same checks on ``concepts.feed_forward``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from concepts._checks import require_torch
from concepts.exercises._harness import CheckFailed, check, compare, expect

__all__ = ["CHECKS"]


def _torch_gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    torch = require_torch()
    return torch.nn.functional.gelu(torch.from_numpy(np.asarray(x, dtype=np.float64)), approximate=approximate).numpy()


# ---------------------------------------------------------------- feed_forward.gelu


@check(
    "exact GELU (the default) equals F.gelu on a grid and on random arrays (lists accepted)",
    section="feed-forward-activations",
)
def check_gelu_exact(candidate: Callable) -> None:
    compare(
        candidate([-1.0, 0.0, 1.0]),
        _torch_gelu(np.array([-1.0, 0.0, 1.0]), "none"),
        inputs={"x": [-1.0, 0.0, 1.0]},
        rtol=1e-12,
        atol=1e-15,
    )
    rng = np.random.default_rng(0)
    for x in (np.linspace(-6.0, 6.0, 49), 3.0 * rng.standard_normal((2, 3, 4))):
        compare(candidate(x), _torch_gelu(x, "none"), inputs={"x": x}, rtol=1e-12, atol=1e-15)
        compare(candidate(x, approximate="none"), _torch_gelu(x, "none"), inputs={"x": x}, rtol=1e-12, atol=1e-15)


@check(
    "approximate='tanh' equals F.gelu(approximate='tanh'), 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))",
    section="feed-forward-activations",
)
def check_gelu_tanh(candidate: Callable) -> None:
    rng = np.random.default_rng(1)
    for x in (np.array([-1.0, 0.0, 1.0]), np.linspace(-6.0, 6.0, 49), 3.0 * rng.standard_normal((3, 5))):
        compare(candidate(x, approximate="tanh"), _torch_gelu(x, "tanh"), inputs={"x": x}, rtol=1e-12, atol=1e-15)


@check(
    "far left tail: GELU(-10) = -7.6e-23 to 6 digits, not 0 (use erfc, not 1 + erf)",
    section="feed-forward-gelu-conventions",
)
def check_gelu_left_tail(candidate: Callable) -> None:
    x = np.array([-8.0, -10.0, -20.0, -30.0])
    want = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])  # x Phi(x), correctly rounded erfc
    compare(candidate(x), want, inputs={"x": x}, rtol=1e-6, atol=0.0)


@check("an unknown approximate raises ValueError", section="feed-forward-gelu-conventions")
def check_gelu_bad_approximate(candidate: Callable) -> None:
    try:
        candidate([1.0], approximate="quick")
    except ValueError:
        return
    except Exception as exc:
        raise CheckFailed(f"approximate='quick' must raise ValueError; got {type(exc).__name__}: {exc}") from None
    raise CheckFailed("approximate='quick' must raise ValueError; nothing was raised")


# ---------------------------------------------------------------- feed_forward.swiglu


def _llama_mlp(x: np.ndarray, d_ff: int, activation: str, seed: int):
    """A Llama-style MLP down(act(gate(x)) * up(x)) of nn.Linear layers; returns (w, v, w2, output)."""
    torch = require_torch()
    nn, F = torch.nn, torch.nn.functional
    gen = torch.Generator().manual_seed(seed)
    d = x.shape[-1]
    gate, up, down = (nn.Linear(a, b, bias=False, dtype=torch.float64) for a, b in ((d, d_ff), (d, d_ff), (d_ff, d)))
    for m in (gate, up, down):
        nn.init.normal_(m.weight, std=0.5, generator=gen)
    act = {"silu": F.silu, "gelu": F.gelu, "relu": F.relu, "sigmoid": torch.sigmoid}[activation]
    with torch.no_grad():
        out = down(act(gate(torch.from_numpy(x))) * up(torch.from_numpy(x))).numpy()
    w, v, w2 = (m.weight.detach().numpy().T.copy() for m in (gate, up, down))  # nn.Linear stores (out, in)
    return w, v, w2, out


@check(
    "a token worked by hand: w = I, v = ones, x = (1, 0) gives (silu(1), 0) = (0.7311, 0)", section="feed-forward-glu"
)
def check_swiglu_hand_worked(candidate: Callable) -> None:
    """x W = (1, 0), SiLU gives (0.7311, 0); x V = (1, 1); the product (0.7311, 0) times W2 = I."""
    w, v, w2 = np.eye(2), np.ones((2, 2)), np.eye(2)
    x = np.array([[1.0, 0.0]])
    want = np.array([[1.0 / (1.0 + math.exp(-1.0)), 0.0]])
    compare(candidate(x, w, v, w2), want, inputs={"x": x, "w": w, "v": v, "w2": w2}, atol=1e-12)


@check("equals a Llama-style module down(silu(gate(x)) * up(x)) with copied weights", section="feed-forward-glu")
def check_swiglu_against_llama_module(candidate: Callable) -> None:
    rng = np.random.default_rng(2)
    for batch, d, d_ff in (((1,), 1, 1), ((1, 1), 4, 6), ((5,), 3, 8), ((2, 6), 8, 16)):
        x = rng.standard_normal((*batch, d))
        w, v, w2, want = _llama_mlp(x, d_ff, "silu", seed=d * 100 + d_ff)
        got = candidate(x, w, v, w2)
        expect(
            np.shape(got) == want.shape, f"the output has shape {np.shape(got)}; expected {want.shape} for x {x.shape}"
        )
        compare(got, want, inputs={"x": x, "w": w, "v": v, "w2": w2}, rtol=1e-10, atol=1e-12)


@check(
    "activation= switches the gate: 'gelu' is GEGLU, 'relu' ReGLU, 'sigmoid' Dauphin's GLU", section="feed-forward-glu"
)
def check_other_gates(candidate: Callable) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4))
    for activation in ("gelu", "relu", "sigmoid"):
        w, v, w2, want = _llama_mlp(x, 6, activation, seed=7)
        got = candidate(x, w, v, w2, activation=activation)
        compare(got, want, inputs={"x": x, "activation": activation}, rtol=1e-10, atol=1e-12)


CHECKS: dict[str, list] = {
    "feed_forward.gelu": [check_gelu_exact, check_gelu_tanh, check_gelu_left_tail, check_gelu_bad_approximate],
    "feed_forward.swiglu": [check_swiglu_hand_worked, check_swiglu_against_llama_module, check_other_gates],
}
