"""Feed-forward networks and their activations checked against PyTorch in float64.

References: ``F.relu``, ``F.gelu`` (``approximate="none"`` and ``"tanh"``), ``F.silu``,
``torch.sigmoid`` and ``F.glu`` for values, autograd on those for derivatives, an
``nn.Sequential`` of two ``nn.Linear`` with copied weights for the plain FFN, and a Llama-style
module (``down(act(gate(x)) * up(x))``) for the GLU variants. Each ``check_*`` takes the
implementation under test, so the same checks can grade a learner's solution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import bank_tolerance, check_numeric_keys
from torch import nn

from concepts.feed_forward import (
    ACTIVATIONS,
    GLU_VARIANTS,
    act,
    act_grad,
    act_torch,
    feed_forward,
    feed_forward_torch,
    ffn_param_count,
    gated_feed_forward,
    gated_feed_forward_torch,
    gelu,
    glu,
    glu_torch,
    llama_hidden_size,
)

BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "feed_forward.json"
TORCH_ACT: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda t: t,
    "relu": F.relu,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,  # approximate="none" is the default
    "gelu_tanh": partial(F.gelu, approximate="tanh"),
    "silu": F.silu,
}
TORCH_MODULE = {"relu": nn.ReLU, "gelu": nn.GELU, "gelu_tanh": partial(nn.GELU, approximate="tanh"), "silu": nn.SiLU}


def t64(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64))  # keeps 0-d arrays 0-d


def assert_close(got, want) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def torch_as_numpy(fn: Callable) -> Callable:
    """Wrap a PyTorch mirror so it takes NumPy arrays and returns one (float64 stays float64)."""

    def wrapped(*arrays, **kwargs):
        kwargs = {k: t64(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return fn(*(t64(a) for a in arrays), **kwargs).numpy()

    return wrapped


def sample(shape: tuple[int, ...], scale: float, seed: int = 0) -> np.ndarray:
    """Random inputs of the given size, with the points where activations are delicate added."""
    x = scale * np.random.default_rng(seed).standard_normal(shape)
    special = np.array([0.0, -0.0, 1e-8, -1e-8, 1.0, -1.0, 2.7, -2.7, 10.0, -10.0, 40.0, -40.0, 1e3, -1e3])
    return np.concatenate([x.ravel(), special])


# ---------------------------------------------------------------- activations

SHAPES = [(1,), (1, 1), (2, 3, 4)]
SCALES = [1.0, 5.0, 50.0]  # 50: large magnitudes, where sigmoid's exp and GELU's erf underflow
ACT_IMPLS = {"numpy": act, "torch": lambda x, name: act_torch(t64(x), name).numpy()}


def check_activation_values(act_fn: Callable, name: str, shape: tuple[int, ...], scale: float) -> None:
    """Values equal PyTorch's built-in activation, on random inputs and the delicate points."""
    x = sample(shape, scale)
    got = act_fn(x, name)
    assert got.shape == x.shape and np.isfinite(got).all()
    assert_close(got, TORCH_ACT[name](t64(x)).numpy())
    x = scale * np.random.default_rng(1).standard_normal(shape)  # and on the shape itself
    got = act_fn(x, name)
    assert got.shape == shape
    assert_close(got, TORCH_ACT[name](t64(x)).numpy())


@pytest.mark.parametrize("impl", ACT_IMPLS)
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_values_match_torch(impl: str, name: str, shape, scale: float) -> None:
    check_activation_values(ACT_IMPLS[impl], name, shape, scale)


def check_activation_derivative(grad_fn: Callable, name: str, scale: float) -> None:
    """The derivative equals autograd's through PyTorch's activation (ReLU'(0) = 0 as in PyTorch)."""
    x = sample((40,), scale, seed=2)
    t = t64(x).requires_grad_()
    (want,) = torch.autograd.grad(TORCH_ACT[name](t).sum(), t)
    assert_close(grad_fn(x, name), want.numpy())


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_derivative_matches_autograd(name: str, scale: float) -> None:
    check_activation_derivative(act_grad, name, scale)


def check_torch_activation_autograd(act_torch_fn: Callable, name: str, scale: float) -> None:
    """A PyTorch activation written from its formula has the values and gradients of the built-in."""
    x = sample((3, 40), scale, seed=3)
    mine, ref = (t64(x).requires_grad_() for _ in range(2))
    up = t64(np.random.default_rng(4).standard_normal(x.shape))  # a random upstream gradient
    out_mine, out_ref = act_torch_fn(mine, name), TORCH_ACT[name](ref)
    (out_mine * up).sum().backward()
    (out_ref * up).sum().backward()
    assert_close(out_mine.detach().numpy(), out_ref.detach().numpy())
    assert_close(mine.grad.numpy(), ref.grad.numpy())


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_torch_activation_gradients_match_builtin(name: str, scale: float) -> None:
    check_torch_activation_autograd(act_torch, name, scale)


def test_gelu_function_and_torch_default_is_exact() -> None:
    x = sample((50,), 3.0, seed=5)
    assert_close(gelu(x), F.gelu(t64(x)).numpy())
    assert_close(gelu(x, approximate="tanh"), F.gelu(t64(x), approximate="tanh").numpy())
    assert_close(gelu(x), nn.GELU()(t64(x)).numpy())  # nn.GELU's default is exact too
    assert not np.allclose(gelu(x), gelu(x, approximate="tanh"), rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["relu", "gelu", "gelu_tanh", "silu"])
def test_activation_minus_its_mirror_image_is_x(name: str) -> None:
    """x F(x) - (-x) F(-x) = x (F(x) + F(-x)) = x for a gate F with F(-x) = 1 - F(x)."""
    x = np.linspace(-6, 6, 241)
    np.testing.assert_allclose(act(x, name) - act(-x, name), x, atol=1e-12)


def test_gelu_tanh_error_is_below_5e_4() -> None:
    """The tanh form misses exact GELU by at most 4.7e-4, near |x| = 2.7, exactly 0 at 0, under 1e-8 beyond |x| = 6."""
    x = np.linspace(-8, 8, 160_001)
    diff = act(x, "gelu") - act(x, "gelu_tanh")
    worst = np.abs(diff).argmax()
    assert 4.6e-4 < abs(diff[worst]) < 5e-4
    assert 2.6 < abs(x[worst]) < 2.8
    assert abs(diff[x == 0][0]) == 0 and np.abs(diff[np.abs(x) > 6]).max() < 1e-8
    np.testing.assert_allclose(diff, diff[::-1], rtol=0, atol=1e-14)  # even: both forms satisfy f(x) - f(-x) = x


def test_minima_of_gelu_and_silu() -> None:
    """GELU dips to -0.170 at x = -0.752; SiLU to -0.278 at x = -1.278 (where the derivatives vanish)."""
    x = np.linspace(-3, 0, 300_001)
    for name, x_min, y_min in (("gelu", -0.752, -0.170), ("silu", -1.278, -0.278)):
        y = act(x, name)
        assert abs(x[y.argmin()] - x_min) < 1e-3 and abs(y.min() - y_min) < 1e-3
        assert abs(act_grad(x[y.argmin()], name)) < 1e-4


def test_quick_gelu_is_within_0_021_of_gelu() -> None:
    """x sigmoid(1.702 x), the sigmoid approximation of GELU (CLIP's quick_gelu), errs by at most 0.021."""
    x = np.linspace(-8, 8, 16_001)
    err = np.abs(x * act(1.702 * x, "sigmoid") - act(x, "gelu")).max()
    assert 0.019 < err < 0.021
    tanh_err = np.abs(act(x, "gelu_tanh") - act(x, "gelu")).max()
    assert 40 < err / tanh_err < 45  # "over forty times" the tanh form's error


@pytest.mark.parametrize("beta", [1.0, 10.0, 100.0])
def test_swish_tends_to_relu_as_beta_grows(beta: float) -> None:
    """x sigmoid(beta x) = SiLU(beta x) / beta, so its largest gap to ReLU is SiLU's dip, 0.278, over beta."""
    x = np.linspace(-10, 10, 200_001)
    swish = x * act(beta * x, "sigmoid")
    assert round(float(np.abs(swish - act(x, "relu")).max()) * beta, 3) == 0.278


def test_relu_grad_at_zero_is_zero_like_torch_but_clamp_says_one() -> None:
    t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    F.relu(t).sum().backward()
    assert t.grad.item() == 0.0 == float(act_grad(0.0, "relu"))
    c = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    c.clamp_min(0.0).sum().backward()
    assert c.grad.item() == 1.0


def test_derivatives_overshoot_one() -> None:
    """GELU' peaks at 1.129 at x = sqrt(2) (where d/dx (Phi + x phi) = (2 - x^2) phi = 0); SiLU' at 1.100 near 2.40."""
    x = np.linspace(0, 6, 600_001)
    for name, x_max, g_max in (("gelu", math.sqrt(2), 1.129), ("silu", 2.40, 1.100)):
        g = act_grad(x, name)
        assert abs(x[g.argmax()] - x_max) < 2e-3 and round(float(g.max()), 3) == g_max


def test_erfc_keeps_the_left_tail_that_erf_loses() -> None:
    """x (1 + erf(x / sqrt 2)) / 2 is 2% off at x = -8 and exactly 0 from -8.5 on; the erfc form is exact."""
    from scipy.special import ndtr  # an independent, accurate normal CDF

    def naive(v: float) -> float:
        return v * 0.5 * (1 + math.erf(v / math.sqrt(2)))

    x = np.array([-8.0, -8.5, -9.0, -12.0, -20.0, -30.0])
    want = x * ndtr(x)
    np.testing.assert_allclose(gelu(x), want, rtol=1e-12)
    assert (gelu(x) < 0).all()
    assert 0.01 < abs(naive(-8.0) / want[0] - 1) < 0.03
    assert naive(-8.5) == 0.0 and naive(-9.0) == 0.0
    assert np.abs(F.gelu(t64(x)).numpy() - want).max() < 1e-14  # PyTorch's erf form: tiny absolute error


def test_ffn_and_attention_costs_cross_at_n_4d_and_2d() -> None:
    """Per token: FFN 2 d (4d) = 8 d^2 multiply-adds; mixing over n keys n d (scores) + n d (weighted sum).

    Mixing alone equals the FFN at n = 4d; with the 4 d^2 of the projections, attention equals it at n = 2d.
    """
    for d in (512, 4096):
        ffn = ffn_param_count(d, 4 * d)  # one multiply-add per weight
        mixing = {n: n * d + n * d for n in (2 * d, 4 * d, 8 * d)}
        assert mixing[2 * d] < ffn == mixing[4 * d] < mixing[8 * d]
        attention = {n: 4 * d * d + 2 * n * d for n in (d, 2 * d, 3 * d)}  # projections + mixing
        assert attention[d] < ffn == attention[2 * d] < attention[3 * d]
    assert 4 * 4096 == 16_384


# ---------------------------------------------------------------- GLU


def check_glu(glu_fn: Callable, *, kw: str = "axis") -> None:
    """Equals F.glu along every axis: the first half is the value, the second the gate."""
    rng = np.random.default_rng(6)
    for shape, axis in (((2,), -1), ((4, 6), -1), ((4, 6), 0), ((2, 4, 3), 1), ((1, 1, 8), -1)):
        x = 20 * rng.standard_normal(shape)
        assert_close(glu_fn(x, **{kw: axis}), F.glu(t64(x), dim=axis).numpy())
    a, b = np.array([3.0]), np.array([0.0])
    assert_close(glu_fn(np.concatenate([a, b]), **{kw: -1}), [1.5])  # a * sigmoid(0), not sigmoid(a) * b


def test_glu_matches_torch() -> None:
    check_glu(glu)
    check_glu(torch_as_numpy(glu_torch), kw="dim")


def test_glu_torch_gradients_match_builtin() -> None:
    x = t64(5 * np.random.default_rng(7).standard_normal((3, 8)))
    mine, ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    glu_torch(mine).pow(2).sum().backward()
    F.glu(ref, dim=-1).pow(2).sum().backward()
    assert_close(mine.grad.numpy(), ref.grad.numpy())


# ---------------------------------------------------------------- the FFN

FFN_CASES = [  # (batch axes, d_model, d_ff)
    ((1, 1), 1, 1),  # batch of one, length 1, width 1
    ((1, 1), 4, 16),  # one token
    ((5,), 3, 7),  # no batch axis: (seq, d_model)
    ((2, 6), 8, 32),
    ((3, 4), 16, 24),
]


def sequential(d_model: int, d_ff: int, name: str, bias: bool) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(d_model, d_ff, bias=bias, dtype=torch.float64),
        TORCH_MODULE[name](),
        nn.Linear(d_ff, d_model, bias=bias, dtype=torch.float64),
    )


def check_against_sequential(ffn_fn: Callable, name: str, batch, d_model: int, d_ff: int, bias: bool) -> None:
    """Equals nn.Sequential(Linear, activation, Linear) once its (out, in) weights are transposed."""
    net = sequential(d_model, d_ff, name, bias)
    x = 3 * np.random.default_rng(8).standard_normal((*batch, d_model))
    w1, w2 = (net[i].weight.detach().numpy().T for i in (0, 2))  # nn.Linear stores W^T
    biases = {"b1": net[0].bias.detach().numpy(), "b2": net[2].bias.detach().numpy()} if bias else {}
    got = ffn_fn(x, w1, w2, activation=name, **biases)
    with torch.no_grad():
        want = net(t64(x)).numpy()
    assert got.shape == (*batch, d_model)
    assert_close(got, want)
    assert ffn_param_count(d_model, d_ff, bias=bias) == sum(p.numel() for p in net.parameters())


FFN_IMPLS = {"numpy": feed_forward, "torch": torch_as_numpy(feed_forward_torch)}


@pytest.mark.parametrize("impl", FFN_IMPLS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("name", ["relu", "gelu", "gelu_tanh", "silu"])
@pytest.mark.parametrize("case", FFN_CASES, ids=lambda c: "x".join(map(str, (*c[0], *c[1:]))))
def test_ffn_matches_sequential(impl: str, name: str, bias: bool, case) -> None:
    check_against_sequential(FFN_IMPLS[impl], name, *case, bias)


def check_position_wise(ffn_fn: Callable) -> None:
    """Each position is transformed alone: permuting the positions permutes the outputs."""
    rng = np.random.default_rng(9)
    x, w1, w2 = rng.standard_normal((2, 6, 4)), rng.standard_normal((4, 8)), rng.standard_normal((8, 4))
    out = ffn_fn(x, w1, w2, activation="gelu")
    perm = rng.permutation(6)
    assert_close(ffn_fn(x[:, perm], w1, w2, activation="gelu"), out[:, perm])
    assert_close(ffn_fn(x[1, 3], w1, w2, activation="gelu"), out[1, 3])  # one token on its own


@pytest.mark.parametrize("impl", FFN_IMPLS)
def test_ffn_is_position_wise(impl: str) -> None:
    check_position_wise(FFN_IMPLS[impl])


def test_ffn_is_a_sum_of_key_value_memories() -> None:
    """Geva et al.: FFN(x) = sum_i act(x . k_i) v_i, k_i column i of W1, v_i row i of W2.

    With ReLU and random weights about half of the coefficients are exactly zero for a token.
    """
    rng = np.random.default_rng(10)
    x, w1, w2 = rng.standard_normal(16), rng.standard_normal((16, 64)), rng.standard_normal((64, 16))
    for name in ("relu", "gelu"):
        memories = sum(float(act(x @ w1[:, i], name)) * w2[i] for i in range(64))
        assert_close(feed_forward(x, w1, w2, activation=name), memories)
    coefficients = act(rng.standard_normal((1000, 16)) @ w1, "relu")
    assert 0.45 < (coefficients == 0).mean() < 0.55


class LlamaStyleMLP(nn.Module):
    """The reference gated FFN: down_proj(act(gate_proj(x)) * up_proj(x)), no biases."""

    def __init__(self, d_model: int, d_ff: int, name: str) -> None:
        super().__init__()
        self.gate_proj, self.up_proj = (nn.Linear(d_model, d_ff, bias=False, dtype=torch.float64) for _ in range(2))
        self.down_proj = nn.Linear(d_ff, d_model, bias=False, dtype=torch.float64)
        self.act = TORCH_ACT[name]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))


def check_gated_against_reference(gated_fn: Callable, name: str, batch, d_model: int, d_ff: int) -> None:
    torch.manual_seed(1)
    ref = LlamaStyleMLP(d_model, d_ff, name)
    x = 3 * np.random.default_rng(11).standard_normal((*batch, d_model))
    w, v, w2 = (m.weight.detach().numpy().T for m in (ref.gate_proj, ref.up_proj, ref.down_proj))
    with torch.no_grad():
        want = ref(t64(x)).numpy()
    got = gated_fn(x, w, v, w2, activation=name)
    assert got.shape == (*batch, d_model)
    assert_close(got, want)
    assert ffn_param_count(d_model, d_ff, gated=True) == sum(p.numel() for p in ref.parameters())


GATED_IMPLS = {"numpy": gated_feed_forward, "torch": torch_as_numpy(gated_feed_forward_torch)}


@pytest.mark.parametrize("impl", GATED_IMPLS)
@pytest.mark.parametrize("name", [*GLU_VARIANTS.values(), "gelu_tanh"])
@pytest.mark.parametrize("case", FFN_CASES, ids=lambda c: "x".join(map(str, (*c[0], *c[1:]))))
def test_gated_ffn_matches_llama_style_module(impl: str, name: str, case) -> None:
    check_gated_against_reference(GATED_IMPLS[impl], name, *case)


def test_swiglu_is_the_default_and_glu_variant_equals_f_glu() -> None:
    """The sigmoid gate is Dauphin's GLU: F.glu on x [V | W], one fused projection, then W2."""
    rng = np.random.default_rng(12)
    x, w, v, w2 = rng.standard_normal((3, 5, 8)), *rng.standard_normal((2, 8, 12)), rng.standard_normal((12, 8))
    assert_close(gated_feed_forward(x, w, v, w2), gated_feed_forward(x, w, v, w2, activation="silu"))
    fused = F.glu(t64(x @ np.concatenate([v, w], axis=1)), dim=-1).numpy() @ w2
    assert_close(gated_feed_forward(x, w, v, w2, activation=GLU_VARIANTS["glu"]), fused)


def test_swiglu_torch_gradients_match_reference() -> None:
    """Gradients of the SwiGLU mirror with respect to the input and all three weights equal the module's."""
    torch.manual_seed(2)
    ref = LlamaStyleMLP(6, 16, "silu")
    x = torch.randn(2, 5, 6, dtype=torch.float64, requires_grad=True)
    ref(x).pow(2).sum().backward()
    weights = [m.weight.detach().T.clone().requires_grad_() for m in (ref.gate_proj, ref.up_proj, ref.down_proj)]
    x2 = x.detach().clone().requires_grad_()
    gated_feed_forward_torch(x2, *weights).pow(2).sum().backward()
    assert_close(x2.grad.numpy(), x.grad.numpy())
    for mine, m in zip(weights, (ref.gate_proj, ref.up_proj, ref.down_proj), strict=True):
        assert_close(mine.grad.T.numpy(), m.weight.grad.numpy())


def test_hand_worked_example() -> None:
    """d_model = 2, d_ff = 3, derived by hand.

    x = (1, -1), W1 = [[1, 0, 1], [0, 1, 1]], so h = x W1 = (1, -1, 0).
    W2 has rows (1, 2), (3, 4), (5, 6).
    ReLU: act(h) = (1, 0, 0), output = row 1 = (1, 2).
    GELU: act(h) = (Phi(1), -Phi(-1), 0) = (0.841345, -0.158655, 0), since GELU(-1) = -1 * Phi(-1)
    and Phi(-1) = 1 - Phi(1). Output = 0.841345 (1, 2) - 0.158655 (3, 4) = (0.365380, 1.048069).
    SwiGLU with W = W1 and V = [[1, 1, 1], [0, 0, 0]]: x V = (1, 1, 1), the gate is
    SiLU(h) = (sigma(1), -sigma(-1), 0) = (0.731059, -0.268941, 0) with sigma(1) = e / (1 + e);
    output = 0.731059 (1, 2) - 0.268941 (3, 4) = (-0.075765, 0.386351).
    With b1 = (0, 2, 0) and b2 = (10, 20), ReLU gives (1, 1, 0) -> (1 + 3, 2 + 4) + b2 = (14, 26).
    """
    x = np.array([1.0, -1.0])
    w1 = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    w2 = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    v = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    phi1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    s1 = math.e / (1 + math.e)
    for ffn, gated in ((feed_forward, gated_feed_forward), (FFN_IMPLS["torch"], GATED_IMPLS["torch"])):
        assert_close(ffn(x, w1, w2), [1.0, 2.0])
        assert_close(ffn(x, w1, w2, activation="gelu"), [phi1 - 3 * (1 - phi1), 2 * phi1 - 4 * (1 - phi1)])
        np.testing.assert_allclose(ffn(x, w1, w2, activation="gelu"), [0.365380, 1.048069], atol=1e-6)
        assert_close(gated(x, w1, v, w2), [s1 - 3 * (1 - s1), 2 * s1 - 4 * (1 - s1)])
        np.testing.assert_allclose(gated(x, w1, v, w2), [-0.075765, 0.386351], atol=1e-6)
        assert_close(ffn(x, w1, w2, b1=np.array([0.0, 2.0, 0.0]), b2=np.array([10.0, 20.0])), [14.0, 26.0])


# ---------------------------------------------------------------- sizes and parameter counts


@pytest.mark.parametrize(
    "model, d_model, multiple_of, multiplier, d_ff",
    [
        ("Llama-7B (also Llama-2-7B)", 4096, 256, None, 11008),
        ("Llama-2-13B", 5120, 256, None, 13824),
        ("Llama-2-70B", 8192, 4096, 1.3, 28672),
        ("Llama-3-8B", 4096, 1024, 1.3, 14336),
    ],
)
def test_llama_hidden_sizes(model: str, d_model: int, multiple_of: int, multiplier, d_ff: int) -> None:
    assert llama_hidden_size(d_model, multiple_of=multiple_of, ffn_dim_multiplier=multiplier) == d_ff, model
    assert llama_hidden_size(d_model, multiple_of=multiple_of, ffn_dim_multiplier=multiplier) % multiple_of == 0


def test_llama_7b_ffn_param_count() -> None:
    """Per layer: 3 * 4096 * 11008 = 135,266,304 FFN weights vs 4 * 4096^2 = 67,108,864 in attention.

    The FFN is 66.8% of the block's matrices, and 0.8% above the 2 * 4096 * 16384 of an ungated 4d FFN.
    """
    d = 4096
    ffn = ffn_param_count(d, llama_hidden_size(d), gated=True)
    assert ffn == 135_266_304 and 4 * d * d == 67_108_864
    assert round(ffn / (ffn + 4 * d * d), 3) == 0.668
    assert round((ffn + 4 * d * d) / 1e6, 1) == 202.4 and round(ffn / 1e6, 2) == 135.27
    assert ffn_param_count(d, 4 * d) == 134_217_728
    assert round(ffn / ffn_param_count(d, 4 * d) - 1, 3) == 0.008


@pytest.mark.parametrize("d_model", [3, 96, 768, 3072])
def test_eight_thirds_gives_parameter_parity(d_model: int) -> None:
    """Three matrices at 8/3 d hold 3 * d * 8d/3 = 8 d^2 weights, as two at 4d do."""
    assert ffn_param_count(d_model, 8 * d_model // 3, gated=True) == ffn_param_count(d_model, 4 * d_model)


def test_shazeer_t5_setting_and_transformer_base() -> None:
    """Shazeer (2020): T5-base's d_ff = 3072 becomes 2048 for the GLU variants at equal size.

    Vaswani et al. base: d_model = 512, d_ff = 2048, with biases: 2 * 512 * 2048 + 2048 + 512 = 2,099,712.
    """
    assert ffn_param_count(768, 3072) == ffn_param_count(768, 2048, gated=True) == 4_718_592
    assert ffn_param_count(512, 2048, bias=True) == 2_099_712


def test_ffn_holds_two_thirds_of_a_block() -> None:
    """Without biases and norms, FFN 8 d^2 vs attention 4 d^2. GPT-2 small with biases and LayerNorms: 66.6%."""
    for d in (512, 768, 4096):
        assert ffn_param_count(d, 4 * d) / (ffn_param_count(d, 4 * d) + 4 * d * d) == pytest.approx(2 / 3)
    d = 768
    ffn, attn, norms = ffn_param_count(d, 4 * d, bias=True), 4 * d * d + 4 * d, 2 * 2 * d
    layer = nn.TransformerEncoderLayer(d, 12, dim_feedforward=4 * d)  # the same block, counted by PyTorch
    assert ffn + attn + norms == sum(p.numel() for p in layer.parameters())
    assert (ffn, attn, norms) == (4_722_432, 2_362_368, 3_072)
    assert round(ffn / (ffn + attn + norms), 3) == 0.666


# ---------------------------------------------------------------- bad input


def bad_ffn_inputs() -> list[tuple[tuple, dict, str]]:
    """(arguments, keyword arguments, the message that must name the problem)."""
    x, w1, w2 = np.zeros((2, 4)), np.zeros((4, 8)), np.zeros((8, 4))
    return [
        ((np.zeros(()), w1, w2), {}, r"x must have shape \(\.\.\., d_model\).*got \(\)"),
        ((np.zeros((2, 0)), w1, w2), {}, r"x must have shape .*non-zero"),
        ((x, np.zeros((5, 8)), w2), {}, r"w1 must have shape \(d_model, d_ff\) = \(4, d_ff\); got \(5, 8\)"),
        ((x, np.zeros(4), w2), {}, r"w1 must have shape .*got \(4,\)"),
        ((x, np.zeros((4, 8, 1)), w2), {}, r"w1 must have shape .*got \(4, 8, 1\)"),
        ((x, w1, np.zeros((7, 4))), {}, r"w2 must have shape \(d_ff, d_out\) = \(8, d_out\); got \(7, 4\)"),
        ((x, w1, w2), {"b1": np.zeros(4)}, r"b1 must have shape \(8,\); got \(4,\)"),
        ((x, w1, w2), {"b2": np.zeros((1, 4))}, r"b2 must have shape \(4,\); got \(1, 4\)"),
        ((x, w1, w2), {"activation": "swish"}, r"activation must be one of .*got 'swish'"),
    ]


def check_ffn_bad_input(ffn_fn: Callable) -> None:
    for args, kwargs, message in bad_ffn_inputs():
        with pytest.raises(ValueError, match=message):
            ffn_fn(*args, **kwargs)


@pytest.mark.parametrize("impl", FFN_IMPLS)
def test_ffn_bad_input(impl: str) -> None:
    check_ffn_bad_input(FFN_IMPLS[impl])


def check_gated_bad_input(gated_fn: Callable) -> None:
    x, w, w2 = np.zeros((2, 4)), np.zeros((4, 8)), np.zeros((8, 4))
    with pytest.raises(ValueError, match=r"v must have the shape of w, \(d_model, d_ff\) = \(4, 8\); got \(4, 6\)"):
        gated_fn(x, w, np.zeros((4, 6)), w2)
    with pytest.raises(ValueError, match=r"w2 must have shape \(d_ff, d_out\) = \(8, d_out\); got \(4, 8\)"):
        gated_fn(x, w, w, np.zeros((4, 8)))
    with pytest.raises(ValueError, match=r"activation must be one of .*got 'swiglu'"):
        gated_fn(x, w, w, w2, activation="swiglu")  # a variant's name, not its gate's


@pytest.mark.parametrize("impl", GATED_IMPLS)
def test_gated_bad_input(impl: str) -> None:
    check_gated_bad_input(GATED_IMPLS[impl])


def test_activation_bad_input() -> None:
    for fn in (act, act_grad, lambda x, n: act_torch(t64(x), n)):
        with pytest.raises(ValueError, match=r"activation must be one of \('identity', .*got 'tanh'"):
            fn(np.zeros(2), "tanh")
    with pytest.raises(ValueError, match=r"approximate must be 'none' or 'tanh'; got 'erf'"):
        gelu([1.0], approximate="erf")
    for fn, kw in ((glu, "axis"), (torch_as_numpy(glu_torch), "dim")):
        with pytest.raises(ValueError, match=r"x must have an even, non-zero size along axis -1; got shape \(3,\)"):
            fn(np.zeros(3), **{kw: -1})
        with pytest.raises(ValueError, match=r"x must have an even, non-zero size along axis 0; got shape \(0, 2\)"):
            fn(np.zeros((0, 2)), **{kw: 0})
    with pytest.raises(ValueError, match=r"even, non-zero size .*got shape \(\)"):
        glu(1.0)


@pytest.mark.parametrize(
    "fn, args, kwargs, message",
    [
        (llama_hidden_size, (0,), {}, r"d_model must be a positive integer; got 0"),
        (llama_hidden_size, (4096.0,), {}, r"d_model must be a positive integer; got 4096\.0"),
        (llama_hidden_size, (4096,), {"multiple_of": 0}, r"multiple_of must be a positive integer; got 0"),
        (llama_hidden_size, (4096,), {"ffn_dim_multiplier": -1.3}, r"ffn_dim_multiplier must be .*got -1\.3"),
        (llama_hidden_size, (4096,), {"ffn_dim_multiplier": math.inf}, r"ffn_dim_multiplier must be .*got inf"),
        (ffn_param_count, (768, 0), {}, r"d_ff must be a positive integer; got 0"),
        (ffn_param_count, (True, 8), {}, r"d_model must be a positive integer; got True"),
        (ffn_param_count, (768, 2048), {"gated": True, "bias": True}, r"gated=True with bias=True"),
    ],
)
def test_size_bad_input(fn, args, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        fn(*args, **kwargs)


# ---------------------------------------------------------------- the bank's numeric answers


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed from the package rather than copied."""
    x = np.array([1.0, 2.0])
    w1 = np.array([[1.0, -1.0, 0.0], [1.0, 1.0, -1.0]])
    w2 = np.array([[1.0], [2.0], [4.0]])
    d = 4096
    t5_width = next(f for f in range(1, 3073) if ffn_param_count(768, f, gated=True) == ffn_param_count(768, 3072))
    return {
        "feed_forward.llama-width": llama_hidden_size(4096),
        "feed_forward.t5-width": t5_width,
        "feed_forward.same-width-growth": ffn_param_count(d, 4 * d, gated=True) / ffn_param_count(d, 4 * d),
        "feed_forward.gelu-at-one": float(act(1.0, "gelu")),
        "feed_forward.silu-at-minus-one": float(act(-1.0, "silu")),
        "feed_forward.ffn-params": ffn_param_count(768, 3072, bias=True),
        "feed_forward.llama-ffn-params": ffn_param_count(4096, llama_hidden_size(4096), gated=True) / 1e6,
        "feed_forward.hand-output": float(feed_forward(x, w1, w2, activation="relu")[0]),
        "feed_forward.block-share": ffn_param_count(1024, 4096) / (ffn_param_count(1024, 4096) + 4 * 1024**2),
        # 4 d^2 + 2 n d = 8 d^2  =>  n = (FFN - projections) / (2 d)
        "feed_forward.attention-crossover": (ffn_param_count(d, 4 * d) - 4 * d * d) / (2 * d),
        "feed_forward.llama-excess": 100
        * (ffn_param_count(d, llama_hidden_size(d), gated=True) / ffn_param_count(d, 4 * d) - 1),
    }


def test_bank_numeric_answers_are_right() -> None:
    computed = computed_answers()
    numeric = check_numeric_keys("feed_forward", computed, bank_tolerance)
    for qid, value in computed.items():
        tol = bank_tolerance(numeric[qid], value)
        half_unit = 0.5 * 10 ** -numeric[qid]["decimals"]  # what rounding to the asked decimals needs
        assert tol <= max(0.01 * abs(value) + 1e-3, half_unit), (qid, "tolerance too loose to tell answers apart")


# ---------------------------------------------------------------- float32 and half precision

LOW_PRECISION = [  # (dtype, tolerance): the mirrors compute half types in float32 and round once, as PyTorch
    (torch.float32, dict(rtol=1e-5, atol=1e-5)),
    (torch.float16, dict(rtol=2e-3, atol=2e-3)),
    (torch.bfloat16, dict(rtol=1.6e-2, atol=1.6e-2)),
]


@pytest.mark.parametrize(("dtype", "tol"), LOW_PRECISION, ids=str)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_act_torch_matches_builtin_in_low_precision(name: str, dtype, tol) -> None:
    """Values and gradients of ``act_torch`` equal ``F.gelu`` / ``F.silu`` / ... in float32, float16, bfloat16."""
    x = (3 * torch.randn(4, 257, generator=torch.Generator().manual_seed(20))).to(dtype)
    mine, ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    got, want = act_torch(mine, name), TORCH_ACT[name](ref)
    assert got.dtype == want.dtype == dtype
    torch.testing.assert_close(got, want, **tol)
    got.float().pow(2).sum().backward()
    want.float().pow(2).sum().backward()
    torch.testing.assert_close(mine.grad, ref.grad, rtol=tol["rtol"] * 4, atol=tol["atol"] * 4)


def test_gelu_tanh_half_precision_keeps_the_left_tail() -> None:
    """Computed in float16 step by step, ``1 + tanh(...)`` cancels at x = -4 and the tanh form is off by
    a quarter; computed in float32 and rounded once (as F.gelu does) it matches to one float16 ulp."""
    x = torch.tensor([-4.0, -3.0], dtype=torch.float16)
    naive = 0.5 * x * (1.0 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    want = F.gelu(x, approximate="tanh")
    assert ((naive.float() - want.float()).abs() / want.float().abs()).max() > 0.05
    assert naive[0].item() == 0.0 and torch.signbit(naive[0])  # the bank's "exactly -0.0" at x = -4
    assert round(want[0].item(), 6) == -7.0e-5 and round(F.gelu(x.double())[0].item(), 5) == -1.3e-4
    # the bank's distractors and explanation: spacing near 1, exact -64, and the rounded constant
    assert float(np.spacing(np.float16(0.99))) == 2.0**-11 and round(2.0**-11, 5) == 4.9e-4
    assert float(np.float16(-4.0) ** 3) == -64.0 and float(np.finfo(np.float16).max) == 65504.0
    assert abs(float(np.float16(0.044715)) / 0.044715 - 1) < 2e-4
    torch.testing.assert_close(act_torch(x, "gelu_tanh"), want, rtol=1e-3, atol=0)


@pytest.mark.parametrize(("dtype", "tol"), LOW_PRECISION, ids=str)
def test_ffn_torch_mirrors_match_modules_in_low_precision(dtype, tol) -> None:
    """``feed_forward_torch``, ``gated_feed_forward_torch`` and ``glu_torch`` against nn modules and F.glu
    in float32, float16 and bfloat16 (small widths, so the matmuls round alike)."""
    torch.manual_seed(21)
    net = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8)).to(dtype)
    x = torch.randn(2, 3, 8).to(dtype)
    w1, w2 = (net[i].weight.detach().T for i in (0, 2))
    with torch.no_grad():
        got = feed_forward_torch(x, w1, w2, b1=net[0].bias, b2=net[2].bias, activation="gelu")
        torch.testing.assert_close(got, net(x), rtol=tol["rtol"] * 4, atol=tol["atol"] * 4)
        ref = LlamaStyleMLP(8, 16, "silu").to(dtype)
        w, v, w2 = (m.weight.detach().T for m in (ref.gate_proj, ref.up_proj, ref.down_proj))
        torch.testing.assert_close(
            gated_feed_forward_torch(x, w, v, w2), ref(x), rtol=tol["rtol"] * 4, atol=tol["atol"] * 4
        )
        torch.testing.assert_close(glu_torch(x), F.glu(x, dim=-1), **tol)


def test_torch_functions_refuse_numpy_and_numpy_functions_refuse_tensors() -> None:
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor; got a NumPy array"):
        act_torch(np.ones(3), "relu")
    with pytest.raises(TypeError, match=r"w1 must be a torch.Tensor; got a NumPy array"):
        feed_forward_torch(torch.ones(1, 2), np.ones((2, 3)), torch.ones(3, 2))
    with pytest.raises(TypeError, match=r"x must be a NumPy array or array-like; got a torch.Tensor"):
        gelu(torch.ones(3))
    assert feed_forward([[1.0, -1.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0], [1.0]]).tolist() == [[1.0]]


def test_gelu_history_bert_released_exact() -> None:
    """Google's BERT code computed the exact (erf) GELU when released; the tanh form came in a later
    commit, which is why Hugging Face's BERT configs say "gelu". No page or bank text may say that the
    original BERT code used the tanh form."""
    import json

    page = (BANK.parents[2] / "docs" / "concepts" / "feed_forward.md").read_text(encoding="utf-8")
    bank_text = BANK.read_text(encoding="utf-8")
    for text in (page, bank_text):
        assert "original BERT" not in text
    conventions = next(q for q in json.loads(bank_text)["questions"] if q["id"] == "feed_forward.gelu-conventions")
    option = next(o for o in conventions["options"] if o["id"] == "bert-release-tanh")
    assert option["correct"] is False
    why = next(q for q in json.loads(bank_text)["interview"] if q["id"] == "feed_forward.why-gelu")
    assert "trained better" not in why["answer"]


@pytest.mark.parametrize(
    ("exercise", "impl"), [("feed_forward.gelu", gelu), ("feed_forward.swiglu", gated_feed_forward)]
)
def test_exercise_checks_pass_on_our_implementation(exercise, impl) -> None:
    """The checks that grade a learner's solution are run on ours (issue 9)."""
    from concepts.exercises._harness import run_checks
    from concepts.exercises.feed_forward import CHECKS

    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed
