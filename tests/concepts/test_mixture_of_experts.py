"""Mixture of experts checked against Hugging Face's Mixtral in float64.

The references: ``MixtralSparseMoeBlock`` built from a tiny random ``MixtralConfig`` (nothing
downloaded) with its weights copied into ours, ``load_balancing_loss_func`` from the same
modeling file, and ``MixtralForCausalLM`` built on the ``meta`` device for the parameter
counts of Mixtral 8x7B (no memory used). Tests named ``..._flip_...`` show that a changed
convention (raw instead of renormalised gates, a loss without the factor N) breaks the match.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from support import check_numeric_keys

from concepts.exercises._harness import run_checks
from concepts.exercises.mixture_of_experts import CHECKS
from concepts.mixture_of_experts import (
    dispatch_with_capacity,
    expert_capacity,
    load_balancing_loss,
    load_balancing_loss_torch,
    moe_layer,
    moe_layer_torch,
    moe_param_count,
    top_k_gating,
    top_k_gating_torch,
)

BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "mixture_of_experts.json"
MIXTRAL_8X7B = dict(
    d_model=4096, d_ff=14336, num_layers=32, num_heads=32, num_kv_heads=8, vocab_size=32000, num_experts=8, top_k=2
)


def _mixtral():
    return pytest.importorskip("transformers.models.mixtral.modeling_mixtral")


def hf_block(d_model: int, d_ff: int, num_experts: int, top_k: int, *, seed: int, dtype=torch.float64):
    """A ``MixtralSparseMoeBlock`` with random weights: outputs of order 1, router logits of spread 2.

    Outputs of order 1 matter: Mixtral's gates are float32 even in a float64 model, so the
    difference from our float64 gates is about 1e-7 *relative* to the output.
    """
    transformers = pytest.importorskip("transformers")
    cfg = transformers.MixtralConfig(
        hidden_size=d_model,
        intermediate_size=d_ff,
        num_local_experts=num_experts,
        num_experts_per_tok=top_k,
        num_hidden_layers=1,
        num_attention_heads=1,
        num_key_value_heads=1,
        vocab_size=8,
    )
    torch.manual_seed(seed)
    block = _mixtral().MixtralSparseMoeBlock(cfg).to(dtype).eval()
    with torch.no_grad():
        block.gate.weight.normal_(0.0, 2.0 / math.sqrt(d_model))
        for p in block.experts.parameters():
            p.normal_(0.0, 1.0 / math.sqrt(p.shape[-1]))  # 1 / sqrt(fan_in)
    return block


def weights_from_hf(block) -> dict[str, np.ndarray]:
    """Our ``(in, out)`` weights from a Mixtral block, in either layout of ``transformers``.

    5.x stores the experts as 3-D tensors (``gate_up_proj`` ``(E, 2 d_ff, d)`` with the gate
    half first, ``down_proj`` ``(E, d, d_ff)``); 4.x as a list of ``w1`` (gate), ``w3`` (up)
    and ``w2`` (down) ``nn.Linear`` layers.
    """
    experts = block.experts
    if hasattr(experts, "gate_up_proj"):
        gate, up = experts.gate_up_proj.detach().chunk(2, dim=1)  # (E, d_ff, d) each
        down = experts.down_proj.detach()  # (E, d, d_ff)
    else:  # pragma: no cover - transformers 4.x
        gate = torch.stack([e.w1.weight.detach() for e in experts])
        up = torch.stack([e.w3.weight.detach() for e in experts])
        down = torch.stack([e.w2.weight.detach() for e in experts])
    return {
        "router_weight": block.gate.weight.detach().T.numpy(),  # (d, E)
        "w_gate": gate.transpose(1, 2).numpy(),  # (E, d, d_ff)
        "w_up": up.transpose(1, 2).numpy(),
        "w_down": down.transpose(1, 2).numpy(),  # (E, d_ff, d)
    }


# (batch, seq_len, d_model, d_ff, num_experts, top_k)
SHAPES = [(1, 1, 4, 6, 2, 1), (2, 3, 8, 12, 4, 2), (3, 5, 16, 24, 8, 2), (2, 7, 12, 20, 8, 3), (1, 9, 8, 16, 6, 6)]


def _torch_moe(x, w, **kwargs):
    t = {k: torch.from_numpy(v) for k, v in w.items()}
    return moe_layer_torch(
        torch.from_numpy(x), t["router_weight"], t["w_gate"], t["w_up"], t["w_down"], **kwargs
    ).numpy()


@pytest.mark.parametrize("impl", ["numpy", "torch"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_moe_layer_equals_mixtral_sparse_moe_block(impl: str, shape) -> None:
    """Max abs difference <= 1e-6 in float64; not 1e-12, because Mixtral's router softmax runs in float32."""
    batch, seq_len, d_model, d_ff, num_experts, top_k = shape
    block = hf_block(d_model, d_ff, num_experts, top_k, seed=sum(shape))
    w = weights_from_hf(block)
    x = np.random.default_rng(len(SHAPES) + sum(shape)).standard_normal((batch, seq_len, d_model))
    with torch.no_grad():
        want = block(torch.from_numpy(x)).numpy()
    got = moe_layer(x, **w, top_k=top_k) if impl == "numpy" else _torch_moe(x, w, top_k=top_k)
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= 1e-6
    assert np.max(np.abs(want)) > 1e-2  # the comparison is not between two near-zero arrays


def test_flip_raw_gates_no_longer_match_mixtral() -> None:
    block = hf_block(8, 12, 4, 2, seed=0)
    w = weights_from_hf(block)
    x = np.random.default_rng(0).standard_normal((2, 5, 8))
    with torch.no_grad():
        want = block(torch.from_numpy(x)).numpy()
    assert np.max(np.abs(moe_layer(x, **w, top_k=2) - want)) <= 1e-6
    assert np.max(np.abs(moe_layer(x, **w, top_k=2, renormalize=False) - want)) > 1e-2


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float32, 1e-4), (torch.bfloat16, 0.1)])
def test_torch_mirror_matches_mixtral_in_low_precision(dtype, tol) -> None:
    """Same block in float32 and bfloat16; the gates are float32 in both (Mixtral's router casts)."""
    block = hf_block(16, 24, 8, 2, seed=3, dtype=dtype)
    x = torch.from_numpy(np.random.default_rng(3).standard_normal((2, 6, 16))).to(dtype)
    w64 = weights_from_hf(block.double())
    block = block.to(dtype)
    w = {k: torch.from_numpy(v).to(dtype) for k, v in w64.items()}
    with torch.no_grad():
        want = block(x)
        got = moe_layer_torch(x, w["router_weight"], w["w_gate"], w["w_up"], w["w_down"], top_k=2)
    assert got.dtype == dtype
    scale = want.float().abs().max().item()
    assert (got.float() - want.float()).abs().max().item() <= tol * scale


def test_router_computes_in_float32_in_a_bfloat16_model() -> None:
    logits = torch.randn(5, 8, generator=torch.Generator().manual_seed(0)).bfloat16()
    weights, _ = top_k_gating_torch(logits, 2)
    assert weights.dtype == torch.float32
    router = (
        _mixtral()
        .MixtralTopKRouter(
            pytest.importorskip("transformers").MixtralConfig(hidden_size=8, num_local_experts=8, num_experts_per_tok=2)
        )
        .to(torch.bfloat16)
    )
    with torch.no_grad():
        _, scores, _ = router(torch.randn(3, 8).bfloat16())
    assert scores.dtype == torch.float32


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-6), (torch.float32, 1e-6), (torch.bfloat16, 1e-6)])
def test_gating_mirror_equals_mixtral_router(dtype, tol) -> None:
    """``MixtralTopKRouter`` returns (logits, renormalised top-k gates, expert ids); ours from its logits."""
    block = hf_block(16, 8, 8, 2, seed=5, dtype=dtype)
    h = torch.from_numpy(np.random.default_rng(5).standard_normal((12, 16))).to(dtype)
    with torch.no_grad():
        logits, want_w, want_i = block.gate(h)
    got_w, got_i = top_k_gating_torch(logits, 2)
    assert torch.equal(got_i, want_i)
    assert want_w.dtype == torch.float32  # Mixtral's gates are float32 in every dtype; ours keep float64
    assert got_w.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
    assert (got_w.double() - want_w.double()).abs().max().item() <= tol
    if dtype == torch.float64:  # NumPy too, from the same logits
        w, i = top_k_gating(logits.numpy(), 2)
        assert np.array_equal(i, want_i.numpy()) and np.abs(w - want_w.double().numpy()).max() <= tol


def test_softmax_over_top_k_logits_equals_renormalised_gates() -> None:
    """p_i / sum_{j in S} p_j = (e^{l_i} / Z) / (sum_{j in S} e^{l_j} / Z) = e^{l_i} / sum_{j in S} e^{l_j}."""
    logits = np.random.default_rng(1).standard_normal((20, 8)) * 3
    weights, idx = top_k_gating(logits, 3)
    kept = np.take_along_axis(logits, idx, -1)
    direct = np.exp(kept) / np.exp(kept).sum(-1, keepdims=True)
    np.testing.assert_allclose(weights, direct, rtol=1e-12)
    raw, _ = top_k_gating(logits, 3, renormalize=False)
    assert np.all(raw.sum(-1) < 1) and not np.allclose(raw, weights)


def test_switch_top_1_without_renormalisation_keeps_the_gradient_to_the_router() -> None:
    """Top-1 renormalised gates are always exactly 1, so the router would get no gradient from the task."""
    logits = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    renormalised, _ = top_k_gating_torch(logits, 1)
    assert torch.equal(renormalised, torch.ones(6, 1, dtype=torch.float64))
    renormalised.sum().backward()
    assert logits.grad.abs().max().item() < 1e-12
    logits.grad = None
    raw, _ = top_k_gating_torch(logits, 1, renormalize=False)
    raw.sum().backward()
    assert logits.grad.abs().max().item() > 1e-3


@pytest.mark.parametrize("num_experts", [1, 3, 8])
def test_top_k_all_experts_equals_the_dense_mixture(num_experts: int) -> None:
    rng = np.random.default_rng(num_experts)
    d, d_ff = 6, 10
    x = rng.standard_normal((2, 4, d))
    w = {
        "router_weight": rng.standard_normal((d, num_experts)),
        "w_gate": rng.standard_normal((num_experts, d, d_ff)),
        "w_up": rng.standard_normal((num_experts, d, d_ff)),
        "w_down": rng.standard_normal((num_experts, d_ff, d)),
    }
    logits = x @ w["router_weight"]
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    h = x[..., None, None, :] @ w["w_gate"]  # (2, 4, E, 1, d_ff): every token through every expert
    u = x[..., None, None, :] @ w["w_up"]
    experts = ((h / (1 + np.exp(-h))) * u) @ w["w_down"]  # (2, 4, E, 1, d)
    dense = np.einsum("bte,bted->btd", p, experts[..., 0, :])
    np.testing.assert_allclose(moe_layer(x, **w, top_k=num_experts), dense, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(_torch_moe(x, w, top_k=num_experts), dense, rtol=1e-10, atol=1e-10)


# ---- the load-balancing loss ---------------------------------------------------------------


@pytest.mark.parametrize("top_k", [1, 2, 3])
@pytest.mark.parametrize("with_mask", [False, True])
def test_balance_loss_equals_transformers(top_k: int, with_mask: bool) -> None:
    """Three layers of batch 2 x seq_len 5; ``load_balancing_loss_func`` accumulates in float32."""
    func = _mixtral().load_balancing_loss_func
    rng = np.random.default_rng(10 * top_k + with_mask)
    logits = rng.standard_normal((3, 10, 6)) * 2
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]) if with_mask else None
    t_mask = None if mask is None else torch.from_numpy(mask)
    want = func(tuple(torch.from_numpy(layer) for layer in logits), 6, top_k, t_mask).item()
    assert abs(load_balancing_loss(logits, top_k=top_k, mask=mask) - want) <= 1e-6
    ours_t = load_balancing_loss_torch(torch.from_numpy(logits), top_k=top_k, mask=t_mask)
    assert abs(ours_t.item() - want) <= 1e-6
    for dtype in (torch.float32, torch.bfloat16):  # the mirror in low precision
        low = torch.from_numpy(logits).to(dtype)
        # transformers takes the softmax in the logits' dtype; ours upcasts half precision to float32
        want_low = func(tuple(low.float()), 6, top_k, t_mask).item()
        assert abs(load_balancing_loss_torch(low, top_k=top_k, mask=t_mask).item() - want_low) <= 1e-5


def test_balance_loss_is_exactly_one_under_uniform_routing() -> None:
    even = np.log(np.where(np.eye(8, dtype=bool), 0.3, 0.1))  # token t prefers expert t: f_i = P_i = 1/8
    assert load_balancing_loss(even) == pytest.approx(1.0, abs=1e-12)
    func = _mixtral().load_balancing_loss_func
    assert func((torch.from_numpy(even),), 8, 1).item() == pytest.approx(1.0, abs=1e-6)
    # top-2 in transformers' counting: every token counts for two experts, so even routing gives 2
    assert func((torch.from_numpy(even),), 8, 2).item() == pytest.approx(2.0, abs=1e-6)
    assert load_balancing_loss(even, top_k=2) == pytest.approx(2.0, abs=1e-12)


def test_flip_loss_without_the_num_experts_factor_is_not_transformers() -> None:
    logits = np.random.default_rng(4).standard_normal((12, 8))
    want = _mixtral().load_balancing_loss_func((torch.from_numpy(logits),), 8, 2).item()
    ours = load_balancing_loss(logits, top_k=2)
    assert abs(ours - want) <= 1e-6 and abs(ours / 8 - want) > 0.5


def test_flip_f_from_probabilities_is_not_the_switch_loss() -> None:
    """Probabilities (0.7, 0.1, 0.1, 0.1) for every token: f = (1, 0, 0, 0) gives 4 * 0.7 = 2.8;
    replacing f by P gives 4 * (0.49 + 3 * 0.01) = 2.08."""
    logits = np.log([[0.7, 0.1, 0.1, 0.1]] * 5)
    assert load_balancing_loss(logits) == pytest.approx(2.8, abs=1e-12)
    p = np.array([0.7, 0.1, 0.1, 0.1])
    assert 4 * np.sum(p * p) == pytest.approx(2.08, abs=1e-12)


def test_balance_loss_gradient_steps_spread_a_collapsed_router() -> None:
    """The Intuition figure: inputs sharing one direction send 239 of 256 tokens to expert 0
    (loss about 6); 200 SGD steps on the loss alone leave 29 to 36 tokens per expert (loss 1.00)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(256, 16, generator=gen, dtype=torch.float64) + 1.0
    w = 0.3 * torch.randn(16, 8, generator=gen, dtype=torch.float64)
    w[:, 0] += 0.3  # expert 0 matches the shared direction
    w.requires_grad_()
    opt = torch.optim.SGD([w], lr=1.0)
    loads, losses = [], []
    for step in range(201):
        if step in (0, 200):
            loads.append(np.bincount(top_k_gating_torch((x @ w).detach(), 1)[1].numpy().ravel(), minlength=8))
            losses.append(load_balancing_loss_torch((x @ w).detach()).item())
        opt.zero_grad()
        load_balancing_loss_torch(x @ w).backward()
        opt.step()
    assert loads[0][0] == 239 and round(losses[0]) == 6
    assert loads[1].min() == 29 and loads[1].max() == 36 and round(losses[1], 2) == 1.0


# ---- capacity ------------------------------------------------------------------------------


def test_expert_capacity_formula() -> None:
    assert expert_capacity(10, 4, top_k=2) == 5
    assert expert_capacity(10, 4, top_k=2, capacity_factor=1.25) == 7  # ceil(6.25)
    assert expert_capacity(10, 1, capacity_factor=1.1) == 11  # 1.1 * 10 is 11.000000000000002 in floats
    assert expert_capacity(4096, 8, top_k=2, capacity_factor=1.25) == math.ceil(1.25 * 4096 * 2 / 8)


def test_dispatch_hand_worked_example() -> None:
    """6 tokens, 3 experts, top-2, factor 1: capacity ceil(12 / 3) = 4.

    First choices (0, 0, 0, 0, 0, 1): expert 0 takes tokens 0 to 3, token 4's first choice is
    dropped. Second choices (1, 1, 2, 1, 1, 2): expert 1 already holds token 5, so it takes
    tokens 0, 1, 3 and is full; token 4's second choice is dropped too, and token 4 is left
    with no expert at all (only the residual carries it).
    """
    idx = np.array([[0, 1], [0, 1], [0, 2], [0, 1], [0, 1], [1, 2]])
    kept = dispatch_with_capacity(idx, 3)
    assert kept.tolist() == [[True, True], [True, True], [True, True], [True, True], [False, False], [True, True]]
    assert int((~kept).sum()) == 2
    assert dispatch_with_capacity(idx, 3, capacity_factor=2.0).all()


def test_dispatch_never_exceeds_capacity_and_drops_only_over_it() -> None:
    rng = np.random.default_rng(6)
    for factor in (0.5, 1.0, 1.25, 2.0):
        idx = np.stack([rng.choice(8, size=2, replace=False, p=np.r_[0.3, np.full(7, 0.1)]) for _ in range(64)])
        kept = dispatch_with_capacity(idx, 8, capacity_factor=factor)
        cap = expert_capacity(64, 8, top_k=2, capacity_factor=factor)
        counts = np.bincount(idx[kept], minlength=8)
        wanted = np.bincount(idx.ravel(), minlength=8)
        assert np.all(counts == np.minimum(wanted, cap))


def test_moe_layer_with_capacity_drops_contributions() -> None:
    rng = np.random.default_rng(7)
    d, d_ff, n = 4, 6, 3
    x = rng.standard_normal((9, d))
    w = {
        "router_weight": rng.standard_normal((d, n)) + np.array([2.0, 0, 0]),  # skewed towards expert 0
        "w_gate": rng.standard_normal((n, d, d_ff)),
        "w_up": rng.standard_normal((n, d, d_ff)),
        "w_down": rng.standard_normal((n, d_ff, d)),
    }
    free = moe_layer(x, **w, top_k=2)
    np.testing.assert_allclose(moe_layer(x, **w, top_k=2, capacity_factor=10.0), free, rtol=1e-12)
    gates, idx = top_k_gating(x @ w["router_weight"], 2)
    kept = dispatch_with_capacity(idx, n, capacity_factor=0.5)
    assert (~kept).sum() > 0
    limited = moe_layer(x, **w, top_k=2, capacity_factor=0.5)
    np.testing.assert_allclose(_torch_moe(x, w, top_k=2, capacity_factor=0.5), limited, rtol=1e-10, atol=1e-12)
    for t in range(9):
        want = np.zeros(d)
        for s in range(2):
            if kept[t, s]:
                e = idx[t, s]
                h = x[t] @ w["w_gate"][e]
                want += gates[t, s] * ((h / (1 + np.exp(-h))) * (x[t] @ w["w_up"][e])) @ w["w_down"][e]
        np.testing.assert_allclose(limited[t], want, rtol=1e-10, atol=1e-12)


# ---- parameter counts ----------------------------------------------------------------------


def test_mixtral_8x7b_param_counts_match_a_meta_device_model() -> None:
    transformers = pytest.importorskip("transformers")
    cfg = transformers.MixtralConfig(
        vocab_size=32000,
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        num_local_experts=8,
        num_experts_per_tok=2,
    )
    with torch.device("meta"):
        model = transformers.MixtralForCausalLM(cfg)
    hf_total = sum(p.numel() for p in model.parameters())
    one_expert = 3 * 4096 * 14336
    hf_active = hf_total - 32 * (8 - 2) * one_expert  # six of eight experts idle per token and layer
    expert_params = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
    assert expert_params == 32 * 8 * one_expert
    total, active = moe_param_count(**MIXTRAL_8X7B)
    assert (total, active) == (hf_total, hf_active) == (46_702_792_704, 12_879_925_248)
    assert round(total / 1e9, 1) == 46.7 and round(active / 1e9, 1) == 12.9


def test_param_count_tied_embeddings_and_dense_limit() -> None:
    untied, _ = moe_param_count(**MIXTRAL_8X7B)
    tied, _ = moe_param_count(**{**MIXTRAL_8X7B, "tie_embeddings": True})
    assert untied - tied == 32000 * 4096
    total, active = moe_param_count(**{**MIXTRAL_8X7B, "top_k": 8})
    assert total == active


# ---- exercises, mirrors, errors, bank -----------------------------------------------------------


def _torch_gating(logits, top_k, *, renormalize=True):
    w, i = top_k_gating_torch(torch.from_numpy(np.asarray(logits, dtype=np.float64)), top_k, renormalize=renormalize)
    return w.numpy(), i.numpy()


def _torch_loss(logits, *, top_k=1, mask=None):
    m = None if mask is None else torch.from_numpy(np.asarray(mask))
    return load_balancing_loss_torch(torch.from_numpy(np.asarray(logits, dtype=np.float64)), top_k=top_k, mask=m).item()


@pytest.mark.parametrize(
    ("exercise", "impl"),
    [
        ("mixture_of_experts.top-k-gating", top_k_gating),
        ("mixture_of_experts.top-k-gating", _torch_gating),
        ("mixture_of_experts.balance-loss", load_balancing_loss),
        ("mixture_of_experts.balance-loss", _torch_loss),
    ],
)
def test_the_exercise_checks_pass_on_our_implementations(exercise: str, impl) -> None:
    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed


def test_torch_mirrors_refuse_numpy_and_numpy_refuses_tensors() -> None:
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        top_k_gating_torch(np.zeros((2, 3)), 1)
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        load_balancing_loss_torch(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="NumPy array"):
        top_k_gating(torch.zeros(2, 3), 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: top_k_gating(np.zeros((2, 3)), 4), "top_k must be at most num_experts = 3"),
        (lambda: top_k_gating(np.zeros((2, 3)), 0), "top_k must be a positive integer"),
        (lambda: top_k_gating(1.0, 1), r"router_logits must have shape \(\.\.\., num_experts\)"),
        (lambda: expert_capacity(8, 4, capacity_factor=0.0), "capacity_factor must be positive"),
        (lambda: dispatch_with_capacity([[0, 5]], 4), r"indices must lie in \[0, 4\)"),
        (lambda: dispatch_with_capacity([0, 1], 4), r"indices must be integers of shape \(tokens, top_k\)"),
        (lambda: load_balancing_loss(np.zeros(3)), "router_logits must have shape"),
        (lambda: load_balancing_loss(np.zeros((3, 2)), mask=[True, False]), "mask must have 3 entries"),
        (lambda: load_balancing_loss(np.zeros((2, 2)), mask=[False, False]), "at least one True"),
        (
            lambda: moe_layer(
                np.zeros((2, 4)), np.zeros((3, 2)), np.zeros((2, 4, 5)), np.zeros((2, 4, 5)), np.zeros((2, 5, 4))
            ),
            r"router_weight must have shape \(d_model, num_experts\)",
        ),
        (
            lambda: moe_layer(
                np.zeros((2, 4)), np.zeros((4, 2)), np.zeros((2, 4, 5)), np.zeros((2, 4, 5)), np.zeros((2, 4, 5))
            ),
            r"w_down must have shape \(num_experts, d_ff, d_model\)",
        ),
        (lambda: moe_param_count(**{**MIXTRAL_8X7B, "num_kv_heads": 5}), "num_heads by num_kv_heads"),
    ],
)
def test_bad_input_raises(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_bank_numeric_answers_are_right() -> None:
    total, active = moe_param_count(**MIXTRAL_8X7B)
    computed = {
        "mixture_of_experts.mixtral-total": total / 1e9,
        "mixture_of_experts.mixtral-active": active / 1e9,
        "mixture_of_experts.capacity": float(expert_capacity(1024, 16, top_k=2, capacity_factor=1.25)),
        "mixture_of_experts.renormalised-gate": float(top_k_gating(np.log([[0.4, 0.3, 0.2, 0.1]]), 2)[0][0, 0]),
        "mixture_of_experts.collapsed-loss": load_balancing_loss(np.log([[0.9, 0.05, 0.03, 0.02]] * 8)),
        "mixture_of_experts.top2-uniform-loss": load_balancing_loss(np.log(np.where(np.eye(4), 0.4, 0.2)), top_k=2),
    }
    check_numeric_keys("mixture_of_experts", computed, lambda q, v: 0.5 * 10.0 ** -q["decimals"])
