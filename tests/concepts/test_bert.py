"""BERT from the package's parts against Hugging Face's ``BertModel`` / ``BertForMaskedLM``.

The reference models are built from a tiny random ``BertConfig`` (no download), every
parameter redrawn so that LayerNorm gains, biases and activations are far from the identity
(with BERT's own init, std 0.02 and LayerNorm 1/0, a tanh GELU or a pre-LN layer would
differ from the truth by less than a loose tolerance would notice). Parameter counts of the
real sizes are compared with models built on the ``meta`` device.

Hand-worked example (``test_hand_worked_embedding``): word rows ``e_0 = (1, 0, 0)`` and
``e_2 = (0, 0, 1)``, zero positions and segments. Row ``(1, 0, 0)`` has mean 1/3 and biased
variance ``(4/9 + 1/9 + 1/9) / 3 = 2/9``, so LayerNorm gives ``(2/3, -1/3, -1/3) / sqrt(2/9)
= (sqrt 2, -1/sqrt 2, -1/sqrt 2) = (1.4142, -0.7071, -0.7071)``.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from support import check_numeric_keys

from concepts.bert import (
    bert_embeddings,
    bert_encoder_layer,
    bert_forward,
    bert_layer,
    bert_mlm_inputs,
    bert_mlm_logits,
    bert_mlm_param_count,
    bert_param_count,
    bert_params_from_torch,
    best_span,
    init_bert_params,
)
from concepts.exercises._harness import run_checks
from concepts.exercises.bert import CHECKS
from concepts.masking import mlm_mask

TINY = {
    "vocab_size": 100,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "max_position_embeddings": 40,
}
# (batch, seq_len, lengths or None): one token, no padding, right padding down to length 1
CASES = [(1, 1, None), (2, 5, None), (3, 9, [9, 4, 1]), (2, 16, [16, 7])]


def _randomise(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Redraw every parameter: matrices N(0, 0.3^2), biases N(0, 0.2^2), LayerNorm gains 1 + N(0, 0.2^2)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g, dtype=p.dtype)
            p.copy_(1.0 + 0.2 * noise if "LayerNorm.weight" in name else (0.3 if p.ndim == 2 else 0.2) * noise)
    return model


def _hf(cls_name: str, attn: str | None = "sdpa", **overrides):
    transformers = pytest.importorskip("transformers")
    extra = {} if attn is None else {"attn_implementation": attn}
    config = transformers.BertConfig(**{**TINY, **overrides}, **extra)
    model = getattr(transformers, cls_name)(config)
    assert attn is None or model.config._attn_implementation == attn
    return _randomise(model.double().eval())


def _batch(batch: int, seq_len: int, lengths, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, TINY["vocab_size"], (batch, seq_len), generator=g)
    types = torch.randint(0, 2, (batch, seq_len), generator=g)
    if lengths is None:
        return ids, types, None
    mask = (torch.arange(seq_len)[None, :] < torch.tensor(lengths)[:, None]).long()
    return ids, types, mask


def _np(t):
    return None if t is None else t.numpy()


def test_default_attention_implementation_is_sdpa() -> None:
    """transformers 5 picks SDPA for BERT; both it and eager are compared below, and agree with us."""
    assert _hf("BertModel", attn=None).config._attn_implementation == "sdpa"


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize(("batch", "seq_len", "lengths"), CASES)
def test_bert_model_matches_hugging_face(attn: str, batch: int, seq_len: int, lengths) -> None:
    model = _hf("BertModel", attn)
    ids, types, mask = _batch(batch, seq_len, lengths)
    with torch.no_grad():
        out = model(input_ids=ids, token_type_ids=types, attention_mask=mask)
    h, pooled = bert_forward(ids.numpy(), bert_params_from_torch(model), token_type_ids=types.numpy(), mask=_np(mask))
    assert np.abs(h - out.last_hidden_state.numpy()).max() <= 1e-6
    assert np.abs(pooled - out.pooler_output.numpy()).max() <= 1e-6


@pytest.mark.parametrize(("batch", "seq_len", "lengths"), CASES)
def test_masked_lm_logits_match_hugging_face(batch: int, seq_len: int, lengths) -> None:
    model = _hf("BertForMaskedLM")
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight  # tied
    ids, types, mask = _batch(batch, seq_len, lengths, seed=1)
    with torch.no_grad():
        logits = model(input_ids=ids, token_type_ids=types, attention_mask=mask).logits.numpy()
    params = bert_params_from_torch(model)
    assert params["pooler"] is None and "decoder" not in params["mlm"]
    ours = bert_mlm_logits(ids.numpy(), params, token_type_ids=types.numpy(), mask=_np(mask))
    assert np.abs(ours - logits).max() <= 1e-6


def test_padding_changes_nothing_for_the_real_tokens() -> None:
    """A sequence padded with junk equals the same sequence alone, on its real positions."""
    params = bert_params_from_torch(_hf("BertModel"))
    ids, types, _ = _batch(1, 6, None, seed=2)
    alone, _ = bert_forward(ids[:, :4].numpy(), params, token_type_ids=types[:, :4].numpy())
    padded, _ = bert_forward(ids.numpy(), params, token_type_ids=types.numpy(), mask=[[1, 1, 1, 1, 0, 0]])
    np.testing.assert_allclose(padded[:, :4], alone, atol=1e-12)


def test_convention_flips_break_the_match() -> None:
    """Pre-LN, the tanh GELU, a stale untied decoder and dropped segments each leave the reference."""
    model = _hf("BertForMaskedLM")
    ids, types, mask = _batch(2, 7, [7, 3], seed=3)
    params = bert_params_from_torch(model)
    with torch.no_grad():
        h0 = model.bert(input_ids=ids, token_type_ids=types, attention_mask=mask).last_hidden_state.numpy()
    e = params["embeddings"]
    x = bert_embeddings(
        ids.numpy(), types.numpy(), e["word"], e["position"], e["token_type"], e["ln_weight"], e["ln_bias"]
    )
    layer = params["layers"][0]
    with torch.no_grad():
        hf_layer = model.bert.encoder.layer[0]
        ext = (1.0 - mask[:, None, None, :].double()) * torch.finfo(torch.float64).min  # additive (B, 1, 1, T)
        want = hf_layer(torch.from_numpy(x), attention_mask=ext)
        want = (want[0] if isinstance(want, tuple) else want).numpy()
    assert np.abs(bert_layer(x, layer, 4, mask=_np(mask)) - want).max() <= 1e-9
    assert np.abs(bert_layer(x, layer, 4, mask=_np(mask), norm_position="pre") - want).max() > 1e-1
    assert np.abs(bert_layer(x, layer, 4, mask=_np(mask), activation="gelu_tanh") - want).max() > 1e-5
    no_segments, _ = bert_forward(ids.numpy(), params, mask=_np(mask))  # token types dropped: all segment 0
    assert np.abs(no_segments - h0).max() > 1e-1
    # training moves the tied matrix; a decoder copied before the step (untied) goes stale
    stale = {**params, "mlm": {**params["mlm"], "decoder": params["embeddings"]["word"].T.copy()}}
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight.add_(0.05)
        logits = model(input_ids=ids, token_type_ids=types, attention_mask=mask).logits.numpy()
    fresh = bert_params_from_torch(model)
    assert (
        np.abs(bert_mlm_logits(ids.numpy(), fresh, token_type_ids=types.numpy(), mask=_np(mask)) - logits).max() <= 1e-6
    )
    stale["embeddings"] = fresh["embeddings"]
    untied = bert_mlm_logits(ids.numpy(), stale, token_type_ids=types.numpy(), mask=_np(mask), tied=False)
    assert np.abs(untied - logits).max() > 1e-2


def test_untied_decoder_is_copied_and_used() -> None:
    model = _hf("BertForMaskedLM", tie_word_embeddings=False)
    assert model.cls.predictions.decoder.weight is not model.bert.embeddings.word_embeddings.weight
    params = bert_params_from_torch(model)
    ids, types, _ = _batch(2, 5, None, seed=4)
    with torch.no_grad():
        logits = model(input_ids=ids, token_type_ids=types).logits.numpy()
    assert np.abs(bert_mlm_logits(ids.numpy(), params, token_type_ids=types.numpy(), tied=False) - logits).max() <= 1e-6
    with torch.no_grad():  # untied, predictions.bias is no longer decoder.bias, and the forward ignores it
        model.cls.predictions.bias.add_(1.0)
        again = model(input_ids=ids, token_type_ids=types).logits.numpy()
    np.testing.assert_array_equal(again, logits)


def test_parameter_counts_equal_the_meta_device_models() -> None:
    transformers = pytest.importorskip("transformers")
    with torch.device("meta"):
        base = transformers.BertModel(transformers.BertConfig())
        mlm = transformers.BertForMaskedLM(transformers.BertConfig())
        untied = transformers.BertForMaskedLM(transformers.BertConfig(tie_word_embeddings=False))
    assert sum(p.numel() for p in base.parameters()) == bert_param_count() == 109_482_240
    with torch.device("meta"):
        no_pool = transformers.BertModel(transformers.BertConfig(), add_pooling_layer=False)
    assert sum(p.numel() for p in no_pool.parameters()) == bert_param_count(pooler=False) == 108_891_648
    assert sum(p.numel() for p in mlm.parameters()) == bert_mlm_param_count() == 109_514_298
    # untied, transformers 5 keeps cls.predictions.bias as a separate parameter that the forward never reads
    # (decoder.bias is used): the module counts one vocab_size more than the model computes with
    assert bert_mlm_param_count(tied=False) == 132_955_194
    assert sum(p.numel() for p in untied.parameters()) == bert_mlm_param_count(tied=False) + 30_522
    large = transformers.BertConfig(
        hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096
    )
    with torch.device("meta"):
        n_large = sum(p.numel() for p in transformers.BertModel(large).parameters())
    assert n_large == bert_param_count(d_model=1024, num_layers=24, d_ff=4096) == 335_141_888


def test_hand_worked_embedding() -> None:
    x = bert_embeddings([[0, 2]], None, np.eye(3), np.zeros((4, 3)), np.zeros((2, 3)), np.ones(3), np.zeros(3))
    r = math.sqrt(2.0)
    np.testing.assert_allclose(x, [[[r, -1 / r, -1 / r], [-1 / r, -1 / r, r]]], atol=1e-9)


@pytest.mark.parametrize(
    ("ex_id", "fn"), [("bert.embeddings", bert_embeddings), ("bert.encoder-layer", bert_encoder_layer)]
)
def test_the_exercise_checks_pass_on_ours(ex_id: str, fn) -> None:
    failed = [(r.name, r.message) for r in run_checks(CHECKS[ex_id], fn) if not r.passed]
    assert not failed, failed


def _brute_force_span(s, e, max_len, allowed):
    best = (-math.inf, -1, -1)
    for i in range(len(s)):
        for j in range(i, min(len(s), i + max_len)):
            if allowed[i] and allowed[j] and s[i] + e[j] > best[0]:
                best = (s[i] + e[j], i, j)
    return best


def test_best_span_equals_brute_force_and_is_never_reversed() -> None:
    rng = np.random.default_rng(0)
    for trial in range(60):
        n = int(rng.integers(1, 25))
        s, e = rng.standard_normal(n), rng.standard_normal(n)
        allowed = rng.random(n) < 0.7
        allowed[rng.integers(0, n)] = True
        max_len = int(rng.integers(1, 8))
        start, end, score = best_span(s, e, max_answer_len=max_len, allowed=allowed)
        want = _brute_force_span(s, e, max_len, allowed)
        assert (score, start, end) == pytest.approx(want), trial
        assert start <= end < start + max_len
    assert best_span([0.0, 5.0, 1.0, 0.0], [4.0, 0.0, 1.0, 3.0]) == (1, 3, 8.0)  # independent argmaxes: (1, 0)
    assert best_span([0.0, 5.0, 1.0, 0.0], [4.0, 0.0, 1.0, 3.0], max_answer_len=2) == (1, 2, 6.0)


def test_span_head_logits_come_from_the_question_answering_model() -> None:
    """BertForQuestionAnswering's qa_outputs is one (d_model, 2) dense layer on the last hidden states."""
    transformers = pytest.importorskip("transformers")
    model = _randomise(transformers.BertForQuestionAnswering(transformers.BertConfig(**TINY)).double().eval())
    ids, types, mask = _batch(1, 8, [8], seed=5)
    with torch.no_grad():
        out = model(input_ids=ids, token_type_ids=types, attention_mask=mask)
    params = bert_params_from_torch(model)
    h, _ = bert_forward(ids.numpy(), params, token_type_ids=types.numpy(), mask=_np(mask))
    w, b = model.qa_outputs.weight.detach().numpy().T, model.qa_outputs.bias.detach().numpy()
    start_end = h[0] @ w + b  # (seq_len, 2)
    np.testing.assert_allclose(start_end[:, 0], out.start_logits[0].numpy(), atol=1e-9)
    np.testing.assert_allclose(start_end[:, 1], out.end_logits[0].numpy(), atol=1e-9)
    assert best_span(start_end[:, 0], start_end[:, 1])[0] <= best_span(start_end[:, 0], start_end[:, 1])[1]


def test_mlm_inputs_follow_15_80_10_10_and_spare_special_tokens() -> None:
    rng = np.random.default_rng(0)
    tokens = rng.integers(1000, 30000, (200, 128))
    tokens[:, 0], tokens[:, -1], tokens[:10, 100:] = 101, 102, 0
    inputs, labels = bert_mlm_inputs(tokens, vocab_size=30522, mask_token_id=103, rng=1)
    special = np.isin(tokens, [0, 101, 102])
    assert (labels[special] == -100).all() and (inputs[special] == tokens[special]).all()
    chosen = labels != -100
    assert abs(chosen.sum() / (~special).sum() - 0.15) < 0.005
    masked = (inputs == 103) & chosen
    kept = (inputs == tokens) & chosen
    assert abs(masked.sum() / chosen.sum() - 0.8) < 0.02
    assert abs(kept.sum() / chosen.sum() - 0.1) < 0.015  # plus random draws that hit the same id (1 in 30522)
    assert (labels[chosen] == tokens[chosen]).all()


def test_bank_numeric_keys() -> None:
    d = inspect.signature(mlm_mask).parameters
    select, to_mask, to_random = (d[k].default for k in ("select_prob", "mask_prob", "random_prob"))
    computed = {
        "bert.base-params": bert_param_count(),
        "bert.mlm-params": bert_mlm_param_count(),
        "bert.embedding-params": bert_param_count(num_layers=1, pooler=False)
        - (bert_param_count(num_layers=2) - bert_param_count(num_layers=1)),
        "bert.layer-params": bert_param_count(num_layers=2) - bert_param_count(num_layers=1),
        "bert.masked-share": select * to_mask,
        "bert.unchanged-share": select * (1 - to_mask - to_random),
        "bert.span-score": best_span([0.0, 5.0, 1.0, 0.0], [4.0, 0.0, 1.0, 3.0])[2],
    }
    check_numeric_keys("bert", computed, lambda q, v: 1e-9 * max(1.0, abs(v)))


def test_errors_name_what_was_expected() -> None:
    p = init_bert_params(rng=0)
    with pytest.raises(ValueError, match="input_ids must be integers"):
        bert_forward([[0.5, 1.0]], p)
    with pytest.raises(ValueError, match="seq_len must be at most max_len"):
        bert_forward(np.zeros((1, 65), dtype=int), p)
    with pytest.raises(ValueError, match="norm_position"):
        bert_layer(np.zeros((1, 2, 32)), p["layers"][0], 4, norm_position="sandwich")
    with pytest.raises(ValueError, match="missing"):
        bert_layer(np.zeros((1, 2, 32)), {"w_q": 0}, 4)
    with pytest.raises(ValueError, match="1-D of one length"):
        best_span([1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="BertModel"):
        bert_params_from_torch(torch.nn.Linear(2, 2))


def test_the_page_s_parameter_table_and_shares() -> None:
    """The table under "Counting BERT-base's parameters" and the figure's caption."""
    total, body = bert_param_count(), bert_param_count(pooler=False)
    layer = bert_param_count(num_layers=2) - bert_param_count(num_layers=1)
    embeddings = body - 12 * layer
    assert (embeddings, layer, 12 * layer, total - body) == (23_837_184, 7_087_872, 85_054_464, 590_592)
    assert 30522 * 768 == 23_440_896
    assert round(100 * 12 * layer / total) == 78 and round(100 * 30522 * 768 / total) == 21
    assert bert_mlm_param_count(tied=False) + 30522 == 132_985_716


def test_the_page_s_convention_claims() -> None:
    """BertConfig's defaults are the exact GELU, eps 1e-12, 2 segments; the two GELU forms differ by < 5e-4."""
    transformers = pytest.importorskip("transformers")
    from transformers.activations import ACT2FN

    from concepts.feed_forward import gelu

    config = transformers.BertConfig()
    assert (config.hidden_act, config.layer_norm_eps, config.type_vocab_size) == ("gelu", 1e-12, 2)
    z = np.linspace(-8.0, 8.0, 4001)
    hf = ACT2FN["gelu"](torch.from_numpy(z)).numpy()
    np.testing.assert_allclose(hf, gelu(z), atol=1e-12)  # "gelu" is the erf form
    assert 1e-4 < np.abs(gelu(z) - gelu(z, approximate="tanh")).max() < 5e-4


def test_mlm_loss_on_corrupted_inputs_equals_hugging_face_s() -> None:
    """bert_mlm_inputs' labels (-100 off the selection) give BertForMaskedLM's loss through our cross-entropy."""
    from concepts.softmax_cross_entropy import cross_entropy

    model = _hf("BertForMaskedLM")
    tokens = np.random.default_rng(6).integers(3, 100, (3, 12))
    tokens[:, 0], tokens[:, -1] = 1, 2  # stand-ins for [CLS] and [SEP] in the tiny vocabulary
    inputs, labels = bert_mlm_inputs(tokens, vocab_size=100, mask_token_id=99, special_ids=(0, 1, 2), rng=0)
    assert (labels != -100).any()
    with torch.no_grad():
        loss = model(input_ids=torch.from_numpy(inputs), labels=torch.from_numpy(labels)).loss.item()
    logits = bert_mlm_logits(inputs, bert_params_from_torch(model))
    assert abs(cross_entropy(logits.reshape(-1, 100), labels.reshape(-1)) - loss) <= 1e-9
