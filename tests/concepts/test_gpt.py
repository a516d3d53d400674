"""Tests of concepts.gpt against Hugging Face's GPT2LMHeadModel (random tiny configs, no download)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

transformers = pytest.importorskip("transformers")
from support import bank_tolerance, check_numeric_keys  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel  # noqa: E402

from concepts.embeddings import gpt2_param_count  # noqa: E402
from concepts.exercises._harness import run_checks  # noqa: E402
from concepts.exercises.gpt import CHECKS  # noqa: E402
from concepts.gpt import (  # noqa: E402
    CORPUS,
    GPT,
    TRAIN_CONFIG,
    GPTConfig,
    causal_lm_loss,
    causal_lm_loss_torch,
    corpus_tokens,
    generate,
    gpt2_block,
    gpt2_params_from_torch,
    gpt_param_count,
    page_prose,
    train,
    unigram_baseline,
)

SHAPES = [(50, 16, 1, 2, 2, 5), (61, 24, 2, 3, 3, 9), (40, 32, 3, 4, 2, 12)]  # V, d, layers, heads, B, T


def pair(V, d, layers, heads, max_len=32, **flips):
    """A random float64 GPT2LMHeadModel and our GPT with its weights (``flips`` change one convention of ours)."""
    torch.manual_seed(V + d)
    hf_cfg = GPT2Config(vocab_size=V, n_positions=max_len, n_embd=d, n_layer=layers, n_head=heads)
    hf_cfg.bos_token_id = hf_cfg.eos_token_id = 0
    hf = GPT2LMHeadModel(hf_cfg).double().eval()
    with torch.no_grad():  # weights of 0.3 rather than GPT-2's 0.02, so every convention shows in the logits
        for name, w in hf.named_parameters():
            w.normal_(1.0 if "ln" in name and name.endswith("weight") else 0.0, 0.3)
    cfg = GPTConfig(vocab_size=V, max_len=max_len, d_model=d, num_layers=layers, num_heads=heads, **flips)
    ours = GPT(cfg).double().eval()
    ours.load_state_dict(gpt2_params_from_torch(hf.state_dict()), strict=flips.get("tied") is not False)
    return hf, ours


@pytest.mark.parametrize(("V", "d", "layers", "heads", "B", "T"), SHAPES)
def test_logits_equal_gpt2_without_mask(V, d, layers, heads, B, T):
    hf, ours = pair(V, d, layers, heads)
    idx = torch.randint(V, (B, T), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert (ours(idx) - hf(idx).logits).abs().max() <= 1e-6


@pytest.mark.parametrize(("V", "d", "layers", "heads", "B", "T"), SHAPES)
def test_logits_equal_gpt2_with_right_padding(V, d, layers, heads, B, T):
    """Right padding: real tokens keep positions 0.. and never see the pads after them."""
    hf, ours = pair(V, d, layers, heads)
    idx = torch.randint(V, (B, T), generator=torch.Generator().manual_seed(2))
    mask = torch.ones(B, T, dtype=torch.long)
    mask[-1, T // 2 :] = 0
    with torch.no_grad():
        diff = ours(idx, mask=mask.bool()) - hf(idx, attention_mask=mask).logits
    assert diff[mask.bool()].abs().max() <= 1e-6
    with torch.no_grad():  # and each padded row equals its unpadded prefix run alone
        alone = ours(idx[-1:, : T // 2])
    assert (ours(idx, mask=mask.bool())[-1, : T // 2] - alone[0]).abs().max() <= 1e-10


@pytest.mark.parametrize(("V", "d", "layers", "heads", "B", "T"), SHAPES)
def test_logits_equal_gpt2_with_left_padding_and_shifted_positions(V, d, layers, heads, B, T):
    hf, ours = pair(V, d, layers, heads)
    idx = torch.randint(V, (B, T), generator=torch.Generator().manual_seed(3))
    mask = torch.ones(B, T, dtype=torch.long)
    mask[-1, : T // 2] = 0
    pos = (mask.cumsum(-1) - 1).clamp(min=0)  # the first real token sits at position 0
    with torch.no_grad():
        diff = ours(idx, mask=mask.bool(), positions=pos) - hf(idx, attention_mask=mask, position_ids=pos).logits
        alone = ours(idx[-1:, T // 2 :])
        padded = ours(idx, mask=mask.bool(), positions=pos)
    assert diff[mask.bool()].abs().max() <= 1e-6
    assert (padded[-1, T // 2 :] - alone[0]).abs().max() <= 1e-10


@pytest.mark.parametrize("flip", [{"norm_first": False}, {"activation": "gelu"}])
def test_a_flipped_convention_breaks_equality(flip):
    hf, ours = pair(50, 16, 2, 2, **flip)
    idx = torch.randint(50, (2, 8), generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        assert (ours(idx) - hf(idx).logits).abs().max() > 1e-4


def test_untied_head_breaks_equality_unless_it_copies_the_embedding():
    hf, ours = pair(50, 16, 2, 2, tied=False)
    idx = torch.randint(50, (2, 8), generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        assert (ours(idx) - hf(idx).logits).abs().max() > 1e-4
        ours.head.copy_(ours.wte.weight)
        assert (ours(idx) - hf(idx).logits).abs().max() <= 1e-6
    assert hf.lm_head.weight.data_ptr() == hf.transformer.wte.weight.data_ptr()  # GPT-2 ties them


def test_gpt2_small_parameter_count_on_the_meta_device():
    with torch.device("meta"):
        hf = GPT2LMHeadModel(GPT2Config())
    assert sum(p.numel() for p in hf.parameters()) == gpt_param_count(GPTConfig()) == 124_439_808
    assert gpt_param_count(GPTConfig()) == gpt2_param_count()  # one count in the package
    for tied in (True, False):
        cfg = GPTConfig(vocab_size=30, max_len=12, d_model=8, num_layers=2, num_heads=2, tied=tied)
        assert sum(p.numel() for p in GPT(cfg).parameters()) == gpt_param_count(cfg)


def test_cached_generation_equals_uncached_greedy_and_sampled():
    _, model = pair(50, 16, 2, 2, max_len=40)
    prompt = torch.randint(50, (2, 4), generator=torch.Generator().manual_seed(6))
    a = generate(model, prompt, 16, greedy=True)
    assert torch.equal(a, generate(model, prompt, 16, greedy=True, use_cache=False))
    for knobs in ({"temperature": 0.7, "top_k": 10}, {"top_p": 0.9}):
        runs = [
            generate(model, prompt, 16, use_cache=c, generator=torch.Generator().manual_seed(7), **knobs)
            for c in (True, False)
        ]
        assert torch.equal(*runs)
    assert torch.equal(a[:, :4], prompt)


def test_generation_errors():
    _, model = pair(50, 16, 1, 2, max_len=10)
    with pytest.raises(ValueError, match="max_len"):
        generate(model, torch.zeros(1, 4, dtype=torch.long), 7)
    with pytest.raises(TypeError):
        generate(model, np.zeros((1, 4), dtype=np.int64), 2)
    with pytest.raises(ValueError, match="mask"):
        model(torch.zeros(1, 3, dtype=torch.long), mask=torch.ones(1, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="num_heads"):
        GPTConfig(d_model=10, num_heads=3)


def test_causal_lm_loss_hand_worked():
    """Logits (1, 3, 2): rows [0, 0], [ln 3, 0], [9, 9]; ids [1, 0, 1].

    Position 0 predicts ids[1] = 0 with p = 1/2; position 1 predicts ids[2] = 1 with
    p = 1 / (3 + 1) = 1/4; the last row predicts nothing. Loss = (ln 2 + ln 4) / 2 = 1.5 ln 2.
    With pad_id = 1 only the first target is left: ln 2.
    """
    z = [[[0.0, 0.0], [math.log(3), 0.0], [9.0, 9.0]]]
    assert causal_lm_loss(z, [[1, 0, 1]]) == pytest.approx(1.5 * math.log(2), abs=1e-12)
    assert causal_lm_loss(z, [[1, 0, 1]], pad_id=1) == pytest.approx(math.log(2), abs=1e-12)


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-10), (torch.float32, 1e-5), (torch.bfloat16, 3e-2)])
def test_causal_lm_loss_torch_matches_numpy_and_cross_entropy(dtype, tol):
    g = torch.Generator().manual_seed(8)
    z, ids = torch.randn(3, 7, 11, generator=g, dtype=torch.float64), torch.randint(11, (3, 7), generator=g)
    ids[0, 4:] = 0
    want = causal_lm_loss(z.numpy(), ids.numpy(), pad_id=0)
    ref = F.cross_entropy(z[:, :-1].reshape(-1, 11), ids[:, 1:].reshape(-1), ignore_index=0)
    got = causal_lm_loss_torch(z.to(dtype), ids, pad_id=0)
    assert got.dtype == dtype
    assert abs(float(got) - want) <= tol * max(1.0, abs(want)) and abs(float(ref) - want) <= 1e-10
    with pytest.raises(ValueError):
        causal_lm_loss(np.zeros((1, 1, 3)), np.zeros((1, 1), dtype=int))


def test_gpt2_block_numpy_equals_a_gpt2_block():
    hf, _ = pair(50, 16, 2, 2)
    idx = torch.randint(50, (1, 7), generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        hs = hf.transformer(idx, output_hidden_states=True).hidden_states
    sd = {k.removeprefix("transformer.h.0."): v.numpy() for k, v in hf.state_dict().items() if ".h.0." in k}
    got = gpt2_block(hs[0][0].numpy(), sd, 2)
    assert np.abs(got - hs[1][0].numpy()).max() <= 1e-6


def test_unigram_baseline_and_corpus():
    assert unigram_baseline([0, 0, 1], [0, 1], 2) == pytest.approx(-(math.log(3 / 5) + math.log(2 / 5)) / 2)
    size = len(CORPUS.read_bytes())
    assert 100_000 <= size < 200_000
    text = CORPUS.read_text(encoding="utf-8")
    assert "```" not in text and ":::" not in text and "{doc}" not in text
    assert page_prose("```{plot}\nx\n```\nkept") == "kept\n"
    tok, tr, ho = corpus_tokens(TRAIN_CONFIG.vocab_size)
    assert len(tok) == TRAIN_CONFIG.vocab_size and 0.07 < len(ho) / (len(tr) + len(ho)) < 0.13


TRAIN_STEPS = 200  # about 11 s on one idle core


def test_short_training_beats_the_unigram_baseline():
    """200 seeded steps take the held-out loss from ln 512 = 6.24 below the unigram baseline.

    Measured on one thread: held-out 4.749 against the baseline 5.333 (it passes the baseline
    between steps 100 and 150, once the model starts to use the previous tokens). The margin
    asserted, 0.4 nats, is what "well below" means here: frequencies alone cannot get there.
    """
    out = train(300.0, generator=torch.Generator().manual_seed(0), threads=1, max_steps=TRAIN_STEPS, log=None)
    assert out["steps"] == TRAIN_STEPS
    assert 5.2 < out["unigram"] < 5.5
    assert out["heldout_loss"] < out["unigram"] - 0.4, (out["heldout_loss"], out["unigram"])


def test_exercise_checks_pass_on_our_code():
    for exercise, impl in (("gpt.causal-lm-loss", causal_lm_loss), ("gpt.block-forward", gpt2_block)):
        results = run_checks(CHECKS[exercise], impl)
        assert [(r.name, r.message) for r in results if not r.passed] == []


def test_bank_numeric_keys():
    cfg = GPTConfig()
    d = cfg.d_model
    computed = {
        "gpt.targets": 4 * (128 - 1),
        "gpt.small-params": gpt_param_count(cfg),
        "gpt.block-params": (gpt_param_count(cfg) - gpt_param_count(GPTConfig(num_layers=1))) // 11,
        "gpt.uniform-loss": causal_lm_loss(np.zeros((1, 2, 768)), np.array([[0, 1]])),
    }
    assert computed["gpt.block-params"] == 12 * d * d + 13 * d
    check_numeric_keys("gpt", computed, bank_tolerance)
