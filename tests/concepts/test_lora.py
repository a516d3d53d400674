"""LoRA against ``peft``'s LoRA ``Linear`` with copied weights, and QLoRA's NF4 against the published table.

References: ``peft`` (a one-layer model wrapped by ``get_peft_model``, dropout 0, plain and
rank-stabilised scaling), ``transformers`` (a meta-device Llama-2-7B for the parameter
counts, nothing downloaded), SciPy's normal quantile function for NF4, and the NF4 table
printed in the QLoRA paper (Dettmers et al. 2023, arXiv:2305.14314, Appendix E), which is
also the table hard-coded in bitsandbytes' ``functional.py`` (``get_4bit_type("nf4")``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from support import bank_tolerance, check_numeric_keys

from concepts.lora import (
    NF4_OFFSET,
    decoder_lora_param_count,
    lora_forward,
    lora_forward_torch,
    lora_init,
    lora_merge,
    lora_param_count,
    lora_scaling,
    nf4_dequantize,
    nf4_levels,
    nf4_quantize,
    quantized_bits_per_param,
    quantized_weight_bytes,
)

torch = pytest.importorskip("torch")


def _peft():
    """``peft`` (the test extra); only the tests that compare with it skip when it is missing."""
    return pytest.importorskip("peft")


# The NF4 table as published (QLoRA, Appendix E; bitsandbytes get_4bit_type("nf4")).
NF4_PUBLISHED = [
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
    0.7229568362236023, 1.0,
]  # fmt: skip

# (d_in, d_out, r, alpha): square, wide, tall, rank 1, rank equal to d_in, alpha below and above r.
CASES = [(4, 3, 2, 4.0), (8, 8, 1, 1.0), (16, 5, 4, 32.0), (5, 16, 8, 16.0), (6, 7, 6, 3.0), (32, 24, 8, 8.0)]


def peft_layer(d_in: int, d_out: int, r: int, alpha: float, *, use_rslora: bool, seed: int, dtype=None):
    """A one-layer model whose ``proj`` is wrapped by peft; B set to random values so the adapter matters."""
    peft = _peft()
    torch.manual_seed(seed)

    class One(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = torch.nn.Linear(d_in, d_out)

        def forward(self, x):
            return self.proj(x)

    config = peft.LoraConfig(r=r, lora_alpha=alpha, target_modules=["proj"], lora_dropout=0.0, use_rslora=use_rslora)
    model = peft.get_peft_model(One(), config)
    layer = model.base_model.model.proj
    with torch.no_grad():
        layer.lora_B["default"].weight.normal_()
    if dtype is not None:
        model = model.to(dtype)
    return model, layer


def peft_weights(layer) -> tuple:
    """(weight, bias, lora_A, lora_B) of a peft LoRA Linear, in peft's layouts."""
    return (layer.base_layer.weight, layer.base_layer.bias, layer.lora_A["default"].weight,
            layer.lora_B["default"].weight)  # fmt: skip


# -- the checks, callable on any implementation -------------------------------------------------


def check_forward_against_peft(
    forward: Callable, d_in: int, d_out: int, r: int, alpha: float, use_rslora: bool
) -> None:
    """NumPy ``x W + s (x A) B`` (+ the base bias) equals peft's output in float64, W = weight.T etc."""
    model, layer = peft_layer(d_in, d_out, r, alpha, use_rslora=use_rslora, seed=d_in + r, dtype=torch.float64)
    x = torch.randn(3, 2, d_in, dtype=torch.float64)
    W, b, A, B = (t.detach().numpy() for t in peft_weights(layer))
    want = model(x).detach().numpy()
    got = forward(x.numpy(), W.T, A.T, B.T, alpha, use_rslora=use_rslora) + b
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# -- peft's LoRA Linear --------------------------------------------------------------------------


@pytest.mark.parametrize("use_rslora", [False, True])
@pytest.mark.parametrize(("d_in", "d_out", "r", "alpha"), CASES)
def test_numpy_forward_matches_peft(d_in: int, d_out: int, r: int, alpha: float, use_rslora: bool) -> None:
    check_forward_against_peft(lora_forward, d_in, d_out, r, alpha, use_rslora)


@pytest.mark.parametrize("use_rslora", [False, True])
@pytest.mark.parametrize(("d_in", "d_out", "r", "alpha"), CASES)
def test_scaling_is_peft_scaling(d_in: int, d_out: int, r: int, alpha: float, use_rslora: bool) -> None:
    _, layer = peft_layer(d_in, d_out, r, alpha, use_rslora=use_rslora, seed=0)
    assert lora_scaling(alpha, r, use_rslora=use_rslora) == pytest.approx(layer.scaling["default"], rel=1e-15)


@pytest.mark.parametrize(
    ("dtype", "tol"), [("float64", 1e-12), ("float32", 1e-5), ("bfloat16", 3e-2), ("float16", 3e-3)]
)
@pytest.mark.parametrize("use_rslora", [False, True])
def test_torch_mirror_and_module_match_peft_in_each_dtype(dtype: str, tol: float, use_rslora: bool) -> None:
    from concepts.lora import LoRALinear

    dt = getattr(torch, dtype)
    for d_in, d_out, r, alpha in CASES:
        model, layer = peft_layer(d_in, d_out, r, alpha, use_rslora=use_rslora, seed=r, dtype=dt)
        weight, bias, A, B = (t.detach() for t in peft_weights(layer))
        x = torch.randn(4, d_in).to(dt)
        want = model(x).detach().double()
        mirror = lora_forward_torch(x, weight, A, B, alpha, use_rslora=use_rslora) + bias
        ours = LoRALinear(torch.nn.Linear(d_in, d_out, dtype=dt), r, alpha, use_rslora=use_rslora)
        with torch.no_grad():
            for dst, src in zip((ours.base.weight, ours.base.bias, ours.lora_A.weight, ours.lora_B.weight),
                                (weight, bias, A, B), strict=True):  # fmt: skip
                dst.copy_(src)
        scale = want.abs().max().item() + 1.0
        assert mirror.dtype == dt and ours(x).dtype == dt
        assert (mirror.double() - want).abs().max().item() <= tol * scale
        assert (ours(x).detach().double() - want).abs().max().item() <= tol * scale


def test_peft_defaults_the_page_states() -> None:
    """peft's LoraConfig defaults: r = 8, lora_alpha = 8 (scaling 1), Kaiming-uniform A and zero B, no rsLoRA."""
    config = _peft().LoraConfig()
    assert (config.r, config.lora_alpha, config.init_lora_weights, config.use_rslora) == (8, 8, True, False)


def test_alpha_over_r_not_alpha_flip_is_caught() -> None:
    """With alpha = 16 and r = 8 peft scales by 2; scaling by alpha (16) or alpha / sqrt(r) (5.66) disagrees."""
    model, layer = peft_layer(8, 8, 8, 16.0, use_rslora=False, seed=1, dtype=torch.float64)
    W, b, A, B = (t.detach().numpy() for t in peft_weights(layer))
    x = np.random.default_rng(0).standard_normal((5, 8))
    want = model(torch.from_numpy(x)).detach().numpy()
    assert layer.scaling["default"] == 2.0
    np.testing.assert_allclose(lora_forward(x, W.T, A.T, B.T, 16.0) + b, want, rtol=1e-12, atol=1e-12)
    wrong_alpha = x @ W.T + b + x @ A.T @ B.T * 16.0
    wrong_rs = lora_forward(x, W.T, A.T, B.T, 16.0, use_rslora=True) + b
    assert np.abs(wrong_alpha - want).max() > 1.0
    assert np.abs(wrong_rs - want).max() > 1.0


def test_rslora_keeps_the_update_size_steady_across_ranks() -> None:
    """With A, B of unit-variance entries, ``s (x A) B`` has std ~ s sqrt(r): alpha/r shrinks it as 1/sqrt(r)."""
    rng = np.random.default_rng(0)
    d, alpha = 256, 16.0
    x = rng.standard_normal((2000, d)) / np.sqrt(d)
    ratios = {}
    for use_rslora in (False, True):
        stds = []
        for r in (4, 64):
            A, B = rng.standard_normal((d, r)), rng.standard_normal((r, d))
            stds.append(float(np.std(lora_forward(x, np.zeros((d, d)), A, B, alpha, use_rslora=use_rslora))))
        ratios[use_rslora] = stds[1] / stds[0]
    assert ratios[True] == pytest.approx(1.0, rel=0.1)
    assert ratios[False] == pytest.approx(0.25, rel=0.1)  # sqrt(4 / 64)


# -- merging, initialisation, gradients ----------------------------------------------------------


@pytest.mark.parametrize(("d_in", "d_out", "r", "alpha"), CASES)
@pytest.mark.parametrize("use_rslora", [False, True])
def test_merged_equals_unmerged(d_in: int, d_out: int, r: int, alpha: float, use_rslora: bool) -> None:
    from concepts.lora import LoRALinear

    rng = np.random.default_rng(r)
    W, A, B = rng.standard_normal((d_in, d_out)), rng.standard_normal((d_in, r)), rng.standard_normal((r, d_out))
    x = rng.standard_normal((5, d_in))
    merged = lora_merge(W, A, B, alpha, use_rslora=use_rslora)
    np.testing.assert_allclose(x @ merged, lora_forward(x, W, A, B, alpha, use_rslora=use_rslora), atol=1e-11)

    torch.manual_seed(r)
    layer = LoRALinear(torch.nn.Linear(d_in, d_out, dtype=torch.float64), r, alpha, use_rslora=use_rslora)
    with torch.no_grad():
        layer.lora_B.weight.normal_()
    xt = torch.from_numpy(x)
    before, weight = layer(xt).detach().clone(), layer.base.weight.detach().clone()
    layer.merge()
    assert layer.merged
    torch.testing.assert_close(layer(xt).detach(), before, rtol=1e-12, atol=1e-12)
    layer.unmerge()
    torch.testing.assert_close(layer.base.weight.detach(), weight, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(layer(xt).detach(), before, rtol=1e-12, atol=1e-12)


def test_merge_matches_peft_merge_and_unload() -> None:
    model, layer = peft_layer(12, 9, 4, 8.0, use_rslora=True, seed=3, dtype=torch.float64)
    W, _, A, B = (t.detach().numpy().copy() for t in peft_weights(layer))
    merged = model.merge_and_unload().proj.weight.detach().numpy()
    np.testing.assert_allclose(merged.T, lora_merge(W.T, A.T, B.T, 8.0, use_rslora=True), rtol=1e-13, atol=1e-13)


def test_bf16_merge_unmerge_round_trip_is_not_exact() -> None:
    """The pitfall the page states: in bfloat16, W + dW - dW rounds away from W."""
    from concepts.lora import LoRALinear

    torch.manual_seed(0)
    layer = LoRALinear(torch.nn.Linear(64, 64, dtype=torch.bfloat16), 8, 16.0)
    with torch.no_grad():
        layer.lora_B.weight.normal_()
    weight = layer.base.weight.detach().clone()
    layer.merge()
    layer.unmerge()
    assert not torch.equal(layer.base.weight, weight)


def test_b_zero_gives_the_base_output_exactly() -> None:
    from concepts.lora import LoRALinear

    torch.manual_seed(0)
    base = torch.nn.Linear(10, 6)
    layer = LoRALinear(base, 4, 8.0)
    x = torch.randn(3, 10)
    assert torch.equal(layer(x), base(x))
    assert torch.count_nonzero(layer.lora_B.weight) == 0 and torch.count_nonzero(layer.lora_A.weight) == 40
    _, peft_lay = peft_layer(10, 6, 4, 8.0, use_rslora=False, seed=0)
    peft_lay.reset_lora_parameters("default", True)  # peft's own init: B zero, A kaiming-uniform
    assert torch.count_nonzero(peft_lay.lora_B["default"].weight) == 0
    A, B = lora_init(10, 6, 4, rng=0)
    x_np = np.random.default_rng(1).standard_normal((3, 10))
    W = np.random.default_rng(2).standard_normal((10, 6))
    assert np.array_equal(lora_forward(x_np, W, A, B, 8.0), x_np @ W)


def test_init_bound_is_peft_kaiming_uniform() -> None:
    """peft's A is kaiming_uniform_(a=sqrt(5)) on (r, d_in): U(-1/sqrt(d_in), 1/sqrt(d_in)), as ours."""
    d_in, r = 400, 64
    _, layer = peft_layer(d_in, 3, r, 8.0, use_rslora=False, seed=0)
    layer.reset_lora_parameters("default", True)
    theirs = layer.lora_A["default"].weight.detach().numpy()
    ours, B = lora_init(d_in, 3, r, rng=0)
    bound = 1 / np.sqrt(d_in)
    assert np.abs(theirs).max() <= bound and np.abs(ours).max() <= bound
    assert np.abs(theirs).max() > 0.99 * bound and np.abs(ours).max() > 0.99 * bound
    assert np.std(ours) == pytest.approx(bound / np.sqrt(3), rel=0.02)  # uniform: bound / sqrt(3)
    assert np.std(theirs) == pytest.approx(bound / np.sqrt(3), rel=0.02)
    assert not B.any()


def test_only_a_and_b_receive_gradients_and_they_equal_peft() -> None:
    from concepts.lora import LoRALinear

    model, layer = peft_layer(7, 5, 3, 6.0, use_rslora=False, seed=4, dtype=torch.float64)
    assert sorted(n for n, p in model.named_parameters() if p.requires_grad) == [
        "base_model.model.proj.lora_A.default.weight",
        "base_model.model.proj.lora_B.default.weight",
    ]
    ours = LoRALinear(torch.nn.Linear(7, 5, dtype=torch.float64), 3, 6.0)
    with torch.no_grad():
        for dst, src in zip((ours.base.weight, ours.base.bias, ours.lora_A.weight, ours.lora_B.weight),
                            peft_weights(layer), strict=True):  # fmt: skip
            dst.copy_(src)
    x = torch.randn(4, 7, dtype=torch.float64)
    model(x).pow(2).sum().backward()
    ours(x).pow(2).sum().backward()
    assert ours.base.weight.grad is None and ours.base.bias.grad is None
    torch.testing.assert_close(ours.lora_A.weight.grad, layer.lora_A["default"].weight.grad)
    torch.testing.assert_close(ours.lora_B.weight.grad, layer.lora_B["default"].weight.grad)


def test_at_step_zero_only_b_gets_a_nonzero_gradient() -> None:
    """dL/dA = s xᵀ g Bᵀ is zero while B = 0; dL/dB = s (x A)ᵀ g is not, so B moves first."""
    from concepts.lora import LoRALinear

    torch.manual_seed(0)
    layer = LoRALinear(torch.nn.Linear(6, 4), 2, 4.0)
    layer(torch.randn(3, 6)).sum().backward()
    assert torch.count_nonzero(layer.lora_A.weight.grad) == 0
    assert torch.count_nonzero(layer.lora_B.weight.grad) > 0


# -- parameter counts ----------------------------------------------------------------------------

LLAMA2_7B = {"d_model": 4096, "num_layers": 32, "num_heads": 32, "d_ff": 11008, "vocab_size": 32000}


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_llama2_7b_q_v_r8_matches_peft_on_a_meta_model() -> None:
    """r = 8 on q_proj and v_proj of Llama-2-7B: 2 * 32 * 8 * (4096 + 4096) = 4,194,304 trainable."""
    peft, transformers = _peft(), pytest.importorskip("transformers")
    cfg = transformers.LlamaConfig(
        vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
        num_key_value_heads=32, max_position_embeddings=4096, tie_word_embeddings=False,
    )  # fmt: skip
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(cfg)
    base = sum(p.numel() for p in model.parameters())
    peft_model = peft.get_peft_model(model, peft.LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    trainable, total = peft_model.get_nb_trainable_parameters()
    ours = lora_param_count(4096, 4096, 8, num_modules=2 * 32)
    assert ours == 4_194_304 == trainable
    assert decoder_lora_param_count(4096, 32, 8, num_heads=32) == trainable
    assert base == 6_738_415_616 and total == base + ours == 6_742_609_920
    assert f"{100 * trainable / total:.4f}" == "0.0622"  # print_trainable_parameters' trainable%


def test_full_fine_tuning_memory_the_bank_quotes() -> None:
    """16 bytes per parameter for mixed-precision Adam; 2 bytes for a frozen bf16 base (lora.params)."""
    n, adapter = 6_738_415_616, lora_param_count(4096, 4096, 8, num_modules=64)
    assert round(16 * n / 1e9) == 108 and round(2 * n / 1e9, 1) == 13.5 and round(16 * adapter / 1e6) == 67


@pytest.mark.parametrize(
    "targets", [("q_proj", "v_proj"), ("k_proj",), ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                     "down_proj")]
)  # fmt: skip
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_gqa_and_mlp_targets_match_peft(targets: tuple[str, ...]) -> None:
    peft, transformers = _peft(), pytest.importorskip("transformers")
    cfg = transformers.LlamaConfig(vocab_size=50, hidden_size=64, intermediate_size=176, num_hidden_layers=3,
                                   num_attention_heads=8, num_key_value_heads=2)  # fmt: skip
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(cfg)
    trainable, _ = peft.get_peft_model(
        model, peft.LoraConfig(r=4, target_modules=list(targets))
    ).get_nb_trainable_parameters()
    assert decoder_lora_param_count(64, 3, 4, num_heads=8, num_kv_heads=2, d_ff=176, targets=targets) == trainable


def test_lora_count_against_full_fine_tuning() -> None:
    assert lora_param_count(4096, 4096, 8) == 65_536
    assert 4096 * 4096 / lora_param_count(4096, 4096, 8) == 256.0
    assert lora_param_count(4096, 4096, 4096 // 2) == 4096 * 4096  # break-even: r = d_in d_out / (d_in + d_out)


# -- QLoRA: NF4 and storage ----------------------------------------------------------------------


def test_nf4_levels_reproduce_the_published_table() -> None:
    """Our float64 construction matches the published (float32-derived) table to 1.1e-7, well inside 1e-6."""
    levels = nf4_levels()
    assert levels.shape == (16,)
    np.testing.assert_allclose(levels, NF4_PUBLISHED, rtol=0, atol=1e-6)
    assert np.abs(levels - NF4_PUBLISHED).max() < 2e-7
    assert levels[7] == 0.0 and levels[0] == -1.0 and levels[-1] == 1.0
    assert abs(NF4_OFFSET - 0.9677083) < 1e-7


def test_nf4_levels_with_scipy_quantiles_and_the_asymmetry() -> None:
    from scipy.stats import norm

    pos = norm.ppf(np.linspace(NF4_OFFSET, 0.5, 9)[:-1])
    neg = -norm.ppf(np.linspace(NF4_OFFSET, 0.5, 8)[:-1])
    v = np.sort(np.r_[neg, 0.0, pos])
    np.testing.assert_allclose(nf4_levels(), v / v.max(), rtol=0, atol=1e-15)
    assert (nf4_levels() > 0).sum() == 8 and (nf4_levels() < 0).sum() == 7
    symmetric = norm.ppf(np.linspace(1 - NF4_OFFSET, NF4_OFFSET, 16))  # 16 symmetric quantiles: no zero level
    symmetric /= symmetric.max()
    assert round(float(np.abs(symmetric).min()), 2) == 0.04  # the bank's "about +-0.04 after scaling"


def test_the_published_table_is_the_construction_in_float32() -> None:
    """The page's claim: the table is QLoRA's construction run as bitsandbytes runs it, in float32.

    The offset written as 0.9677083, float32 ``torch.linspace`` probabilities, SciPy's
    quantiles, a float32 tensor divided by its maximum: that reproduces every published
    value exactly (bitsandbytes' ``create_normal_map``).
    """
    from scipy.stats import norm

    pos = norm.ppf(torch.linspace(0.9677083, 0.5, 9)[:-1].numpy())  # the offset as bitsandbytes writes it
    neg = -norm.ppf(torch.linspace(0.9677083, 0.5, 8)[:-1].numpy())
    v = torch.tensor(np.r_[neg, 0.0, pos], dtype=torch.float32).sort().values
    v /= v.max()
    assert v.tolist() == NF4_PUBLISHED


def test_nf4_quantisation_round_trip() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal(64 * 50) * 0.02
    codes, absmax = nf4_quantize(w)
    assert codes.dtype == np.uint8 and codes.max() <= 15 and absmax.shape == (50,)
    back = nf4_dequantize(codes, absmax)
    half_gap = np.diff(nf4_levels()).max() / 2
    assert np.all(np.abs(back - w) <= half_gap * np.repeat(absmax, 64) + 1e-15)
    levels_in = np.r_[nf4_levels(), nf4_levels()[::-1]] * 3.0
    codes, absmax = nf4_quantize(levels_in, block_size=32)
    np.testing.assert_array_equal(nf4_dequantize(codes, absmax, block_size=32), levels_in)
    # NF4 beats uniform int4 levels on normal weights (QLoRA's motivation).
    uniform = np.linspace(-1, 1, 16)
    normed = (w.reshape(-1, 64) / np.abs(w.reshape(-1, 64)).max(1, keepdims=True)).ravel()
    err_uniform = np.mean((uniform[np.abs(normed[:, None] - uniform).argmin(1)] - normed) ** 2)
    err_nf4 = np.mean((nf4_levels()[np.abs(normed[:, None] - nf4_levels()).argmin(1)] - normed) ** 2)
    assert err_nf4 < err_uniform


def test_double_quantisation_memory_arithmetic() -> None:
    """4 + 32/64 = 4.5 bits; with DQ 4 + 8/64 + 32/(64 * 256) = 4.126953125; saving 0.373 bits per parameter.

    QLoRA (Section 3) states the saving as 0.373 bits per parameter, about 3 GB for a 65B model.
    """
    assert quantized_bits_per_param() == 4.5
    assert quantized_bits_per_param(double_quant=True) == 4 + 8 / 64 + 32 / (64 * 256) == 4.126953125
    saving = quantized_bits_per_param() - quantized_bits_per_param(double_quant=True)
    assert round(saving, 3) == 0.373
    assert round(65e9 * saving / 8 / 1e9, 1) == 3.0
    assert quantized_weight_bytes(8, bits=4, block_size=8) == 8 * (4 + 4) / 8
    assert quantized_weight_bytes(6_738_415_616, double_quant=True) / 2**30 == pytest.approx(3.2374, abs=1e-4)


# -- a hand-worked example, bad input ------------------------------------------------------------


def test_hand_worked_example() -> None:
    """x = (1, 2), W = I, A = (1, 1)ᵀ (r = 1), B = (3, -1), alpha = 2.

    x A = 1 + 2 = 3; (x A) B = (9, -3); alpha / r = 2, so the update is (18, -6) and
    y = (1, 2) + (18, -6) = (19, -4). The merged W' = I + 2 A B = [[7, -2], [6, -1]] and
    x W' = (1*7 + 2*6, 1*(-2) + 2*(-1)) = (19, -4) again. Scaling by alpha instead of
    alpha / r would give the same here (r = 1): only r > 1 tells the two apart, which is
    why the checks use r >= 2.
    """
    x, W, A, B = [[1.0, 2.0]], np.eye(2), [[1.0], [1.0]], [[3.0, -1.0]]
    assert lora_forward(x, W, A, B, 2.0).tolist() == [[19.0, -4.0]]
    assert lora_merge(W, A, B, 2.0).tolist() == [[7.0, -2.0], [6.0, -1.0]]


def test_bad_input_raises() -> None:
    W, A, B = np.eye(3), np.ones((3, 2)), np.ones((2, 3))
    with pytest.raises(ValueError, match=r"alpha must be positive; got 0"):
        lora_forward(np.ones((1, 3)), W, A, B, 0)
    with pytest.raises(ValueError, match=r"A must have shape \(d_in, r\) = \(3, r\)"):
        lora_forward(np.ones((1, 3)), W, A.T, B, 1.0)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., d_in\) = \(\.\.\., 3\); got \(1, 4\)"):
        lora_forward(np.ones((1, 4)), W, A, B, 1.0)
    with pytest.raises(TypeError, match=r"x must be a NumPy array or array-like; got a torch.Tensor"):
        lora_forward(torch.ones(1, 3), W, A, B, 1.0)
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor; got a NumPy array"):
        lora_forward_torch(np.ones((1, 3)), torch.eye(3), torch.ones(2, 3), torch.ones(3, 2), 1.0)
    with pytest.raises(ValueError, match=r"need W \(d_out, d_in\), A \(r, d_in\)"):
        lora_forward_torch(torch.ones(1, 3), torch.eye(3), torch.ones(3, 2), torch.ones(3, 2), 1.0)
    with pytest.raises(ValueError, match=r"r must be a positive integer; got 0"):
        lora_param_count(8, 8, 0)
    with pytest.raises(ValueError, match=r"targets must be a non-empty subset"):
        decoder_lora_param_count(64, 2, 4, num_heads=8, targets=("gate_proj",))
    with pytest.raises(ValueError, match=r"w must hold a positive multiple of block_size = 64 values; got 10"):
        nf4_quantize(np.ones(10))
    with pytest.raises(ValueError, match=r"offset must lie in \(0.5, 1\)"):
        nf4_levels(offset=1.0)
    from concepts.lora import LoRALinear

    with pytest.raises(TypeError, match=r"base must be a torch.nn.Linear; got Conv1d"):
        LoRALinear(torch.nn.Conv1d(2, 2, 1), 2, 4.0)


# -- the bank, the exercises, the page -----------------------------------------------------------


def test_every_numeric_key_is_computed() -> None:
    computed = {
        "lora.llama-trainable": lora_param_count(4096, 4096, 8, num_modules=64),
        "lora.scaling-plain": lora_scaling(32, 16),
        "lora.scaling-rslora": lora_scaling(16, 64, use_rslora=True),
        "lora.one-matrix-params": lora_param_count(4096, 11008, 16),
        "lora.dq-bits": quantized_bits_per_param(double_quant=True),
        "lora.qlora-65b-gb": 65e9 * quantized_bits_per_param(double_quant=True) / 8 / 1e9,
        "lora.gqa-kv-params": decoder_lora_param_count(
            4096, 32, 16, num_heads=32, num_kv_heads=8, targets=("k_proj", "v_proj")
        ),
        "lora.nf4-positive-levels": int((nf4_levels() > 0).sum()),
    }
    check_numeric_keys("lora", computed, bank_tolerance)


def test_exercise_checks_pass_on_our_implementation() -> None:
    from concepts.exercises._harness import run_checks
    from concepts.exercises.lora import CHECKS

    impls = {"lora.forward": lora_forward, "lora.merge": lora_merge, "lora.init": lora_init}
    assert set(CHECKS) == set(impls)
    for exercise, impl in impls.items():
        failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
        assert not failed, (exercise, failed)
