"""Speculative decoding: exactness by enumeration, the tokens-per-call formula by simulation, greedy equality.

The trusted references are (1) the target's own sequence probabilities, products of its
conditionals, compared with the probability of every outcome of the speculative procedure
enumerated in float64 on a vocabulary of 3; (2) the closed form (1 - a^(g+1)) / (1 - a)
against a simulation, within its standard error; (3) the target's own greedy decoding
(``concepts.kv_cache.generate_cached``) token for token; (4) values worked by hand.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from support import check_numeric_keys

from concepts import speculative_decoding as sd
from concepts.exercises._harness import run_checks
from concepts.exercises.speculative_decoding import CHECKS
from concepts.kv_cache import TinyConfig, TinyDecoder, generate_cached
from concepts.speculative_decoding import (
    damp_blocks,
    expected_acceptance_rate,
    expected_tokens_per_call,
    improvement_factor,
    residual_distribution,
    sequence_probs,
    speculative_generate,
    speculative_sequence_probs,
    speculative_step,
    truncated_draft,
    verify_token,
)

BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "speculative_decoding.json"


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models decode token by token: on a shared machine, extra intra-op threads only wait on each other."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def table_model(seed: int, vocab: int = 3, sharp: float = 1.0):
    """A toy model as a probability table over contexts: the next token depends on the last two tokens."""
    table = np.random.default_rng(seed).dirichlet(np.full(vocab, sharp), size=(vocab, vocab))  # (V, V, V)
    if seed % 2:  # some zeros, so the draft proposes tokens the target never emits and vice versa
        table[0, :, 2] = 0.0
        table[0] /= table[0].sum(-1, keepdims=True)
    return lambda ctx: table[ctx[-2], ctx[-1]]


# ---------------------------------------------------------------- exactness by enumeration


@pytest.mark.parametrize(("g", "length", "seeds"), [(1, 3, (0, 1)), (2, 3, (2, 3)), (2, 4, (4, 7)), (3, 3, (5, 6))])
def test_output_distribution_equals_the_targets_exactly(g: int, length: int, seeds: tuple[int, int]) -> None:
    target, draft = table_model(seeds[0]), table_model(seeds[1])
    want = sequence_probs(target, (0, 1), length)
    got = speculative_sequence_probs(target, draft, (0, 1), length, g)
    every = set(itertools.product(range(3), repeat=length))
    assert abs(sum(got.values()) - 1) < 1e-12
    assert max(abs(got.get(s, 0.0) - want.get(s, 0.0)) for s in every) < 1e-12


def test_output_is_exact_whatever_the_draft_even_a_point_mass() -> None:
    target = table_model(0)
    for draft in (lambda ctx: np.array([1.0, 0.0, 0.0]), lambda ctx: np.full(3, 1 / 3)):
        got = speculative_sequence_probs(target, draft, (2, 2), 3, 2)
        want = sequence_probs(target, (2, 2), 3)
        assert max(abs(got.get(s, 0.0) - want.get(s, 0.0)) for s in set(got) | set(want)) < 1e-12


def _max_error(g: int = 2) -> float:
    target, draft = table_model(2), table_model(3)
    got, want = speculative_sequence_probs(target, draft, (0, 1), 3, g), sequence_probs(target, (0, 1), 3)
    return max(abs(got.get(s, 0.0) - want.get(s, 0.0)) for s in set(got) | set(want))


def test_flipping_the_residual_to_q_minus_p_breaks_exactness(monkeypatch: pytest.MonkeyPatch) -> None:
    def q_minus_p(p, q):
        r = np.maximum(np.asarray(q) - np.asarray(p), 0.0)
        return np.asarray(p) if r.sum() == 0 else r / r.sum()

    monkeypatch.setattr(sd, "residual_distribution", q_minus_p)
    assert _max_error() > 0.01


def test_an_unnormalised_residual_breaks_exactness(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sd, "residual_distribution", lambda p, q: np.maximum(np.asarray(p) - np.asarray(q), 0.0))
    assert _max_error() > 0.01


def test_accepting_with_p_over_q_without_the_min_breaks_exactness(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_min(p, q, token):
        return float(p[token] / q[token]), residual_distribution(p, q)

    monkeypatch.setattr(sd, "verify_token", no_min)
    assert _max_error() > 0.01


def test_a_step_samples_what_the_enumeration_says() -> None:
    """speculative_step (the sampler) agrees with the enumeration for a context-free table, within 5 SE."""
    p_row, q_row = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.6, 0.2])
    exact = speculative_sequence_probs(lambda c: p_row, lambda c: q_row, (0,), 1, 2)
    assert exact == pytest.approx({(0,): 0.5, (1,): 0.3, (2,): 0.2}, abs=1e-12)
    rng, n = np.random.default_rng(0), 3000
    first = [speculative_step([p_row] * 3, [q_row] * 2, rng.choice(3, 2, p=q_row), rng=rng)[0] for _ in range(n)]
    freq = np.bincount(first, minlength=3) / n
    assert np.abs(freq - p_row).max() < 5 * np.sqrt(0.25 / n)


# ---------------------------------------------------------------- one token, by hand


def test_hand_worked_token() -> None:
    """p = (0.5, 0.3, 0.2), q = (0.2, 0.6, 0.2). Token 1: p/q = 0.3/0.6 = 0.5. Token 0: p/q = 2.5,
    capped at 1. p - q = (0.3, -0.3, 0): residual (1, 0, 0). a = 0.2 + 0.3 + 0.2 = 0.7 = 1 - TV,
    TV = (0.3 + 0.3 + 0) / 2 = 0.3. The emitted probability of token 0 is
    q0 * 1 + (1 - a) * 1 = 0.2 + 0.3 = 0.5 = p0."""
    p, q = [0.5, 0.3, 0.2], [0.2, 0.6, 0.2]
    assert verify_token(p, q, 1) == (pytest.approx(0.5), pytest.approx([1.0, 0.0, 0.0]))
    assert verify_token(p, q, 0)[0] == 1.0
    assert expected_acceptance_rate(p, q) == pytest.approx(0.7)
    assert expected_acceptance_rate(p, q) == pytest.approx(1 - 0.5 * np.abs(np.subtract(p, q)).sum())


@pytest.mark.parametrize("ex_id", sorted(CHECKS))
def test_the_exercise_checks_pass_on_ours(ex_id: str) -> None:
    fn = verify_token if ex_id.endswith("verify-token") else speculative_step
    failed = [(r.name, r.message) for r in run_checks(CHECKS[ex_id], fn) if not r.passed]
    assert not failed, failed


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: residual_distribution([0.5, 0.6], [0.5, 0.5]), ValueError),
        (lambda: residual_distribution([0.5, 0.5], [1.0, 0.0, 0.0]), ValueError),
        (lambda: verify_token([0.5, 0.5], [1.0, 0.0], 1), ValueError),
        (lambda: verify_token([0.5, 0.5], [0.5, 0.5], 2), ValueError),
        (lambda: speculative_step([[0.5, 0.5]], [[0.5, 0.5]], [0]), ValueError),
        (lambda: expected_tokens_per_call(1.2, 4), ValueError),
        (lambda: improvement_factor(0.5, 4, -0.1), ValueError),
        (lambda: speculative_generate(TinyDecoder(), TinyDecoder(), np.array([[1]]), 2), TypeError),
        (lambda: speculative_generate(TinyDecoder(), TinyDecoder(), torch.tensor([[1], [2]]), 2), ValueError),
        (lambda: truncated_draft(TinyDecoder(), 3), ValueError),
    ],
)
def test_bad_input_is_refused(call, error) -> None:
    with pytest.raises(error):
        call()


# ---------------------------------------------------------------- tokens per target call


def test_formula_edges_and_series() -> None:
    assert expected_tokens_per_call(0.0, 5) == 1.0
    assert expected_tokens_per_call(1.0, 5) == 6.0
    for a, g in [(0.3, 1), (0.8, 4), (0.95, 10)]:
        assert expected_tokens_per_call(a, g) == pytest.approx(sum(a**i for i in range(g + 1)), rel=1e-12)
    assert improvement_factor(0.8, 4, 0.0) == pytest.approx(expected_tokens_per_call(0.8, 4))
    assert improvement_factor(0.0, 3, 0.1) < 1  # nothing accepted: the drafts are pure cost


@pytest.mark.parametrize(
    ("g", "p_row", "q_row"), [(2, [0.5, 0.3, 0.2], [0.2, 0.6, 0.2]), (4, [0.7, 0.2, 0.1], [0.6, 0.2, 0.2])]
)
def test_formula_matches_a_simulation_within_its_error(g: int, p_row: list[float], q_row: list[float]) -> None:
    """The same p and q at every position make acceptance i.i.d. with a = sum min(p, q)."""
    a = expected_acceptance_rate(p_row, q_row)
    p, q, rng, n = np.array([p_row] * (g + 1)), np.array([q_row] * g), np.random.default_rng(1), 3000
    lengths = np.array([len(speculative_step(p, q, rng.choice(3, g, p=q_row), rng=rng)) for _ in range(n)])
    se = lengths.std() / np.sqrt(n)
    assert abs(lengths.mean() - expected_tokens_per_call(a, g)) < 4 * se


def test_the_pages_predictions_from_the_measured_acceptance() -> None:
    """The page's benchmark table: formula values at the measured a = 0.789 and 0.246, g = 4, c = 0.078."""
    assert round(expected_tokens_per_call(0.789, 4), 2) == 3.29
    assert round(improvement_factor(0.789, 4, 0.078), 1) == 2.5
    assert round(expected_tokens_per_call(0.246, 4), 2) == 1.33
    assert round(improvement_factor(0.246, 4, 0.078), 1) == 1.0


def test_best_number_of_drafts() -> None:
    """More drafts pay only while a^g is not negligible: with a = 0.8 and c = 0.05 the best g is 8 (by scan),
    a speed-up of 3.09; with a = 0.5 and c = 0.5, one draft breaks even and two lose."""
    gains = [improvement_factor(0.8, g, 0.05) for g in range(1, 20)]
    assert int(np.argmax(gains)) + 1 == 8 and max(gains) == pytest.approx(3.092, abs=1e-3)
    assert improvement_factor(0.5, 1, 0.5) == pytest.approx(1.0)
    assert improvement_factor(0.5, 2, 0.5) == pytest.approx(0.875)  # a poor, costly draft slows decoding down


# ---------------------------------------------------------------- on TinyDecoder models


def _models(dtype: str = "float64", damp: float = 0.3):
    cfg = TinyConfig(vocab_size=16, max_len=64, d_model=32, num_layers=3, num_heads=4, num_kv_heads=2, dtype=dtype)
    target = damp_blocks(TinyDecoder(cfg, generator=torch.Generator().manual_seed(3)), 1, damp)
    return target, truncated_draft(target, 1)


@pytest.mark.parametrize("g", [1, 3, 6])
def test_greedy_speculative_equals_target_greedy(g: int) -> None:
    target, draft = _models()
    unrelated = TinyDecoder(
        TinyConfig(vocab_size=16, max_len=64, d_model=16, num_layers=1, num_heads=2, num_kv_heads=1),
        generator=torch.Generator().manual_seed(9),
    )
    for prompt in (torch.tensor([[1]]), torch.tensor([[3, 1, 4, 1, 5]])):
        want = generate_cached(target, prompt, 20)[0]
        for d in (draft, unrelated):
            got, stats = speculative_generate(target, d, prompt, 20, g=g, temperature=0)
            assert torch.equal(got, want)
            assert stats.target_calls <= 20


def test_identical_draft_is_always_accepted() -> None:
    target, _ = _models(damp=0.0)
    draft = truncated_draft(target, 1)  # blocks 1.. add nothing: the same logits
    prompt = torch.tensor([[1, 2]])
    torch.testing.assert_close(target(prompt), draft(prompt), rtol=0, atol=1e-10)
    tokens, stats = speculative_generate(target, draft, prompt, 25, g=4, generator=torch.Generator().manual_seed(0))
    assert stats.acceptance_rate == 1.0 and stats.expected_acceptance == pytest.approx(1.0)
    assert stats.target_calls == 5 and tokens.shape == (1, 27)  # 5 tokens per call: 4 drafts and a bonus


def test_sampled_tokens_follow_the_target() -> None:
    """Two sampled tokens, 600 runs: the joint frequencies match the target's conditionals within 5 SE."""
    target, draft = _models(damp=1.0)
    prompt, gen, n = torch.tensor([[2, 7]]), torch.Generator().manual_seed(0), 600
    with torch.no_grad():
        p1 = target(prompt)[0, -1].softmax(-1)
        seqs = torch.cat([prompt.expand(16, 2), torch.arange(16)[:, None]], dim=1)
        p2 = target(seqs)[:, -1].softmax(-1)  # (16, 16): row x1
    want = (p1[:, None] * p2).numpy()
    counts, stats_acc = np.zeros((16, 16)), []
    for _ in range(n):
        tokens, stats = speculative_generate(target, draft, prompt, 2, g=1, generator=gen)
        counts[tokens[0, 2], tokens[0, 3]] += 1
        stats_acc.append(stats.checked)
    assert np.abs(counts / n - want).max() < 5 * np.sqrt(want.max() / n)
    assert sum(stats_acc) == n  # g = 1: one judged draft per run


def test_stats_add_up_and_acceptance_matches_the_overlap() -> None:
    target, draft = _models(damp=0.3)
    tokens, stats = speculative_generate(
        target, draft, torch.tensor([[1]]), 50, g=3, generator=torch.Generator().manual_seed(1)
    )
    assert tokens.shape == (1, 51)
    assert stats.accepted + stats.target_calls >= 50  # each call emits its accepted drafts and one more
    assert stats.draft_calls <= 3 * stats.target_calls
    assert abs(stats.acceptance_rate - stats.expected_acceptance) < 0.2  # same quantity, one sampled


# ---------------------------------------------------------------- the bank


def computed_answers() -> dict[str, float]:
    return {
        "speculative_decoding.tokens-per-call": expected_tokens_per_call(0.8, 4),
        "speculative_decoding.accept-prob": verify_token([0.5, 0.3, 0.2], [0.2, 0.6, 0.2], 1)[0],
        "speculative_decoding.overlap": expected_acceptance_rate([0.6, 0.3, 0.1], [0.3, 0.3, 0.4]),
        "speculative_decoding.residual-mass": float(residual_distribution([0.6, 0.3, 0.1], [0.2, 0.2, 0.6])[0]),
        "speculative_decoding.speedup": improvement_factor(0.8, 4, 0.05),
        "speculative_decoding.max-tokens": expected_tokens_per_call(1.0, 5),
        "speculative_decoding.break-even": improvement_factor(0.6, 3, 0.25),
    }


def test_bank_numeric_keys_are_computed_by_the_package() -> None:
    numeric = check_numeric_keys("speculative_decoding", computed_answers(), lambda q, v: 0.5 * 10 ** -q["decimals"])
    bank = json.loads(BANK.read_text(encoding="utf-8"))
    assert len(numeric) == 7 and {e["function"] for e in bank["exercises"]} == {"verify_token", "speculative_step"}
