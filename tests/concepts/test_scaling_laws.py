"""Scaling laws checked against PyTorch's FLOP counter, SciPy and the published figures.

References: ``torch.utils.flop_counter.FlopCounterMode`` on real forward and backward passes
(of ``nn.Linear`` stacks built here, and of the package's tiny decoder), SciPy's
``minimize_scalar`` for the compute-optimal split and ``stats.linregress`` for the
power-law fit, and the numbers printed in Kaplan et al. (2020) and Hoffmann et al. (2022).
Every figure the page states is recomputed here, and so is every numeric key of the bank.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import optimize, stats
from support import bank_tolerance, check_numeric_keys

from concepts.exercises._harness import run_checks
from concepts.exercises.scaling_laws import CHECKS
from concepts.kv_cache import TinyConfig, TinyDecoder
from concepts.scaling_laws import (
    CHINCHILLA,
    GOPHER_FLOPS,
    KAPLAN,
    ParametricLaw,
    chinchilla_loss,
    compute_optimal,
    compute_optimal_by_ratio,
    exact_to_6n_ratio,
    fit_power_law,
    kaplan_loss,
    measure_training_flops_torch,
    noisy_losses,
    non_embedding_param_count,
    optimal_exponents,
    training_flops,
)
from concepts.transformer import transformer_flops

UNROUNDED = CHINCHILLA._replace(alpha=0.3392, beta=0.2849)  # the exponents to four digits (Besiroglu et al., 2024)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one intra-op thread avoids oversubscribing a shared two-core machine."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


# ------------------------------------------------------------------ C = 6ND, measured


def counted_flops(model: torch.nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """FLOPs of ``model(x)`` and of the backward pass of its sum, by PyTorch's counter."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        out = model(x)
    forward = counter.get_total_flops()
    with FlopCounterMode(display=False) as counter:
        out.sum().backward()
    return forward, counter.get_total_flops()


@pytest.mark.parametrize(("widths", "tokens"), [((4, 4), 1), ((8, 32, 8), 5), ((16, 64, 64, 16), 12)])
def test_six_nd_is_exact_for_a_stack_of_linear_layers(widths, tokens):
    """Without attention, forward = 2 N D and backward = 4 N D exactly (input gradient + weight gradient)."""
    layers = [torch.nn.Linear(a, b, bias=False) for a, b in itertools.pairwise(widths)]
    model = torch.nn.Sequential(*layers)
    n = sum(p.numel() for p in model.parameters())
    x = torch.randn(tokens, widths[0], requires_grad=True)  # as if an embedding fed it: its gradient is needed
    forward, backward = counted_flops(model, x)
    assert forward == 2 * n * tokens
    assert backward == 4 * n * tokens
    assert forward + backward == training_flops(n, tokens)
    assert forward + backward != 2 * n * tokens  # the convention that forgets the backward pass


@pytest.mark.parametrize(
    ("num_layers", "d_model", "seq_len", "vocab_size", "batch"),
    [(1, 16, 1, 8, 1), (2, 32, 16, 32, 1), (1, 16, 8, 10, 3), (3, 64, 32, 50, 2)],
)
def test_measured_decoder_flops_are_transformer_flops(num_layers, d_model, seq_len, vocab_size, batch):
    """The tiny decoder's counted FLOPs equal ``transformer_flops`` with every score counted (a dense kernel)."""
    got = measure_training_flops_torch(num_layers, d_model, seq_len, vocab_size=vocab_size, batch=batch)
    tokens = batch * seq_len
    want = tokens * transformer_flops(num_layers, d_model, seq_len, vocab_size=vocab_size, is_causal=False)
    assert got == {"forward": want, "backward": 2 * want}
    full = tokens * transformer_flops(
        num_layers, d_model, seq_len, vocab_size=vocab_size, is_causal=False, training=True
    )
    assert got["forward"] + got["backward"] == full


def test_hand_worked_flop_count():
    """Two layers, d_model = 32, 16 tokens, 32-token vocabulary.

    N = 2 * 12 * 32^2 = 24,576. Per token forward: 2N = 49,152; attention scores and
    the weighted sum of values over all 16 keys in both layers, 2 * (2 + 2) * 16 * 32 = 4,096;
    the output layer 2 * 32 * 32 = 2,048: 55,296, times 16 tokens = 884,736. Backward twice
    that. 6ND = 6 * 24,576 * 16 = 2,359,296 misses 294,912 of 2,654,208 (11%): at this size the
    output layer and the scores are not negligible.
    """
    got = measure_training_flops_torch(2, 32, 16)
    assert got == {"forward": 884_736, "backward": 1_769_472}
    n = non_embedding_param_count(2, 32)
    assert n == 24_576
    assert training_flops(n, 16) == 2_359_296
    assert got["forward"] + got["backward"] - training_flops(n, 16) == 294_912


def test_non_embedding_count_matches_the_model():
    """Kaplan's N is the weight matrices inside the blocks: embeddings, output layer and norms excluded."""
    for layers, d in ((1, 16), (2, 32), (3, 64)):
        model = TinyDecoder(
            TinyConfig(d_model=d, num_layers=layers, max_len=8), generator=torch.Generator().manual_seed(0)
        )
        in_blocks = sum(p.numel() for p in model.blocks.parameters() if p.dim() == 2)
        assert non_embedding_param_count(layers, d) == in_blocks
    assert non_embedding_param_count(2, 16, d_ff=48) == 2 * (4 * 256 + 2 * 16 * 48)


def test_attention_term_left_out_by_six_nd():
    """Kaplan's Table 1: C_forward = 2N + 2 n_layer n_ctx d_model per token (causal half of the scores).

    The full count over 6N is 1 + n_ctx / (12 d_model); GPT-3 175B (96 layers, d = 12288,
    n_ctx = 2048) gives 1.0139; a dense kernel doubles the term; at n_ctx = 12 d_model
    attention costs as much as all the weights.
    """
    for layers, d, t in ((96, 12288, 2048), (2, 32, 16), (12, 768, 1024)):
        assert exact_to_6n_ratio(layers, d, t) == pytest.approx(1 + t / (12 * d), rel=1e-12)
        assert exact_to_6n_ratio(layers, d, t, is_causal=False) == pytest.approx(1 + t / (6 * d), rel=1e-12)
        gap = transformer_flops(layers, d, t, training=True) - 6 * non_embedding_param_count(layers, d)
        assert gap == 3 * 2 * layers * t * d
    assert round(exact_to_6n_ratio(96, 12288, 2048), 4) == 1.0139
    assert exact_to_6n_ratio(4, 64, 12 * 64) == 2.0
    assert exact_to_6n_ratio(2, 32, 16, vocab_size=32) == pytest.approx(
        1 + 16 / 384 + 32 / (12 * 2 * 32), rel=1e-12
    )  # + V / (12 L d)


def test_measured_ratio_over_six_nd_grows_with_context():
    """The page's figure: counted / 6ND at d_model = 64 follows 1 + T/(6d) + V/(12d)."""
    d, vocab = 64, 32
    for t in (8, 64, 256):
        got = measure_training_flops_torch(1, d, t, vocab_size=vocab)
        ratio = (got["forward"] + got["backward"]) / training_flops(non_embedding_param_count(1, d), t)
        assert ratio == pytest.approx(1 + t / (6 * d) + vocab / (12 * d), rel=1e-12)


def test_published_compute_figures():
    """Chinchilla's 70B x 1.4T is 5.88e23 by 6ND, 2.1% over Gopher's budget; Gopher's own 280B x 300B gives 5.04e23."""
    assert training_flops(70e9, 1.4e12) == pytest.approx(5.88e23, rel=1e-12)
    assert training_flops(70e9, 1.4e12) / GOPHER_FLOPS == pytest.approx(1.0208, abs=1e-4)
    assert training_flops(280e9, 300e9) == pytest.approx(5.04e23, rel=1e-12)
    assert 1 - training_flops(280e9, 300e9) / GOPHER_FLOPS == pytest.approx(0.125, abs=1e-12)
    assert training_flops(67e9, 1.5e12) / GOPHER_FLOPS == pytest.approx(1.047, abs=1e-3)  # Table 3, Approach 1
    assert non_embedding_param_count(96, 12288) == 173_946_175_488  # GPT-3: 174B of its 175B
    assert training_flops(175e9, 300e9) == pytest.approx(3.15e23, rel=1e-12)


def test_embedding_shares_the_page_states():
    """GPT-2 small: 12 layers, d = 768, 50,257 tokens, 1,024 positions; Llama-2-7B: 32 layers, d = 4096, 32,000 tokens.

    GPT-2's tied token matrix and positions are 32% of its parameters (biases and norms
    counted in the total); Llama-2-7B's untied input and output matrices (its MLP is
    SwiGLU, d_ff = 11008) are 3.9% of 6.74B.
    """
    gpt2_embed = 50257 * 768 + 1024 * 768
    gpt2_blocks = 12 * (4 * 768 * 768 + 4 * 768 + 2 * 768 * 3072 + 3072 + 768 + 4 * 768)
    gpt2_total = gpt2_embed + gpt2_blocks + 2 * 768
    assert gpt2_total == 124_439_808  # the parameter count of GPT-2 small
    assert non_embedding_param_count(12, 768) == 84_934_656
    assert round(gpt2_embed / gpt2_total, 2) == 0.32
    llama_embed = 2 * 32000 * 4096
    llama_total = llama_embed + 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008 + 2 * 4096) + 4096
    assert llama_total == 6_738_415_616
    assert round(100 * llama_embed / llama_total, 1) == 3.9


# ------------------------------------------------------------------ Chinchilla's law and its optimum


def scipy_optimum(compute: float, law: ParametricLaw) -> tuple[float, float]:
    """Minimise L(N, C / 6N) over log N with SciPy (bounded Brent), independent of the closed form."""
    c6 = compute / 6.0
    res = optimize.minimize_scalar(
        lambda x: law.A * math.exp(-law.alpha * x) + law.B * (c6 / math.exp(x)) ** -law.beta,
        bounds=(0.0, math.log(c6)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return math.exp(res.x), c6 / math.exp(res.x)


@pytest.mark.parametrize("law", [CHINCHILLA, UNROUNDED, ParametricLaw(1.8172, 482.01, 2085.43, 0.3478, 0.3658)])
@pytest.mark.parametrize("compute", [1e19, 1e22, GOPHER_FLOPS, 1e26])
def test_closed_form_matches_scipy(law, compute):
    n, d = compute_optimal(compute, law=law)
    want_n, want_d = scipy_optimum(compute, law)
    assert n == pytest.approx(want_n, rel=1e-6)
    assert d == pytest.approx(want_d, rel=1e-6)
    assert 6 * n * d == pytest.approx(compute, rel=1e-12)
    # no other split on the same budget does better
    for factor in (0.5, 0.9, 1.1, 2.0):
        assert chinchilla_loss(n, d, law=law) < chinchilla_loss(n * factor, d / factor, law=law)


def test_convention_flips_are_caught():
    """Swapping alpha and beta, dropping the 6, or pricing a token at 2N all move the optimum off the minimiser."""
    n, _ = scipy_optimum(GOPHER_FLOPS, CHINCHILLA)
    assert compute_optimal(GOPHER_FLOPS)[0] == pytest.approx(n, rel=1e-6)
    swapped = CHINCHILLA._replace(alpha=CHINCHILLA.beta, beta=CHINCHILLA.alpha)
    assert compute_optimal(GOPHER_FLOPS, law=swapped)[0] / n > 3  # a bigger model: 6.2x here
    assert compute_optimal(6 * GOPHER_FLOPS)[0] / n == pytest.approx(6**0.4516, rel=1e-3)  # C in place of C/6
    assert compute_optimal(3 * GOPHER_FLOPS)[0] != pytest.approx(n, rel=0.1)  # C/2 in place of C/6
    a, b = optimal_exponents(0.34, 0.28)
    assert a < b  # N grows more slowly than D because alpha > beta
    assert a == pytest.approx(0.28 / 0.62, rel=1e-12)


def test_gopher_budget_figures():
    """The numbers the page states for Gopher's 5.76e23 FLOPs.

    Rounded constants: 32.2B parameters on 2.98T tokens (93 tokens per parameter). The
    exponents to four digits (0.3392, 0.2849): 40.3B on 2.38T, the paper's "40B" for
    Approach 3. The 20-tokens rule: 69.3B on 1.39T, next to Chinchilla's 70B on 1.4T.
    """
    n, d = compute_optimal(GOPHER_FLOPS)
    assert (round(n / 1e9, 1), round(d / 1e12, 2), round(d / n)) == (32.2, 2.98, 93)
    n4, d4 = compute_optimal(GOPHER_FLOPS, law=UNROUNDED)
    assert (round(n4 / 1e9, 1), round(d4 / 1e12, 2), round(d4 / n4)) == (40.3, 2.38, 59)
    assert abs(n4 - 40e9) < 1e9
    nr, dr = compute_optimal_by_ratio(GOPHER_FLOPS)
    assert (round(nr / 1e9, 1), round(dr / 1e12, 2)) == (69.3, 1.39)
    assert abs(nr / 70e9 - 1) < 0.011 and abs(dr / 1.4e12 - 1) < 0.011
    # Table 2: a = 0.46, b = 0.54 for Approach 3 come from the unrounded exponents, not the rounded ones
    assert [round(x, 2) for x in optimal_exponents(0.3392, 0.2849)] == [0.46, 0.54]
    assert [round(x, 2) for x in optimal_exponents(0.34, 0.28)] == [0.45, 0.55]
    # the refit of Besiroglu et al. (2024) lands near Chinchilla: 72B on 1.33T, 18 tokens per parameter
    n_e, d_e = compute_optimal(GOPHER_FLOPS, law=ParametricLaw(1.8172, 482.01, 2085.43, 0.3478, 0.3658))
    assert (round(n_e / 1e9), round(d_e / 1e12, 2), round(d_e / n_e)) == (72, 1.33, 18)


def test_losses_the_page_states():
    """L(Gopher) = 1.993, L(Chinchilla) = 1.937, L(optimum) = 1.931; forgetting E in a fit gives 0.085."""
    assert round(chinchilla_loss(280e9, 300e9), 3) == 1.993
    assert round(chinchilla_loss(70e9, 1.4e12), 3) == 1.937
    assert round(chinchilla_loss(*compute_optimal(GOPHER_FLOPS)), 3) == 1.931
    assert chinchilla_loss(1e9, np.inf) == pytest.approx(1.69 + 406.4 / 1e9**0.34, rel=1e-12)
    grid = chinchilla_loss(np.array([[1e8], [1e9]]), np.array([1e9, 1e10, 1e11]))
    assert grid.shape == (2, 3) and np.all(np.diff(grid, axis=0) < 0) and np.all(np.diff(grid, axis=1) < 0)


def test_flat_optimum_the_bank_states():
    """At 1e23 FLOPs: 30% off the optimal size costs 0.001 nats, a factor of 2 costs 0.007.

    The 20-tokens split of the same budget is 29B parameters on 0.58T tokens.
    """
    c = 1e23
    n, d = compute_optimal(c)
    best = chinchilla_loss(n, d)
    for factor, cost in ((1 / 1.3, 0.001), (1.3, 0.001), (0.5, 0.007), (2.0, 0.007)):
        assert round(chinchilla_loss(n * factor, c / (6 * n * factor)) - best, 3) == cost
    nr, dr = compute_optimal_by_ratio(c)
    assert (round(nr / 1e9), round(dr / 1e12, 2)) == (29, 0.58)
    assert training_flops(8e9, 2e12) < c  # the smaller, longer-trained alternative fits the budget


def test_growth_per_tenfold_compute():
    """10x compute: Kaplan grows N by 10^0.73 = 5.37x and D by 1.86x; the rounded Chinchilla law by 2.83x and 3.53x."""
    assert round(10 ** KAPLAN["n_opt_exponent"], 2) == 5.37
    assert round(10 ** (1 - KAPLAN["n_opt_exponent"]), 2) == 1.86
    n1, d1 = compute_optimal(1e23)
    n2, d2 = compute_optimal(1e24)
    assert (round(n2 / n1, 2), round(d2 / d1, 2)) == (2.83, 3.53)


# ------------------------------------------------------------------ Kaplan


def test_kaplan_limits():
    """Equation 1.5 reduces to L(N) = (N_c/N)^0.076 with unlimited data and L(D) = (D_c/D)^0.095 with unlimited N."""
    n = np.logspace(6, 12, 7)
    np.testing.assert_allclose(kaplan_loss(n), (8.8e13 / n) ** 0.076, rtol=1e-12)
    np.testing.assert_allclose(kaplan_loss(np.inf, n), (5.4e13 / n) ** 0.095, rtol=1e-12)
    both = kaplan_loss(n, 20 * n)
    assert np.all(both > kaplan_loss(n)) and np.all(both > kaplan_loss(np.inf, 20 * n))
    assert round(kaplan_loss(1e9), 4) == 2.3756


# ------------------------------------------------------------------ fitting a power law


def test_fit_matches_scipy_linregress():
    rng = np.random.default_rng(5)
    x = np.logspace(6, 11, 9)
    y = 3.0 * x**-0.3 * np.exp(0.05 * rng.standard_normal(9))
    fit = fit_power_law(x, y)
    ref = stats.linregress(np.log(x), np.log(y))
    assert fit.exponent == pytest.approx(-ref.slope, rel=1e-10)
    assert fit.exponent_stderr == pytest.approx(ref.stderr, rel=1e-10)
    assert fit.coef == pytest.approx(math.exp(ref.intercept), rel=1e-10)
    exact = fit_power_law(x, 406.4 * x**-0.34)
    assert exact.exponent == pytest.approx(0.34, abs=1e-12) and exact.coef == pytest.approx(406.4, rel=1e-10)


def test_fit_recovers_alpha_from_noisy_runs():
    """16 models from 10M to 10B parameters, unlimited data, 1% noise on the loss, E subtracted.

    Over 300 seeds the exponent comes back within 0.03 of 0.34 (mean 0.341, spread 0.008);
    the regression's own standard error (about 0.007) understates that spread, because noise
    on L is larger noise on log(L - E) for the big models. Forgetting E gives 0.085.
    """
    n = np.logspace(7, 10, 16)
    fits = [fit_power_law(n, noisy_losses(n, np.inf, noise=0.01, rng=seed) - CHINCHILLA.E) for seed in range(300)]
    alphas = np.array([f.exponent for f in fits])
    assert np.abs(alphas - 0.34).max() < 0.03
    assert abs(alphas.mean() - 0.34) < 0.003
    assert 0.006 < alphas.std() < 0.011
    assert np.mean([f.exponent_stderr for f in fits]) < alphas.std()
    assert round(fits[0].exponent, 3) == 0.358
    largest = chinchilla_loss(1e10, np.inf)
    assert round(0.01 * largest / (largest - CHINCHILLA.E), 2) == 0.11  # 1% on L is 11% on L - E at 10B
    without_e = fit_power_law(n, noisy_losses(n, np.inf, noise=0.0))
    assert round(without_e.exponent, 3) == 0.085
    assert round(fit_power_law(n, noisy_losses(n, np.inf, noise=0.0) - 1.64).exponent, 2) == 0.31


def test_noisy_losses_are_seeded_and_centred():
    a = noisy_losses([1e8, 1e9], 1e10, rng=3)
    np.testing.assert_array_equal(a, noisy_losses([1e8, 1e9], 1e10, rng=np.random.default_rng(3)))
    big = noisy_losses(np.full(20000, 1e9), 1e10, noise=0.01, rng=0) / chinchilla_loss(1e9, 1e10)
    assert abs(np.log(big).std() - 0.01) < 5e-4 and abs(np.log(big).mean()) < 5e-4


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda: training_flops(0, 1e9),
        lambda: training_flops(1e9, [1e9, -1.0]),
        lambda: training_flops(float("nan"), 1.0),
        lambda: chinchilla_loss(-1.0, 1e9),
        lambda: compute_optimal(0.0),
        lambda: compute_optimal_by_ratio(1e20, tokens_per_param=0),
        lambda: optimal_exponents(0.0, 0.3),
        lambda: kaplan_loss(0.0),
        lambda: non_embedding_param_count(0, 8),
        lambda: non_embedding_param_count(2, 8, d_ff=1.5),
        lambda: exact_to_6n_ratio(2, 8, 0),
        lambda: fit_power_law([1.0, 2.0], [1.0, 2.0]),
        lambda: fit_power_law([1.0, 2.0, 3.0], [1.0, 2.0]),
        lambda: fit_power_law([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]),
        lambda: fit_power_law([1.0, 2.0, 3.0], [1.0, 0.0, 3.0]),
        lambda: noisy_losses(1e9, 1e9, noise=-0.1),
        lambda: measure_training_flops_torch(1, 30, 4, num_heads=4),
        lambda: measure_training_flops_torch(1, 32, 4, batch=0),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_tensors_are_refused():
    with pytest.raises(TypeError, match="NumPy"):
        training_flops(torch.tensor(1e9), 1e9)
    with pytest.raises(TypeError, match="rng"):
        noisy_losses(1e9, 1e9, rng="seed")


# ------------------------------------------------------------------ exercises and bank


@pytest.mark.parametrize(
    ("ex_id", "impl"),
    [("scaling_laws.ratio-allocation", compute_optimal_by_ratio), ("scaling_laws.compute-optimal", compute_optimal)],
)
def test_exercise_checks_pass_on_the_package(ex_id, impl):
    failed = [(r.name, r.message) for r in run_checks(CHECKS[ex_id], impl) if not r.passed]
    assert not failed, failed


def bank_values() -> dict[str, float]:
    n_g, d_g = compute_optimal(GOPHER_FLOPS)
    law = CHINCHILLA
    return {
        "scaling_laws.frontier-term-ratio": (law.A / n_g**law.alpha) / (law.B / d_g**law.beta),
        "scaling_laws.chinchilla-flops": training_flops(70e9, 1.4e12) / 1e23,
        "scaling_laws.gpt3-tokens-per-param": 300e9 / 175e9,
        "scaling_laws.ratio-split-params": compute_optimal_by_ratio(1.2e24)[0] / 1e9,
        "scaling_laws.gopher-approach3-params": n_g / 1e9,
        "scaling_laws.attention-share": 100 * (exact_to_6n_ratio(32, 4096, 8192) - 1),
        "scaling_laws.optimal-exponent-a": optimal_exponents(0.34, 0.28)[0],
        "scaling_laws.kaplan-tenfold": 10 ** KAPLAN["n_opt_exponent"],
        "scaling_laws.irreducible": CHINCHILLA.E,
    }


def test_bank_numeric_keys():
    check_numeric_keys("scaling_laws", bank_values(), bank_tolerance)
