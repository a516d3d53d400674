"""RLHF and DPO checked against hand-derived values, autograd, direct sums and ``trl`` 1.16.

References: ``F.logsigmoid`` in float64 for Bradley-Terry and DPO, ``torch.autograd`` for
DPO's gradient, GAE's definition as a double sum, PPO's loss written with ``torch.clamp``,
``torch.std`` and ``trl``'s own ``nanstd`` for GRPO, and ``trl.DPOTrainer``'s loss on a tiny
random Llama with a word-level tokenizer built here (everything offline).

Hand-worked example (DPO). A pair whose policy log-probs moved by +1 (chosen) and -1
(rejected) from the reference: ``h = (-4 - (-5)) - (-6 - (-5)) = 2``. With ``beta = 0.5``,
``beta h = 1`` and the loss is ``-log sigmoid(1) = log(1 + e^-1) = 0.31326``. The gradient
with respect to ``log pi(y_w)`` is ``-beta sigmoid(-1) = -0.5 * 0.26894 = -0.13447``, and
``+0.13447`` for ``log pi(y_l)``. Hinge: ``max(0, 1 - 1) = 0``. IPO: ``(2 - 1)^2 = 1``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import check_numeric_keys

from concepts.exercises._harness import run_checks
from concepts.exercises.rlhf import CHECKS, gae_direct_sum, torch_dpo_loss, torch_ppo_loss
from concepts.rlhf import (
    bradley_terry_loss,
    dpo_loss,
    dpo_loss_grad,
    dpo_loss_torch,
    fit_bradley_terry,
    gae,
    grpo_advantages,
    kl_penalized_rewards,
    kl_regularized_policy,
    ppo_clipped_loss,
    reward_hacking_curve,
    toy_dpo_train,
)

RNG = np.random.default_rng(0)


def logps(batch: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [-rng.gamma(3.0, 5.0, size=batch) for _ in range(4)]


# ---------------------------------------------------------------- the exercises' checks on ours


@pytest.mark.parametrize(
    ("ex", "fn"), [("rlhf.dpo-loss", dpo_loss), ("rlhf.gae", gae), ("rlhf.ppo-clip", ppo_clipped_loss)]
)
def test_exercise_checks_pass_on_ours(ex, fn) -> None:
    failed = [(r.name, r.message) for r in run_checks(CHECKS[ex], fn) if not r.passed]
    assert not failed, failed


# ---------------------------------------------------------------- Bradley-Terry


@pytest.mark.parametrize("shape", [(1,), (7,), (3, 4)])
def test_bradley_terry_equals_logsigmoid(shape) -> None:
    rc, rr = RNG.standard_normal(shape) * 3, RNG.standard_normal(shape) * 3
    want = -F.logsigmoid(torch.from_numpy(rc) - torch.from_numpy(rr)).numpy()
    np.testing.assert_allclose(bradley_terry_loss(rc, rr), want, rtol=1e-12)


def test_trl_reward_trainer_uses_the_same_loss() -> None:
    """trl 1.16's RewardTrainer: -logsigmoid(chosen - rejected), averaged over the batch."""
    pytest.importorskip("trl")
    import inspect

    from trl.trainer.reward_trainer import RewardTrainer

    source = inspect.getsource(RewardTrainer.compute_loss)
    assert "loss = -nn.functional.logsigmoid(rewards_chosen - rewards_rejected).mean()" in source


def test_bradley_terry_convention() -> None:
    """Swapping chosen and rejected changes the loss by exactly the reward margin; ties cost log 2."""
    rc, rr = np.array([2.0, -1.0, 1e4]), np.array([0.5, 0.0, 0.0])
    swapped = bradley_terry_loss(rr, rc)
    np.testing.assert_allclose(swapped - bradley_terry_loss(rc, rr), rc - rr, rtol=1e-12)
    assert bradley_terry_loss(rc, rr)[0] < swapped[0]  # the preferred one should score higher
    assert bradley_terry_loss([3.0], [3.0])[0] == pytest.approx(math.log(2))
    assert np.isfinite(bradley_terry_loss([-1e4], [1e4])).all()
    np.testing.assert_allclose(bradley_terry_loss(rc + 7.0, rr + 7.0), bradley_terry_loss(rc, rr), rtol=1e-12)


def test_fit_bradley_terry_recovers_win_rate() -> None:
    """One binary feature that wins 3 of 4 comparisons: the MLE is sigmoid(w) = 3/4, w = log 3."""
    w = fit_bradley_terry([[1.0]] * 3 + [[0.0]], [[0.0]] * 3 + [[1.0]], l2=0.0, steps=3000)
    assert w[0] == pytest.approx(math.log(3.0), abs=1e-6)


# ---------------------------------------------------------------- DPO


def test_dpo_hand_worked_example() -> None:
    args = ([-4.0], [-6.0], [-5.0], [-5.0])
    assert dpo_loss(*args, beta=0.5)[0] == pytest.approx(0.31326, abs=1e-5)
    assert dpo_loss(*args, beta=0.5, loss_type="hinge")[0] == 0.0
    assert dpo_loss(*args, beta=0.5, loss_type="ipo")[0] == pytest.approx(1.0)
    gw, gl = dpo_loss_grad(*args, beta=0.5)
    assert gw[0] == pytest.approx(-0.13447, abs=1e-5) and gl[0] == pytest.approx(0.13447, abs=1e-5)


@pytest.mark.parametrize("loss_type", ["sigmoid", "hinge", "ipo"])
@pytest.mark.parametrize("beta", [0.05, 0.1, 1.0])
@pytest.mark.parametrize("batch", [1, 5, 32])
def test_dpo_matches_formula_in_torch(loss_type, beta, batch) -> None:
    args = logps(batch, seed=batch)
    np.testing.assert_allclose(
        dpo_loss(*args, beta=beta, loss_type=loss_type), torch_dpo_loss(*args, beta, loss_type), rtol=1e-12
    )


@pytest.mark.parametrize(
    ("dtype", "rtol"), [(torch.float64, 1e-12), (torch.float32, 1e-5), (torch.bfloat16, 2e-2), (torch.float16, 5e-3)]
)
@pytest.mark.parametrize("loss_type", ["sigmoid", "hinge", "ipo"])
def test_dpo_torch_mirror_in_each_dtype(dtype, rtol, loss_type) -> None:
    """Inputs rounded to the dtype first, so only the arithmetic differs; log-ratios of order 1."""
    rng = np.random.default_rng(1)
    base = -rng.gamma(2.0, 2.0, size=(2, 8))
    args = [base[0], base[1], base[0] + 0.5 * rng.standard_normal(8), base[1] + 0.5 * rng.standard_normal(8)]
    tensors = [torch.tensor(a).to(dtype) for a in args]
    got = dpo_loss_torch(*tensors, beta=0.5, loss_type=loss_type)
    assert got.dtype == dtype
    want = dpo_loss(*(t.double().numpy() for t in tensors), beta=0.5, loss_type=loss_type)
    np.testing.assert_allclose(got.double().numpy(), want, rtol=rtol, atol=rtol)


def test_dpo_gradient_equals_autograd_and_points_the_right_way() -> None:
    """The closed-form gradient equals autograd of -logsigmoid(beta h) written here; descent raises
    log pi(y_w) and lowers log pi(y_l), weighted by sigmoid of the implicit reward margin."""
    pc, pr, rc, rr = logps(12, seed=3)
    beta = 0.2
    tc, tr = (torch.tensor(a, requires_grad=True) for a in (pc, pr))
    h = (tc - torch.from_numpy(rc)) - (tr - torch.from_numpy(rr))
    (-F.logsigmoid(beta * h)).sum().backward()
    gw, gl = dpo_loss_grad(pc, pr, rc, rr, beta=beta)
    np.testing.assert_allclose(gw, tc.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gl, tr.grad.numpy(), rtol=1e-12)
    assert (gw < 0).all() and (gl > 0).all()
    implicit_margin = beta * ((pc - rc) - (pr - rr))  # r_hat(y_w) - r_hat(y_l)
    np.testing.assert_allclose(-gw / beta, 1 / (1 + np.exp(implicit_margin)), rtol=1e-12)
    # and our torch mirror's autograd agrees too
    tc2 = torch.tensor(pc, requires_grad=True)
    dpo_loss_torch(tc2, *(torch.tensor(a) for a in (pr, rc, rr)), beta=beta).sum().backward()
    np.testing.assert_allclose(tc2.grad.numpy(), gw, rtol=1e-12)


def test_dpo_conventions_flip() -> None:
    """beta multiplies the margin (not divides it); chosen and rejected are not interchangeable;
    the reference is subtracted (a policy equal to it costs log 2 whatever its log-probs)."""
    pc, pr, rc, rr = logps(6, seed=4)
    loss = dpo_loss(pc, pr, rc, rr, beta=0.1)
    h = (pc - rc) - (pr - rr)
    assert not np.allclose(loss, np.logaddexp(0, -h / 0.1))
    assert not np.allclose(loss, dpo_loss(pr, pc, rr, rc, beta=0.1))
    np.testing.assert_allclose(dpo_loss(pr, pc, rr, rc, beta=0.1) - loss, 0.1 * h, rtol=1e-10)
    np.testing.assert_allclose(dpo_loss(pc, pr, pc, pr, beta=0.1), math.log(2), rtol=1e-12)
    np.testing.assert_allclose(dpo_loss(pc, pr, pc, pr, beta=0.25, loss_type="ipo"), 4.0, rtol=1e-12)
    np.testing.assert_allclose(dpo_loss(pc, pr, pc, pr, loss_type="hinge"), 1.0, rtol=1e-12)


def test_dpo_refuses_reference_tensor_from_numpy_and_bad_input() -> None:
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        dpo_loss_torch(np.zeros(2), torch.zeros(2), torch.zeros(2), torch.zeros(2))
    with pytest.raises(TypeError, match="NumPy array"):
        dpo_loss(torch.zeros(2), [0.0, 0.0], [0.0, 0.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="loss_type"):
        dpo_loss([0.0], [0.0], [0.0], [0.0], loss_type="kto")
    with pytest.raises(ValueError, match="beta"):
        dpo_loss([0.0], [0.0], [0.0], [0.0], beta=0.0)
    with pytest.raises(ValueError, match="same shape"):
        dpo_loss([0.0], [0.0, 1.0], [0.0], [0.0])


# ---------------------------------------------------------------- DPO against trl's DPOTrainer


def _tiny_trl_setup(monkeypatch):
    """A 2-layer random Llama, a word-level tokenizer and a 2-pair dataset, all built offline."""
    pytest.importorskip("trl")
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(var, "1")
    from datasets import Dataset
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = ["<pad>", "<eos>", "<unk>", "the", "cat", "dog", "sat", "ran", "on", "mat", "is", "good", "bad", "a"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")
    config = LlamaConfig(
        vocab_size=len(words), hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=32, pad_token_id=0, eos_token_id=1, bos_token_id=None,
    )  # fmt: skip
    torch.manual_seed(0)
    model, ref = LlamaForCausalLM(config).eval(), LlamaForCausalLM(config).eval()
    data = Dataset.from_dict(
        {"prompt": ["the cat", "a dog"], "chosen": [" sat on the mat", " is good"], "rejected": [" ran", " is bad bad"]}
    )
    return model, ref, tokenizer, data


def _sequence_logps(model, batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed log-probs of the completion tokens (and the token counts), computed here by hand."""
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
    token_logps = torch.log_softmax(logits.double(), -1).gather(-1, batch["input_ids"][:, 1:, None])[..., 0]
    mask = batch["completion_mask"][:, 1:].double()
    return (token_logps * mask).sum(1), batch["completion_mask"].sum(1).double()


@pytest.mark.parametrize("loss_type", ["sigmoid", "hinge", "ipo"])
def test_dpo_equals_trl_dpo_trainer(loss_type, tmp_path, monkeypatch) -> None:
    """trl 1.16 has no standalone DPO loss: its DPOTrainer computes the loss for one batch of a
    tiny random model; we recompute the log-probs independently and feed them to dpo_loss.
    trl's IPO divides each sequence's log-ratio by its completion length, so we do too."""
    pytest.importorskip("trl")
    from trl import DPOConfig, DPOTrainer

    assert DPOConfig.__dataclass_fields__["beta"].default == 0.1  # the default our dpo_loss copies
    model, ref, tokenizer, data = _tiny_trl_setup(monkeypatch)
    args = DPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=2, beta=0.3, loss_type=[loss_type], report_to="none",
        use_cpu=True, max_steps=1, save_strategy="no", dataloader_num_workers=0,
    )  # fmt: skip
    trainer = DPOTrainer(model=model, ref_model=ref, args=args, train_dataset=data, processing_class=tokenizer)
    batch = next(iter(trainer.get_train_dataloader()))  # rows: chosen, chosen, rejected, rejected
    model.eval()
    with torch.no_grad():
        trl_loss = float(trainer.compute_loss(trainer.model, batch))
    policy, lengths = _sequence_logps(model, batch)
    reference, _ = _sequence_logps(ref, batch)
    if loss_type == "ipo":
        policy, reference = policy / lengths, reference / lengths
    pc, pr = policy.numpy()[:2], policy.numpy()[2:]
    rc, rr = reference.numpy()[:2], reference.numpy()[2:]
    ours = dpo_loss(pc, pr, rc, rr, beta=0.3, loss_type=loss_type).mean()
    assert ours == pytest.approx(trl_loss, rel=1e-5, abs=1e-6)
    swapped = dpo_loss(pr, pc, rr, rc, beta=0.3, loss_type=loss_type).mean()
    assert swapped != pytest.approx(trl_loss, rel=1e-3)  # the comparison would notice a swap


# ---------------------------------------------------------------- PPO: shaped rewards, clipped loss, GAE


def test_kl_penalized_rewards_by_hand_and_like_trl() -> None:
    """trl's PPOTrainer: rewards = -kl_coef * (logprobs - ref_logprobs), score added at the last
    response token (its sequence_lengths index). Padding gets 0."""
    lp = np.array([[-1.0, -2.0, -0.5, -3.0], [-0.2, -0.4, -9.0, -9.0]])
    ref = np.array([[-1.5, -2.0, -1.0, -2.0], [-0.1, -0.4, -1.0, -1.0]])
    mask = np.array([[True, True, True, True], [True, True, False, False]])
    got = kl_penalized_rewards([1.0, -2.0], lp, ref, beta=0.1, mask=mask)
    want = np.array([[-0.05, 0.0, -0.05, 0.1 + 1.0], [0.01, 0.0, 0.0, 0.0]])
    want[1, 1] += -2.0
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_kl_penalty_sign() -> None:
    """A policy that puts more probability than the reference on its tokens is penalised."""
    got = kl_penalized_rewards([0.0], [[-1.0, -1.0]], [[-2.0, -0.5]], beta=0.5)
    assert got[0, 0] < 0 < got[0, 1]


def test_gae_equals_direct_sum_and_trl_loop() -> None:
    r, v = RNG.standard_normal((3, 9)), RNG.standard_normal((3, 9))
    adv, ret = gae(r, v, gamma=1.0, lam=0.95)
    np.testing.assert_allclose(adv, gae_direct_sum(r, v, 1.0, 0.95), rtol=1e-12)
    # the backward loop of the PPOTrainer trl shipped before 1.0 (gamma, lam; next value 0 after the end)
    last, trl_adv = 0.0, []
    for t in reversed(range(9)):
        next_v = v[:, t + 1] if t < 8 else 0.0
        delta = r[:, t] + 1.0 * next_v - v[:, t]
        last = delta + 1.0 * 0.95 * last
        trl_adv.append(last)
    np.testing.assert_allclose(adv, np.stack(trl_adv[::-1], 1), rtol=1e-12)
    np.testing.assert_allclose(ret, adv + v, rtol=1e-12)


def test_gae_dones_mask() -> None:
    """Rewards after an episode's end never reach the advantages before it."""
    r, v = RNG.standard_normal(8), RNG.standard_normal(8)
    dones = np.zeros(8, bool)
    dones[3] = True
    adv, _ = gae(r, v, gamma=0.9, lam=0.9, dones=dones)
    r2 = r.copy()
    r2[4:] += 10.0
    adv2, _ = gae(r2, v, gamma=0.9, lam=0.9, dones=dones)
    np.testing.assert_allclose(adv2[:4], adv[:4], rtol=1e-12)
    no_mask, _ = gae(r, v, gamma=0.9, lam=0.9)
    assert not np.allclose(no_mask[:4], adv[:4])


def test_ppo_clipped_loss_against_torch_and_clip_gradient() -> None:
    """Equal to the torch formula; the gradient through a clipped token is 0, as autograd says."""
    lp, old, a = RNG.standard_normal(20) * 0.3 - 2, np.full(20, -2.0), RNG.standard_normal(20)
    assert ppo_clipped_loss(lp, old, a) == pytest.approx(torch_ppo_loss(lp, old, a, 0.2), rel=1e-12)
    t = torch.tensor(lp, requires_grad=True)
    ratio = torch.exp(t - torch.tensor(old))
    at = torch.tensor(a)
    torch.maximum(-at * ratio, -at * torch.clamp(ratio, 0.8, 1.2)).mean().backward()
    rho = np.exp(lp - old)
    clipped = ((a > 0) & (rho > 1.2)) | ((a < 0) & (rho < 0.8))
    assert clipped.any() and (~clipped).any()
    assert (t.grad.numpy()[clipped] == 0).all() and (t.grad.numpy()[~clipped] != 0).all()
    h = 1e-6  # finite differences through our NumPy loss agree with autograd
    for i in np.flatnonzero(~clipped)[:3].tolist() + np.flatnonzero(clipped)[:3].tolist():
        e = np.zeros(20)
        e[i] = h
        fd = (ppo_clipped_loss(lp + e, old, a) - ppo_clipped_loss(lp - e, old, a)) / (2 * h)
        assert fd == pytest.approx(float(t.grad[i]), abs=1e-7)


# ---------------------------------------------------------------- GRPO


def test_grpo_advantages_equal_torch_std_unbiased() -> None:
    r = RNG.integers(0, 2, size=(5, 8)).astype(float)
    r[0] = 1.0  # a group where every completion got the same reward: advantages 0
    t = torch.from_numpy(r)
    want = (t - t.mean(1, keepdim=True)) / (t.std(1, keepdim=True) + 1e-4)  # torch.std: unbiased by default
    np.testing.assert_allclose(grpo_advantages(r), want.numpy(), rtol=1e-12)
    assert (grpo_advantages(r)[0] == 0).all()
    biased = (t - t.mean(1, keepdim=True)) / (t.std(1, keepdim=True, correction=0) + 1e-4)
    np.testing.assert_allclose(grpo_advantages(r, unbiased=False), biased.numpy(), rtol=1e-12)
    assert not np.allclose(grpo_advantages(r), grpo_advantages(r, unbiased=False))


def test_trl_grpo_uses_the_unbiased_std_plus_1e_4() -> None:
    """trl 1.16's GRPOTrainer: scale_rewards defaults to "group" and divides (r - mean) by
    nanstd(...) + 1e-4, where nanstd applies Bessel's correction (n - 1), like torch.std."""
    trl = pytest.importorskip("trl")  # the strings below are trl 1.16's source
    import inspect

    from trl.trainer import grpo_trainer
    from trl.trainer.utils import nanstd

    assert trl.GRPOConfig.__dataclass_fields__["scale_rewards"].default == "group"
    source = inspect.getsource(grpo_trainer.GRPOTrainer)
    assert "std_rewards = nanstd(rewards.view(-1, num_generations), dim=1)" in source
    assert "advantages = advantages / (std_rewards + 1e-4)" in source
    r = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.2, 0.9, 0.4, 0.4]], dtype=torch.float64)
    torch.testing.assert_close(nanstd(r, dim=1), r.std(dim=1))
    adv = (r - r.mean(1, keepdim=True)) / (nanstd(r, dim=1)[:, None] + 1e-4)
    # nanstd's Bessel factor count / (count - 1) is a float32 tensor, hence only 1e-7 agreement in float64
    np.testing.assert_allclose(grpo_advantages(r.numpy()), adv.numpy(), rtol=1e-6)
    assert not np.allclose(grpo_advantages(r.numpy(), unbiased=False), adv.numpy(), rtol=1e-3)


def test_grpo_bad_input() -> None:
    with pytest.raises(ValueError, match="group_size >= 2"):
        grpo_advantages([[1.0], [0.0]])
    with pytest.raises(ValueError, match="num_groups, group_size"):
        grpo_advantages([1.0, 0.0])


# ---------------------------------------------------------------- the toy policy


TRUE_REWARD = np.array([0.0, 1.0, 2.0, 0.5, -1.0])


def test_toy_dpo_moves_probability_to_preferred_responses() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, size=(2, 400))
    a_wins = rng.random(400) < 1 / (1 + np.exp(-(TRUE_REWARD[a] - TRUE_REWARD[b])))
    keep = a != b
    win, lose = np.where(a_wins, a, b)[keep], np.where(a_wins, b, a)[keep]
    probs = toy_dpo_train(np.zeros(5), win, lose, beta=0.5, lr=1.0, steps=300)
    assert probs.shape == (301, 5)
    np.testing.assert_allclose(probs.sum(1), 1.0)
    assert probs[-1].argmax() == TRUE_REWARD.argmax()
    assert probs[-1, 2] > 0.5 > probs[0, 2]
    assert (np.argsort(probs[-1]) == np.argsort(TRUE_REWARD)).all()
    swapped = toy_dpo_train(np.zeros(5), lose, win, beta=0.5, lr=1.0, steps=300)  # labels flipped
    assert swapped[-1, 2] < 0.2


def test_toy_dpo_converges_to_the_kl_regularised_optimum() -> None:
    """With every ordered pair weighted by its Bradley-Terry probability, DPO's minimiser is
    pi* ∝ pi_ref exp(r / beta): the policy RLHF with a KL penalty would reach."""
    i, j = np.meshgrid(np.arange(5), np.arange(5), indexing="ij")
    off = i != j
    weights = 1 / (1 + np.exp(-(TRUE_REWARD[i] - TRUE_REWARD[j])))[off]
    ref = np.array([0.5, 0.0, -1.0, 0.3, 0.2])
    beta = 2.0
    probs = toy_dpo_train(ref, i[off], j[off], weights=weights, beta=beta, lr=2.0, steps=2000)
    np.testing.assert_allclose(probs[-1], kl_regularized_policy(ref, TRUE_REWARD, beta=beta), atol=1e-10)


def test_toy_dpo_step_equals_autograd() -> None:
    ref = np.array([0.2, -0.1, 0.4])
    chosen, rejected = np.array([0, 1, 0]), np.array([1, 2, 2])
    theta = torch.tensor(ref, requires_grad=True)
    logp = torch.log_softmax(theta, 0)
    ref_logp = torch.log_softmax(torch.tensor(ref), 0)
    # after one step the margin h is still 0, so evaluate the gradient at theta = ref
    loss = dpo_loss_torch(logp[chosen], logp[rejected], ref_logp[chosen], ref_logp[rejected], beta=0.3).mean()
    loss.backward()
    probs = toy_dpo_train(ref, chosen, rejected, beta=0.3, lr=1e-3, steps=1)
    theta1 = ref - 1e-3 * theta.grad.numpy()
    np.testing.assert_allclose(probs[1], np.exp(theta1) / np.exp(theta1).sum(), rtol=1e-12)


def test_reward_hacking_on_the_toy() -> None:
    """The proxy ranks the labelled responses (lengths 1-5) exactly as the true reward does,
    but optimising it harder (smaller beta, more KL) drives the true reward up, then down."""
    betas = np.geomspace(10, 0.02, 14)
    curve = reward_hacking_curve(betas)
    lengths = np.arange(1, 6)
    true_on_data = lengths - 0.1 * lengths**2
    assert curve["slope"] > 0
    assert (np.argsort(curve["slope"] * lengths) == np.argsort(true_on_data)).all()
    assert np.corrcoef(curve["slope"] * lengths, true_on_data)[0, 1] > 0.95
    assert (np.diff(curve["kl"]) > 0).all() and (np.diff(curve["proxy"]) > 0).all()
    peak = int(curve["true"].argmax())
    assert 0 < peak < len(betas) - 1
    assert curve["true"][-1] < 0.1 < curve["true"][0]  # worse than the reference it started from
    assert curve["true"][peak] == pytest.approx(1.713, abs=1e-3)  # the page's figure


def test_kl_regularized_policy_limits() -> None:
    ref = np.array([0.0, 1.0, -1.0])
    r = np.array([1.0, 0.0, 3.0])
    ref_p = np.exp(ref) / np.exp(ref).sum()
    np.testing.assert_allclose(kl_regularized_policy(ref, r, beta=1e6), ref_p, rtol=1e-5)
    assert kl_regularized_policy(ref, r, beta=1e-3)[2] == pytest.approx(1.0)


# ---------------------------------------------------------------- the bank's numeric keys


def computed_answers() -> dict[str, float]:
    """Every numeric key of the bank, recomputed with the package."""
    rho = np.log([1.5])
    return {
        "rlhf.bt-probability": float(np.exp(-bradley_terry_loss([2.0], [0.5])[0])),
        "rlhf.bt-loss": float(bradley_terry_loss([1.0], [0.0])[0]),
        "rlhf.kl-token-reward": float(kl_penalized_rewards([0.0], [[-0.5, -1.0]], [[-1.5, -1.0]], beta=0.05)[0, 0]),
        "rlhf.ppo-clip-positive": -ppo_clipped_loss(rho, [0.0], [2.0], clip_eps=0.2),
        "rlhf.ppo-clip-negative": -ppo_clipped_loss(rho, [0.0], [-2.0], clip_eps=0.2),
        "rlhf.gae-first": float(gae([0.0, 0.0, 1.0], [0.5, 0.5, 0.5], gamma=1.0, lam=0.5)[0][0]),
        "rlhf.grpo-advantage": float(grpo_advantages([[1.0, 0.0, 0.0, 0.0]], eps=0.0)[0, 0]),
        "rlhf.dpo-value": float(dpo_loss([-10.0], [-14.0], [-11.0], [-12.0], beta=0.1)[0]),
        "rlhf.dpo-init": float(dpo_loss([-7.0], [-3.0], [-7.0], [-3.0], beta=0.1)[0]),
        # implicit rewards -1 and +1 with beta = 1: the weight is -grad_chosen / beta
        "rlhf.dpo-grad-weight": float(-dpo_loss_grad([-1.0], [1.0], [0.0], [0.0], beta=1.0)[0][0]),
        "rlhf.ipo-target": float(
            np.argmin([dpo_loss([h], [0.0], [0.0], [0.0], beta=0.1, loss_type="ipo")[0] for h in np.arange(0, 11)])
        ),
    }


def test_bank_numeric_keys() -> None:
    check_numeric_keys("rlhf", computed_answers(), lambda q, v: 0.5 * 10.0 ** -q["decimals"])


# ---------------------------------------------------------------- bad input: one line naming what was expected


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: bradley_terry_loss([1.0, 2.0], [0.0]), ValueError, "same shape"),
        (lambda: gae([1.0], [0.0], gamma=1.5), ValueError, "gamma must lie in"),
        (lambda: gae([1.0], [0.0], lam=-0.1), ValueError, "lam must lie in"),
        (lambda: gae([], []), ValueError, "T >= 1"),
        (lambda: gae([1.0, 2.0], [0.0, 0.0], dones=[True]), ValueError, "same shape"),
        (lambda: kl_penalized_rewards([1.0], [[0.0, 0.0]], [[0.0, 0.0]], mask=[[False, False]]), ValueError, "True"),
        (lambda: kl_penalized_rewards([1.0, 2.0], [[0.0, 0.0]], [[0.0, 0.0]]), ValueError, "score (batch,)"),
        (lambda: kl_penalized_rewards([1.0], [[0.0]], [[0.0]], beta=-1.0), ValueError, "beta must be positive"),
        (lambda: ppo_clipped_loss([0.0], [0.0], [1.0], clip_eps=0.0), ValueError, "clip_eps"),
        (lambda: ppo_clipped_loss([0.0], [0.0], [1.0], mask=[False]), ValueError, "mask"),
        (lambda: grpo_advantages([[1.0, 0.0]], eps=-1.0), ValueError, "eps"),
        (lambda: toy_dpo_train([0.0, 0.0], [0], [2]), ValueError, "indices"),
        (lambda: fit_bradley_terry([[1.0]], [[1.0, 0.0]]), ValueError, "(n, d)"),
        (lambda: kl_regularized_policy([0.0], [1.0], beta=0.0), ValueError, "beta"),
        (lambda: gae(torch.zeros(2), torch.zeros(2)), TypeError, "NumPy"),
    ],
)
def test_bad_input_is_refused_in_one_line(call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert words in message and "\n" not in message
