"""The Transformer's layers, loss, schedule and size, checked against PyTorch in float64.

References: ``nn.TransformerEncoderLayer`` and ``nn.TransformerDecoderLayer`` (``batch_first=True``,
``dropout=0`` or eval mode) with their weights copied by ``layer_params_from_torch``;
``F.cross_entropy(label_smoothing=...)``; ``LambdaLR``; ``sum(p.numel())``. Each ``check_*``
takes the implementation under test (NumPy arrays in and out, the signature of
``concepts.transformer.encoder_layer`` / ``decoder_layer`` / ``label_smoothing_loss``), so the
same checks can grade a learner's own solution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import bank_tolerance, check_numeric_keys
from torch import nn

from concepts.regularization import dropout
from concepts.transformer import (
    decoder_layer,
    decoder_layer_param_count,
    decoder_layer_torch,
    encoder_layer,
    encoder_layer_param_count,
    encoder_layer_torch,
    init_layer_params,
    label_smoothing_loss,
    label_smoothing_loss_torch,
    layer_params_from_torch,
    pre_ln_encoder_layer,
    smoothed_targets,
    transformer_flops,
    transformer_param_count,
    warmup_lr,
    warmup_scheduler_torch,
)

Layer = Callable[..., np.ndarray]
Loss = Callable[..., float]
BANK = Path(__file__).resolve().parents[2] / "quiz" / "banks" / "transformer.json"


def _t(a):
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a))


def encoder_via_torch(x, params, num_heads, **kw) -> np.ndarray:
    """``encoder_layer_torch`` on NumPy arrays."""
    kw = {k: _t(v) if k == "mask" else v for k, v in kw.items()}
    return encoder_layer_torch(_t(x), {k: _t(v) for k, v in params.items()}, num_heads, **kw).numpy()


def decoder_via_torch(y, memory, params, num_heads, **kw) -> np.ndarray:
    """``decoder_layer_torch`` on NumPy arrays."""
    kw = {k: _t(v) if k in ("mask", "memory_mask") else v for k, v in kw.items()}
    return decoder_layer_torch(_t(y), _t(memory), {k: _t(v) for k, v in params.items()}, num_heads, **kw).numpy()


ENCODERS = {"numpy": encoder_layer, "torch": encoder_via_torch}
DECODERS = {"numpy": decoder_layer, "torch": decoder_via_torch}
LOSSES = {
    "numpy": label_smoothing_loss,
    "torch": lambda z, t, **kw: float(label_smoothing_loss_torch(_t(z), _t(t), **kw)),
}


def assert_close(got, want) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def reference_layer(kind: str, d: int, h: int, d_ff: int, *, norm_first: bool, activation: str, seed: int):
    """A PyTorch layer in float64 with every parameter random (PyTorch starts biases at 0, gamma at 1)."""
    torch.manual_seed(seed)
    cls = nn.TransformerEncoderLayer if kind == "encoder" else nn.TransformerDecoderLayer
    layer = cls(d, h, d_ff, dropout=0.1, activation=activation, batch_first=True, norm_first=norm_first)
    layer = layer.double().eval()  # eval switches dropout off
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_(0.0, 0.5)
    return layer


def random_valid(rng: np.random.Generator, batch: int, seq: int) -> np.ndarray:
    """(batch, seq), True for real tokens: each row keeps a random prefix of length at least 1."""
    lengths = rng.integers(1, seq + 1, size=batch)
    return np.arange(seq)[None, :] < lengths[:, None]


SHAPES = [  # (batch, seq_tgt, seq_src, d_model, num_heads, d_ff)
    (1, 1, 1, 4, 1, 8),
    (2, 5, 3, 8, 2, 16),
    (3, 4, 7, 12, 3, 20),
]
VARIANTS = [(nf, act) for nf in (False, True) for act in ("relu", "gelu")]


# ---------------------------------------------------------------- layers vs PyTorch


def check_encoder_against_torch(
    encoder_fn: Layer, shape: tuple, *, norm_first: bool, activation: str, padded: bool, scale: float = 1.0
) -> None:
    """Equal to ``nn.TransformerEncoderLayer`` with the same weights, with or without a key padding mask."""
    b, _, s, d, h, d_ff = shape
    rng = np.random.default_rng(sum(shape))
    ref = reference_layer("encoder", d, h, d_ff, norm_first=norm_first, activation=activation, seed=d)
    x = scale * rng.standard_normal((b, s, d))
    valid = random_valid(rng, b, s) if padded else None
    want = ref(_t(x), src_key_padding_mask=None if valid is None else _t(~valid)).detach().numpy()
    got = encoder_fn(x, layer_params_from_torch(ref), h, mask=valid, norm_first=norm_first, activation=activation)
    assert_close(got, want)


def check_decoder_against_torch(
    decoder_fn: Layer, shape: tuple, *, norm_first: bool, activation: str, padded: bool, scale: float = 1.0
) -> None:
    """Equal to ``nn.TransformerDecoderLayer`` with a causal ``tgt_mask`` and, optionally, both padding masks."""
    b, t, s, d, h, d_ff = shape
    rng = np.random.default_rng(sum(shape) + 1)
    ref = reference_layer("decoder", d, h, d_ff, norm_first=norm_first, activation=activation, seed=d + 1)
    y, memory = scale * rng.standard_normal((b, t, d)), scale * rng.standard_normal((b, s, d))
    tgt_valid, mem_valid = (random_valid(rng, b, t), random_valid(rng, b, s)) if padded else (None, None)
    causal = _t(np.triu(np.ones((t, t), dtype=bool), k=1))  # PyTorch's boolean masks: True = blocked
    want = ref(
        _t(y),
        _t(memory),
        tgt_mask=causal,
        tgt_is_causal=True,
        tgt_key_padding_mask=None if tgt_valid is None else _t(~tgt_valid),
        memory_key_padding_mask=None if mem_valid is None else _t(~mem_valid),
    ).detach()
    params = layer_params_from_torch(ref)
    kw = {"norm_first": norm_first, "activation": activation}
    got = decoder_fn(y, memory, params, h, mask=tgt_valid, memory_mask=mem_valid, **kw)
    assert_close(got, want.numpy())


@pytest.mark.parametrize("impl", ENCODERS)
@pytest.mark.parametrize("norm_first, activation", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_encoder_layer_matches_torch(impl, shape, norm_first, activation) -> None:
    for padded in (False, True):
        check_encoder_against_torch(ENCODERS[impl], shape, norm_first=norm_first, activation=activation, padded=padded)


@pytest.mark.parametrize("impl", DECODERS)
@pytest.mark.parametrize("norm_first, activation", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_decoder_layer_matches_torch(impl, shape, norm_first, activation) -> None:
    for padded in (False, True):
        check_decoder_against_torch(DECODERS[impl], shape, norm_first=norm_first, activation=activation, padded=padded)


@pytest.mark.parametrize("norm_first", [False, True])
def test_large_inputs_saturate_attention_and_still_match(norm_first: bool) -> None:
    """Inputs scaled by 100 give attention logits in the thousands: still equal, still finite."""
    for impl in ENCODERS.values():
        check_encoder_against_torch(impl, SHAPES[1], norm_first=norm_first, activation="relu", padded=True, scale=100)
    for impl in DECODERS.values():
        check_decoder_against_torch(impl, SHAPES[2], norm_first=norm_first, activation="gelu", padded=True, scale=100)


def test_float_causal_mask_and_nn_transformer_helper_agree() -> None:
    """``nn.Transformer.generate_square_subsequent_mask`` (0 / -inf) is the same mask as our ``causal=True``."""
    ref = reference_layer("decoder", 8, 2, 16, norm_first=False, activation="relu", seed=3)
    rng = np.random.default_rng(3)
    y, memory = rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 3, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    assert mask[0, 1] == -math.inf and mask[1, 0] == 0
    want = ref(_t(y), _t(memory), tgt_mask=mask, tgt_is_causal=True).detach().numpy()
    assert_close(decoder_layer(y, memory, layer_params_from_torch(ref), 2), want)
    without = ref(_t(y), _t(memory)).detach().numpy()  # PyTorch's default: no mask at all
    assert_close(decoder_layer(y, memory, layer_params_from_torch(ref), 2, is_causal=False), without)
    assert not np.allclose(want[:, :-1], without[:, :-1])


def test_pytorch_warns_on_mixed_mask_types() -> None:
    """A float ``tgt_mask`` with a boolean ``tgt_key_padding_mask`` draws PyTorch's deprecation warning."""
    ref = reference_layer("decoder", 8, 2, 16, norm_first=False, activation="relu", seed=3)
    y = torch.zeros(1, 3, 8, dtype=torch.float64)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask is deprecated"):
        ref(y, y, tgt_mask=mask, tgt_key_padding_mask=torch.zeros(1, 3, dtype=torch.bool))


def test_fully_padded_sequence_gives_the_same_finite_output_as_torch() -> None:
    """A sequence with every key padded: SDPA gives its queries zero attention, in both."""
    ref = reference_layer("encoder", 8, 2, 16, norm_first=True, activation="relu", seed=4)
    x = np.random.default_rng(4).standard_normal((2, 3, 8))
    valid = np.array([[True, True, False], [False, False, False]])
    want = ref(_t(x), src_key_padding_mask=_t(~valid)).detach().numpy()
    for impl in ENCODERS.values():
        got = impl(x, layer_params_from_torch(ref), 2, mask=valid, norm_first=True)
        assert np.isfinite(got).all()
        assert_close(got, want)


def test_default_is_post_ln_like_pytorch() -> None:
    """``norm_first`` defaults to False in PyTorch and here, and the default output is post-LN's."""
    assert nn.TransformerEncoderLayer(8, 2).norm_first is False
    assert nn.TransformerDecoderLayer(8, 2).norm_first is False
    p = init_layer_params(8, 16)
    x = np.random.default_rng(5).standard_normal((1, 4, 8))
    assert_close(encoder_layer(x, p, 2), encoder_layer(x, p, 2, norm_first=False))
    assert not np.allclose(encoder_layer(x, p, 2), encoder_layer(x, p, 2, norm_first=True))


def test_params_round_trip_counts_and_errors() -> None:
    for kind in ("encoder", "decoder"):
        ref = reference_layer(kind, 8, 2, 24, norm_first=False, activation="relu", seed=6)
        p = layer_params_from_torch(ref)
        own = init_layer_params(8, 24, decoder=kind == "decoder")
        assert {k: v.shape for k, v in p.items()} == {k: v.shape for k, v in own.items()}
        assert sum(v.size for v in p.values()) == sum(q.numel() for q in ref.parameters())
    with pytest.raises(ValueError, match=r"layer must be an nn.Transformer\{Encoder,Decoder\}Layer with bias=True"):
        layer_params_from_torch(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"with bias=True; got"):
        layer_params_from_torch(nn.TransformerEncoderLayer(8, 2, 16, bias=False))


# ---------------------------------------------------------------- hand-worked example


def check_hand_worked_example(encoder_fn: Layer, decoder_fn: Layer) -> None:
    """One token, d_model = 2, one head, every matrix the identity, every bias 0, ReLU, eps = 0.

    With a single key, attention puts weight 1 on it, so self-attention returns the token's
    own value, ``x W_v W_o = x``, and cross-attention returns the memory token. LN(a, b)
    with a > b is (1, -1): the mean is (a + b) / 2 and the standard deviation (a - b) / 2.
    FFN(z) = ReLU(z).

    Encoder, x = (3, 1).
    Post-LN: LN(x + x) = LN(6, 2) = (1, -1); then LN((1, -1) + ReLU(1, -1)) = LN(2, -1) = (1, -1).
    Pre-LN:  x + Attn(LN(x)) = (3, 1) + (1, -1) = (4, 0); then (4, 0) + ReLU(LN(4, 0))
             = (4, 0) + (1, 0) = (5, 0). The residual stream is never normalised.

    Decoder, y = (3, 1), memory m = (2, 0).
    Post-LN: LN(y + y) = (1, -1); LN((1, -1) + m) = LN(3, -1) = (1, -1); LN((1, -1) + (1, 0)) = (1, -1).
    Pre-LN:  y + LN(y) = (4, 0); (4, 0) + m = (6, 0), since the memory enters unnormalised;
             (6, 0) + ReLU(LN(6, 0)) = (6, 0) + (1, 0) = (7, 0).
    """
    for decoder in (False, True):
        p = init_layer_params(2, 2, decoder=decoder)
        for key in p:
            p[key] = np.eye(2) if p[key].ndim == 2 else np.ones(2) if key.endswith("gamma") else np.zeros(2)
        x, m = np.array([[[3.0, 1.0]]]), np.array([[[2.0, 0.0]]])
        for norm_first, want in ((False, [1.0, -1.0]), (True, [7.0, 0.0] if decoder else [5.0, 0.0])):
            if decoder:
                got = decoder_fn(x, m, p, 1, norm_first=norm_first, eps=0.0)
            else:
                got = encoder_fn(x, p, 1, norm_first=norm_first, eps=0.0)
            np.testing.assert_allclose(got, [[want]], atol=1e-12)


@pytest.mark.parametrize("impl", ENCODERS)
def test_hand_worked_example(impl: str) -> None:
    check_hand_worked_example(ENCODERS[impl], DECODERS[impl])


def test_hand_worked_example_in_torch_layers() -> None:
    """The same numbers from PyTorch's own layers, so the derivation checks the reference too."""
    for cls, want in ((nn.TransformerEncoderLayer, [5.0, 0.0]), (nn.TransformerDecoderLayer, [7.0, 0.0])):
        layer = cls(2, 1, 2, dropout=0.0, batch_first=True, norm_first=True, layer_norm_eps=0.0).double()
        with torch.no_grad():
            for name, p in layer.named_parameters():
                p.copy_(torch.eye(2).repeat(3, 1) if "in_proj_weight" in name else torch.eye(2) if p.ndim == 2 else p)
                if name.endswith("bias"):
                    p.zero_()
        x = torch.tensor([[[3.0, 1.0]]], dtype=torch.float64)
        out = layer(x) if cls is nn.TransformerEncoderLayer else layer(x, torch.tensor([[[2.0, 0.0]]]).double())
        np.testing.assert_allclose(out.detach().numpy(), [[want]], atol=1e-12)


# ---------------------------------------------------------------- claims on the page


def check_teacher_forcing_is_causal(decoder_fn: Layer) -> None:
    """Under the causal mask, output t depends on target tokens 0..t only, so one teacher-forced
    pass over the whole shifted target equals feeding the prefixes one at a time."""
    rng = np.random.default_rng(7)
    p = init_layer_params(8, 16, decoder=True, rng=7)
    y, memory = rng.standard_normal((2, 6, 8)), rng.standard_normal((2, 4, 8))
    full = decoder_fn(y, memory, p, 2)
    for t in range(6):
        assert_close(decoder_fn(y[:, : t + 1], memory, p, 2)[:, t], full[:, t])
        changed = y.copy()
        changed[:, t] += 1.0
        out = decoder_fn(changed, memory, p, 2)
        assert_close(out[:, :t], full[:, :t])
        assert not np.allclose(out[:, t], full[:, t])
    assert not np.allclose(decoder_fn(y, memory, p, 2, is_causal=False)[:, 0], full[:, 0])


@pytest.mark.parametrize("impl", DECODERS)
def test_teacher_forcing_is_causal(impl: str) -> None:
    check_teacher_forcing_is_causal(DECODERS[impl])


def check_padding_is_invisible(encoder_fn: Layer) -> None:
    """Changing padded tokens never changes the outputs of the real ones."""
    rng = np.random.default_rng(8)
    p = init_layer_params(8, 16, rng=8)
    x = rng.standard_normal((2, 5, 8))
    valid = np.array([[True] * 5, [True, True, True, False, False]])
    out = encoder_fn(x, p, 2, mask=valid)
    x2 = x.copy()
    x2[1, 3:] = rng.standard_normal((2, 8))
    assert_close(encoder_fn(x2, p, 2, mask=valid)[valid], out[valid])
    assert not np.allclose(encoder_fn(x2, p, 2)[1, :3], out[1, :3])  # without the mask they would


@pytest.mark.parametrize("impl", ENCODERS)
def test_padding_is_invisible(impl: str) -> None:
    check_padding_is_invisible(ENCODERS[impl])


def residual_stream_rms(norm_first: bool, n_layers: int = 12) -> list[float]:
    """Root mean square of the stream after each of ``n_layers`` freshly initialised encoder layers."""
    x = np.random.default_rng(9).standard_normal((2, 8, 32))
    rms = []
    for i in range(n_layers):
        x = encoder_layer(x, init_layer_params(32, 128, rng=i), 4, norm_first=norm_first)
        rms.append(float(np.sqrt((x**2).mean())))
    return rms


def test_post_ln_renormalises_the_stream_and_pre_ln_lets_it_grow() -> None:
    """Post-LN ends every layer with a LayerNorm (gamma 1, beta 0): each token has mean 0 and RMS 1.
    Pre-LN adds each sublayer's output to an unnormalised stream, whose size grows with depth."""
    np.testing.assert_allclose(residual_stream_rms(False), 1.0, atol=1e-4)
    pre = residual_stream_rms(True)
    assert pre[-1] > 2 * pre[0] and np.mean(pre[6:]) > np.mean(pre[:6])
    assert round(pre[0], 1) == 1.3 and 4.0 < pre[-1] < 4.3  # the numbers the bank quotes from the figure


def top_layer_grad(n_layers: int, norm_first: bool, seed: int, d: int = 16) -> float:
    """Norm of the gradient of a cross-entropy loss w.r.t. the last layer's ``W_2`` at initialisation."""
    rng = np.random.default_rng(seed)
    layers = [
        {k: torch.tensor(v, requires_grad=True) for k, v in init_layer_params(d, 4 * d, rng=100 * seed + i).items()}
        for i in range(n_layers)
    ]
    h = torch.from_numpy(rng.standard_normal((2, 6, d)))
    for p in layers:
        h = encoder_layer_torch(h, p, 2, norm_first=norm_first)
    if norm_first:  # a pre-LN stack ends with one more LayerNorm
        h = F.layer_norm(h, (d,))
    logits = (h @ torch.from_numpy(rng.standard_normal((d, 20)) / math.sqrt(d))).reshape(-1, 20)
    F.cross_entropy(logits, torch.from_numpy(rng.integers(0, 20, size=12))).backward()
    return float(layers[-1]["ffn.w_2"].grad.norm())


def test_pre_ln_top_gradient_shrinks_with_depth_and_post_ln_does_not() -> None:
    """Xiong et al. (2020): at initialisation the gradient of the last layer stays the same size as
    depth grows in post-LN, and shrinks like 1/sqrt(L) in pre-LN (sqrt(1/4) = 0.5 from 1 to 4
    layers); hence post-LN's need for warm-up. Ratios measured over 5 triples of seeds: pre-LN
    0.57-0.67, post-LN 0.94-1.25."""
    mean = {(n, nf): np.mean([top_layer_grad(n, nf, s) for s in range(3)]) for n in (1, 4) for nf in (False, True)}
    assert mean[4, True] / mean[1, True] < 0.75
    assert mean[4, False] / mean[1, False] > 0.85


def test_dropout_is_inverted_and_only_in_training() -> None:
    rng = np.random.default_rng(10)
    out = dropout(np.full(200_000, 3.0), 0.1, rng=rng)
    np.testing.assert_allclose(np.unique(out), [0.0, 3.0 / 0.9], rtol=1e-15)  # zeros and x / (1 - p)
    assert abs((out == 0).mean() - 0.1) < 0.005 and abs(out.mean() - 3.0) < 0.02
    assert_close(dropout(np.arange(4.0), 0.0), np.arange(4.0))
    p = init_layer_params(8, 16)
    x = rng.standard_normal((2, 3, 8))
    a = encoder_layer(x, p, 2, dropout_p=0.1, rng=np.random.default_rng(0))
    b = encoder_layer(x, p, 2, dropout_p=0.1, rng=np.random.default_rng(0))
    assert_close(a, b)
    assert not np.allclose(a, encoder_layer(x, p, 2))
    torch.manual_seed(0)
    t = encoder_via_torch(x, p, 2, dropout_p=0.1)
    assert t.shape == x.shape and not np.allclose(t, encoder_layer(x, p, 2))


@pytest.mark.parametrize("layer", ["encoder", "decoder"])
def test_torch_layers_draw_dropout_from_the_generator(layer: str) -> None:
    """The same generator seed gives the same masks, another seed others; dropout_p = 0 draws nothing."""
    rng = np.random.default_rng(3)
    x = torch.from_numpy(rng.standard_normal((2, 3, 8)))
    if layer == "encoder":
        pt = {k: torch.from_numpy(v) for k, v in init_layer_params(8, 16).items()}
        run = lambda **kw: encoder_layer_torch(x, pt, 2, **kw)  # noqa: E731
    else:
        pt = {k: torch.from_numpy(v) for k, v in init_layer_params(8, 16, decoder=True).items()}
        run = lambda **kw: decoder_layer_torch(x, x, pt, 2, **kw)  # noqa: E731
    seeded = [run(dropout_p=0.2, generator=torch.Generator().manual_seed(s)) for s in (0, 0, 1)]
    assert torch.equal(seeded[0], seeded[1]) and not torch.allclose(seeded[0], seeded[2])
    g = torch.Generator().manual_seed(5)
    state = g.get_state()
    assert torch.equal(run(dropout_p=0.0, generator=g), run())
    assert torch.equal(g.get_state(), state)


# ---------------------------------------------------------------- label smoothing


def check_label_smoothing_against_torch(loss_fn: Loss) -> None:
    """Equal to ``F.cross_entropy(label_smoothing=eps)`` over shapes, epsilons and large logits."""
    rng = np.random.default_rng(11)
    for n, k in [(1, 2), (5, 3), (7, 37), (64, 1000)]:
        for eps in (0.0, 0.1, 0.5, 1.0):
            for scale in (1.0, 1e4):
                z, t = scale * rng.standard_normal((n, k)), rng.integers(0, k, size=n)
                want = F.cross_entropy(_t(z), _t(t), label_smoothing=eps).item()
                got = loss_fn(z, t, epsilon=eps)
                assert math.isfinite(got)
                assert abs(got - want) <= 1e-9 * max(1.0, abs(want))


@pytest.mark.parametrize("impl", LOSSES)
def test_label_smoothing_matches_torch(impl: str) -> None:
    check_label_smoothing_against_torch(LOSSES[impl])


def check_others_convention(loss_fn: Loss) -> None:
    """``spread="others"`` is cross-entropy against 1 - eps on the target and eps / (K - 1) elsewhere."""
    rng = np.random.default_rng(12)
    z, t = rng.standard_normal((6, 5)), rng.integers(0, 5, size=6)
    q = np.full((6, 5), 0.1 / 4)
    q[np.arange(6), t] = 0.9
    want = F.cross_entropy(_t(z), _t(q)).item()  # probabilities as the target
    assert abs(loss_fn(z, t, epsilon=0.1, spread="others") - want) < 1e-12
    assert abs(loss_fn(z, t, epsilon=0.1) - want) > 1e-4


@pytest.mark.parametrize("impl", LOSSES)
def test_others_convention(impl: str) -> None:
    check_others_convention(LOSSES[impl])


def test_pytorch_spreads_epsilon_over_all_classes_including_the_target() -> None:
    """PyTorch's ``label_smoothing=eps`` is cross-entropy against (1 - eps) onehot + eps / K: the
    target gets 1 - eps + eps / K, not 1 - eps."""
    rng = np.random.default_rng(13)
    z, t = rng.standard_normal((4, 6)), rng.integers(0, 6, size=4)
    q_all = smoothed_targets(t, 6, epsilon=0.3)
    np.testing.assert_allclose(q_all[np.arange(4), t], 1 - 0.3 + 0.3 / 6)
    np.testing.assert_allclose(q_all.sum(-1), 1.0)
    torch_loss = F.cross_entropy(_t(z), _t(t), label_smoothing=0.3).item()
    assert abs(torch_loss - F.cross_entropy(_t(z), _t(q_all)).item()) < 1e-12
    q_others = smoothed_targets(t, 6, epsilon=0.3, spread="others")
    np.testing.assert_allclose(q_others[np.arange(4), t], 0.7)
    assert abs(torch_loss - F.cross_entropy(_t(z), _t(q_others)).item()) > 1e-3


def test_label_smoothing_decomposition_and_optimum() -> None:
    """loss = (1 - eps) NLL + eps mean_k(-log p_k); it is smallest, at H(q), when p = q, where the
    gradient softmax(z) - q vanishes; a one-hot-confident prediction costs more."""
    rng = np.random.default_rng(14)
    z, t = rng.standard_normal((5, 7)), rng.integers(0, 7, size=5)
    log_p = torch.log_softmax(_t(z), -1).numpy()
    nll, uniform = -log_p[np.arange(5), t].mean(), -log_p.mean()
    assert abs(label_smoothing_loss(z, t, epsilon=0.1) - (0.9 * nll + 0.1 * uniform)) < 1e-12
    q = smoothed_targets(t, 7, epsilon=0.1)
    z_opt = torch.tensor(np.log(q), requires_grad=True)
    loss = label_smoothing_loss_torch(z_opt, _t(t), epsilon=0.1)
    loss.backward()
    assert abs(loss.item() - float(-(q * np.log(q)).sum(-1).mean())) < 1e-12
    assert float(z_opt.grad.abs().max()) < 1e-12
    assert label_smoothing_loss(10 * np.eye(7)[t], t) > loss.item()


def test_label_smoothing_hand_worked_example() -> None:
    """p = softmax(log(1, 1, 2)) = (1/4, 1/4, 1/2), target 2, eps = 0.3, K = 3.
    q = (0.1, 0.1, 0.7 + 0.1) = (0.1, 0.1, 0.8); loss = -(0.1 log 1/4 + 0.1 log 1/4 + 0.8 log 1/2)
    = 0.2 log 4 + 0.8 log 2 = 1.2 log 2 = 0.831777. Without smoothing, log 2 = 0.693147."""
    logits = np.log([[1.0, 1.0, 2.0]])
    assert abs(label_smoothing_loss(logits, [2], epsilon=0.3) - 1.2 * math.log(2)) < 1e-12
    assert abs(label_smoothing_loss(logits, [2], epsilon=0.0) - math.log(2)) < 1e-12
    np.testing.assert_allclose(smoothed_targets([2], 3, epsilon=0.3), [[0.1, 0.1, 0.8]])


# ---------------------------------------------------------------- the schedule


def test_warmup_schedule_at_hand_computed_points() -> None:
    """d = 512, warmup = 4000. Step 1: 512^-0.5 * 4000^-1.5 = 1 / (22.627 * 252982) = 1.7469e-7.
    Step 4000: both branches are 4000^-0.5, so 1 / sqrt(512 * 4000) = 1 / 1431.08 = 6.9877e-4.
    Step 16000: 512^-0.5 * 16000^-0.5 = 1 / sqrt(8,192,000) = 3.4939e-4, half the peak."""
    np.testing.assert_allclose(warmup_lr(1), 1 / (math.sqrt(512) * 4000**1.5), rtol=1e-12)
    np.testing.assert_allclose(warmup_lr(4000), 1 / math.sqrt(512 * 4000), rtol=1e-12)
    np.testing.assert_allclose(warmup_lr(16000), warmup_lr(4000) / 2, rtol=1e-12)
    np.testing.assert_allclose(warmup_lr(100_000), 1 / math.sqrt(512 * 100_000), rtol=1e-12)
    assert round(float(warmup_lr(4000)), 7) == 0.0006988
    assert round(float(warmup_lr(1)) * 1e7, 4) == 1.7469


@pytest.mark.parametrize("warmup", [1, 4000, 8000])
def test_warmup_schedule_shape(warmup: int) -> None:
    """Linear up to ``warmup`` (doubling the step doubles the rate), 1/sqrt(step) after it, peak at warmup."""
    steps = np.arange(1, 4 * warmup + 100)
    lr = warmup_lr(steps, warmup=warmup)
    assert steps[lr.argmax()] == warmup
    np.testing.assert_allclose(lr.max(), 512**-0.5 * warmup**-0.5, rtol=1e-12)
    if warmup > 1:
        np.testing.assert_allclose(warmup_lr(warmup // 2, warmup=warmup) * 2, lr.max(), rtol=1e-12)
    np.testing.assert_allclose(warmup_lr(4 * warmup, warmup=warmup) * 2, lr.max(), rtol=1e-12)
    # a longer warm-up peaks later and lower, and both schedules coincide after it
    assert warmup_lr(10 * warmup, warmup=warmup) == warmup_lr(10 * warmup, warmup=max(1, warmup // 2))


def test_doubling_warmup_lowers_the_peak_by_sqrt_2() -> None:
    peak_4000, peak_8000 = warmup_lr(4000), warmup_lr(8000, warmup=8000)
    np.testing.assert_allclose(peak_4000 / peak_8000, math.sqrt(2), rtol=1e-12)
    np.testing.assert_allclose(warmup_lr(8000), warmup_lr(8000, warmup=8000), rtol=1e-12)


def test_torch_scheduler_follows_the_schedule_from_step_1() -> None:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = warmup_scheduler_torch(opt, d_model=512, warmup=10)
    used = []
    for _ in range(30):
        used.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(used, warmup_lr(np.arange(1, 31), warmup=10), rtol=1e-12)
    with pytest.raises(ValueError, match=r"optimizer must have lr = 1\.0 in every group .*got \[0\.001\]"):
        warmup_scheduler_torch(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3))


# ---------------------------------------------------------------- parameter counts


@pytest.mark.parametrize("d_model, d_ff", [(512, 2048), (1024, 4096), (8, 24), (64, 100)])
def test_layer_counts_equal_torch(d_model: int, d_ff: int) -> None:
    with torch.device("meta"):  # no memory is allocated
        enc = nn.TransformerEncoderLayer(d_model, 8 if d_model % 8 == 0 else 1, d_ff)
        dec = nn.TransformerDecoderLayer(d_model, 8 if d_model % 8 == 0 else 1, d_ff)
    assert encoder_layer_param_count(d_model, d_ff) == sum(p.numel() for p in enc.parameters())
    assert decoder_layer_param_count(d_model, d_ff) == sum(p.numel() for p in dec.parameters())


def test_base_layer_counts_exactly() -> None:
    """Encoder: 4*512^2 + 4*512 = 1,050,624 (attention) + 2*512*2048 + 2048 + 512 = 2,099,712 (FFN)
    + 2*1024 (two LayerNorms) = 3,152,384. Decoder: 2*1,050,624 + 2,099,712 + 3*1024 = 4,204,032."""
    assert encoder_layer_param_count(512, 2048) == 3_152_384
    assert decoder_layer_param_count(512, 2048) == 4_204_032


def test_ffn_holds_two_thirds_of_an_encoder_layer() -> None:
    ffn = 2 * 512 * 2048 + 2048 + 512
    assert abs(ffn / encoder_layer_param_count(512, 2048) - 2 / 3) < 0.001


def test_stacks_equal_nn_transformer() -> None:
    """``nn.Transformer`` holds the two stacks and a final LayerNorm after each, but no embeddings."""
    with torch.device("meta"):
        model = nn.Transformer(512, 8, 6, 6, 2048, batch_first=True)
    embeddings = 37000 * 512
    assert sum(p.numel() for p in model.parameters()) == transformer_param_count(final_norms=True) - embeddings


def test_paper_sizes_from_table_3() -> None:
    """The paper reports 65 x 10^6 parameters for the base model and 213 x 10^6 for the big one.

    We count 63,082,496 and 214,245,376: 3.0% below and 0.6% above. The tolerance is 5%: the
    figures are rounded to two or three digits, the vocabulary is given only as "about 37000
    tokens" (each 1000 tokens is 512,000 parameters in the base model, 0.8% of it), and the
    paper does not list every bias or norm it counted. Tying matters far more: three separate
    embedding matrices would give 101 million, so the reported size implies the tying of
    section 3.4.
    """
    base, big = transformer_param_count(), transformer_param_count(d_model=1024, d_ff=4096)
    assert (base, big) == (63_082_496, 214_245_376)
    assert abs(base / 65e6 - 1) < 0.05 and abs(big / 213e6 - 1) < 0.05
    untied = transformer_param_count(tied=False)
    assert untied == base + 2 * 37000 * 512 and abs(untied / 65e6 - 1) > 0.5


# ---------------------------------------------------------------- bad input


def layer_bad_inputs() -> list[tuple[Callable, dict, str]]:
    """(function, keyword arguments, the message that must name the problem)."""
    p, pd = init_layer_params(8, 16), init_layer_params(8, 16, decoder=True)
    x, m = np.zeros((2, 3, 8)), np.zeros((2, 4, 8))
    wrong = dict(p, **{"ffn.b_2": np.zeros(7)})
    return [
        (
            encoder_layer,
            dict(x=np.zeros(8), params=p, num_heads=2),
            r"x must have shape \(batch, seq, d_model\).*\(8,\)",
        ),
        (encoder_layer, dict(x=x, params=p, num_heads=3), r"num_heads must be a positive integer dividing d_model = 8"),
        (encoder_layer, dict(x=x, params=pd, num_heads=2), r"params must hold the keys .*unexpected \['cross_attn"),
        (
            encoder_layer,
            dict(x=x, params=wrong, num_heads=2),
            r"params\['ffn.b_2'\] must have shape \(8,\); got \(7,\)",
        ),
        (encoder_layer, dict(x=x, params=p, num_heads=2, activation="tanh"), r"activation must be one of .*'tanh'"),
        (encoder_layer, dict(x=x, params=p, num_heads=2, dropout_p=1.0), r"dropout_p must be in \[0, 1\); got 1\.0"),
        (
            encoder_layer,
            dict(x=x, params=p, num_heads=2, mask=np.ones((2, 3), int)),
            r"mask must be boolean of shape \(2, 3\); got shape \(2, 3\), dtype int64",
        ),
        (
            decoder_layer,
            dict(y=x, memory=np.zeros((2, 4, 6)), params=pd, num_heads=2),
            r"memory must have shape \(batch, seq_src, d_model\) = \(2, seq_src, 8\); got \(2, 4, 6\)",
        ),
        (decoder_layer, dict(y=x, memory=m, params=p, num_heads=2), r"missing \['cross_attn"),
        (
            decoder_layer,
            dict(y=x, memory=m, params=pd, num_heads=2, memory_mask=np.ones((2, 3), bool)),
            r"memory_mask must be boolean of shape \(2, 4\); got shape \(2, 3\)",
        ),
    ]


@pytest.mark.parametrize("impl", ["numpy", "torch"])
def test_layer_bad_input_raises(impl: str) -> None:
    mirror = {encoder_layer: ENCODERS[impl], decoder_layer: DECODERS[impl]}
    for fn, kwargs, message in layer_bad_inputs():
        if impl == "torch" and "rng" in message:
            continue  # the torch mirror takes a torch.Generator, not rng
        with pytest.raises(ValueError, match=message):
            mirror[fn](**kwargs)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((np.zeros(3), [0]), {}, r"logits must have shape \(tokens, num_classes\) with num_classes >= 2; got \(3,\)"),
        ((np.zeros((2, 3)), [0]), {}, r"target must be integers of shape \(2,\); got shape \(1,\)"),
        ((np.zeros((1, 3)), [0.0]), {}, r"target must be integers .*dtype float64"),
        ((np.zeros((2, 3)), [0, 3]), {}, r"target must lie in \[0, 3\); got values from 0 to 3"),
        ((np.zeros((1, 3)), [0]), {"epsilon": 1.5}, r"epsilon must be in \[0, 1\]; got 1\.5"),
        ((np.zeros((1, 3)), [0]), {"spread": "uniform"}, r"spread must be one of \('all', 'others'\); got 'uniform'"),
    ],
)
def test_loss_bad_input_raises(args, kwargs, message) -> None:
    for fn in LOSSES.values():
        with pytest.raises(ValueError, match=message):
            fn(*args, **kwargs)


@pytest.mark.parametrize(
    "fn, kwargs, message",
    [
        (warmup_lr, dict(step=0), r"step must be finite and >= 1 .*got 0\.0"),
        (warmup_lr, dict(step=[5, float("nan")]), r"step must be finite and >= 1 .*got nan"),
        (warmup_lr, dict(step=1, warmup=0), r"warmup must be a positive integer; got 0"),
        (encoder_layer_param_count, dict(d_model=512, d_ff=0), r"d_ff must be a positive integer; got 0"),
        (transformer_flops, dict(num_layers=2, d_model=8, seq_len=0), r"seq_len must be a positive integer; got 0"),
        (transformer_flops, dict(num_layers=2, d_model=8, seq_len=4, vocab_size=-1), r"vocab_size must be a non-neg"),
        (transformer_param_count, dict(vocab_size=1.5), r"vocab_size must be a positive integer; got 1\.5"),
        (init_layer_params, dict(d_model=-1, d_ff=2), r"d_model must be a positive integer; got -1"),
    ],
)
def test_other_bad_input_raises(fn, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        fn(**kwargs)


# ---------------------------------------------------------------- the bank's numeric answers


def computed_answers() -> dict[str, float]:
    """Every numeric answer of the bank, computed from the package rather than copied."""
    q4 = smoothed_targets([0], 4, epsilon=0.1)[0]
    return {
        "transformer.peak-lr": float(warmup_lr(4000)) * 1e4,
        "transformer.lr-step-16000": float(warmup_lr(16000)) * 1e4,
        "transformer.encoder-layer-params": encoder_layer_param_count(512, 2048),
        "transformer.base-params-millions": transformer_param_count() / 1e6,
        "transformer.smoothed-loss-floor": label_smoothing_loss(np.log(q4)[None], [0], epsilon=0.1),
        "transformer.optimal-logit-gap": float(np.log(q4[0] / q4[1])),
        "transformer.untied-extra-millions": (transformer_param_count(tied=False) - transformer_param_count()) / 1e6,
        # one layer with d = 1000 and d_ff = 3,498,000 has N = 4e6 + 2 * 1000 * 3,498,000 = 7e9 weights
        "transformer.flops-forward": transformer_flops(1, 1000, 1, d_ff=3_498_000, is_causal=False) / 1e9,
        "transformer.training-flops": (
            transformer_flops(1, 1000, 1, d_ff=3_498_000, training=True) / 7e9 * 175e9 * 300e9 / 1e23
        ),
        "transformer.attention-share": 100 * 2 * 32 * 4096 * 4096 / transformer_flops(32, 4096, 4096),
    }


def test_bank_numeric_answers_are_right() -> None:
    computed = computed_answers()
    numeric = check_numeric_keys("transformer", computed, bank_tolerance)
    for qid, value in computed.items():
        assert abs(numeric[qid]["answer"] - value) <= 0.01 * abs(value), (qid, "the key itself must be accurate")


# ---------------------------------------------------------------- types and low precision


def test_wrong_array_library_raises_type_error() -> None:
    p = init_layer_params(8, 16)
    pt = {k: torch.from_numpy(v) for k, v in p.items()}
    with pytest.raises(TypeError, match=r"x must be a NumPy array or array-like; got a torch.Tensor"):
        encoder_layer(torch.zeros(1, 2, 8), p, 2)
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor; got a NumPy array"):
        encoder_layer_torch(np.zeros((1, 2, 8)), pt, 2)
    with pytest.raises(TypeError, match=r"params\['ffn.w_1'\] must be a torch.Tensor; got a NumPy array"):
        encoder_layer_torch(torch.zeros(1, 2, 8, dtype=torch.float64), dict(pt, **{"ffn.w_1": p["ffn.w_1"]}), 2)
    with pytest.raises(TypeError, match=r"memory must be a torch.Tensor; got a NumPy array"):
        decoder_layer_torch(torch.zeros(1, 2, 8), np.zeros((1, 2, 8)), pt, 2)
    with pytest.raises(TypeError, match=r"logits must be a torch.Tensor; got a NumPy array"):
        label_smoothing_loss_torch(np.zeros((1, 3)), torch.tensor([0]))
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator, an int seed or None; got str"):
        encoder_layer(np.zeros((1, 2, 8)), p, 2, dropout_p=0.1, rng="0")


# float32 is checked tightly; float16 and bfloat16 against the same layer in float32, loosely
LOW_PRECISION = {torch.float32: 1e-4, torch.float16: 2e-2, torch.bfloat16: 1.5e-1}


@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("norm_first", [False, True])
def test_layer_mirrors_match_torch_in_low_precision(dtype: torch.dtype, norm_first: bool) -> None:
    """encoder_layer_torch / decoder_layer_torch vs nn.Transformer*Layer with copied weights, in the dtype."""
    b, t, s, d, h, d_ff = SHAPES[1]
    rng = np.random.default_rng(40)
    tol = LOW_PRECISION[dtype]
    for kind in ("encoder", "decoder"):
        ref = reference_layer(kind, d, h, d_ff, norm_first=norm_first, activation="gelu", seed=40)
        with torch.no_grad():
            for q in ref.parameters():
                q.mul_(0.5)  # keep the activations moderate, as a trained layer's are
        params = {k: _t(v).to(dtype) for k, v in layer_params_from_torch(ref).items()}
        ref = ref.to(dtype)
        x, memory = _t(rng.standard_normal((b, t, d))).to(dtype), _t(rng.standard_normal((b, s, d))).to(dtype)
        kw = {"norm_first": norm_first, "activation": "gelu"}
        with torch.no_grad():
            if kind == "encoder":
                got, want = encoder_layer_torch(x, params, h, **kw), ref(x)
            else:
                mask = _t(np.triu(np.ones((t, t), dtype=bool), k=1))
                got, want = decoder_layer_torch(x, memory, params, h, **kw), ref(x, memory, tgt_mask=mask)
        assert got.dtype == dtype
        torch.testing.assert_close(got.float(), want.float(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", LOW_PRECISION)
def test_label_smoothing_mirror_matches_torch_in_low_precision(dtype: torch.dtype) -> None:
    rng = np.random.default_rng(41)
    z, t = _t(3 * rng.standard_normal((16, 50))).to(dtype), _t(rng.integers(0, 50, size=16))
    got = label_smoothing_loss_torch(z, t, epsilon=0.1)
    want = F.cross_entropy(z, t, label_smoothing=0.1)
    assert got.dtype == dtype
    tol = LOW_PRECISION[dtype]
    torch.testing.assert_close(got.float(), want.float(), rtol=tol, atol=tol)


# ---------------------------------------------------------------- FLOPs per token


def _counted_flops_per_token(num_layers, d_model, num_heads, d_ff, seq_len, vocab_size, *, training, causal) -> float:
    """FlopCounterMode over a stack of nn.TransformerEncoderLayer (math SDPA, so the scores are counted)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    layers = [
        nn.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout=0.0, batch_first=True) for _ in range(num_layers)
    ]
    head = nn.Linear(d_model, vocab_size)
    x = torch.randn(2, seq_len, d_model, requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(seq_len) if causal else None
    counter = FlopCounterMode(display=False)
    with sdpa_kernel(SDPBackend.MATH), counter:
        h = x
        for layer in layers:
            h = layer(h, src_mask=mask, is_causal=causal)
        out = head(h)
        if training:
            out.sum().backward()
    return counter.get_total_flops() / (2 * seq_len)


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("sizes", [(2, 16, 2, 48, 10, 40), (3, 32, 4, 128, 7, 11)])
def test_flops_equal_flop_counter_mode(sizes: tuple, training: bool) -> None:
    """2N + 4 L T d + 2 d V per token forward (every score computed), three times that to train, exactly."""
    num_layers, d, h, d_ff, seq_len, vocab = sizes
    counted = _counted_flops_per_token(num_layers, d, h, d_ff, seq_len, vocab, training=training, causal=False)
    ours = transformer_flops(num_layers, d, seq_len, d_ff=d_ff, vocab_size=vocab, is_causal=False, training=training)
    assert ours == counted
    # a dense kernel computes every score even under a causal mask: the count does not change
    assert _counted_flops_per_token(num_layers, d, h, d_ff, seq_len, vocab, training=training, causal=True) == counted


def test_causal_attention_flops_are_half_the_dense_ones() -> None:
    """Kaplan's 2 L T d is the causal triangle averaged over positions: sum_t 4 t d / T = 2 d (T + 1) per layer."""
    L, d, T = 4, 64, 1024
    two_n = transformer_flops(L, d, 1, is_causal=False) - 4 * L * d
    causal, dense = transformer_flops(L, d, T) - two_n, transformer_flops(L, d, T, is_causal=False) - two_n
    assert dense == 2 * causal == 4 * L * T * d
    exact_triangle = L * sum(4 * t * d for t in range(1, T + 1)) / T
    assert abs(causal / exact_triangle - 1) < 2 / T


def test_flops_rules_of_thumb() -> None:
    """Forward about 2N per token, training about 6N, for a model whose context is short next to 6 d."""
    L, d = 32, 4096
    n = L * 12 * d * d  # 4 d^2 attention + 8 d^2 FFN per layer
    assert transformer_flops(L, d, 1) / (2 * n) == pytest.approx(1.0, rel=1e-3)
    assert transformer_flops(L, d, 1, training=True) / (6 * n) == pytest.approx(1.0, rel=1e-3)
    share = 2 * L * 4096 * d / transformer_flops(L, d, 4096)  # attention's share at T = 4096
    assert 0.07 < share < 0.08


# ---------------------------------------------------------------- the exercises' checks on our code


@pytest.mark.parametrize("exercise", ["transformer.warmup-schedule", "transformer.pre-ln-encoder"])
def test_exercise_checks_pass_on_our_implementation(exercise: str) -> None:
    from concepts.exercises._harness import run_checks
    from concepts.exercises.transformer import CHECKS

    impl = {"transformer.warmup-schedule": warmup_lr, "transformer.pre-ln-encoder": pre_ln_encoder_layer}[exercise]
    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed


def test_pre_ln_encoder_layer_is_encoder_layer_with_norm_first() -> None:
    p, x = init_layer_params(8, 16), np.random.default_rng(50).standard_normal((2, 3, 8))
    assert_close(pre_ln_encoder_layer(x, p, 2), encoder_layer(x, p, 2, norm_first=True))


def test_smoothed_loss_floor_in_both_conventions() -> None:
    """Page: for K = 4, eps = 0.1 the loss cannot fall below H(q): 0.349 (PyTorch), 0.435 (tensor2tensor)."""
    for spread, floor in (("all", 0.349), ("others", 0.435)):
        q = smoothed_targets([0], 4, epsilon=0.1, spread=spread)
        best = label_smoothing_loss(np.log(q), [0], epsilon=0.1, spread=spread)
        assert round(best, 3) == floor
        assert (
            label_smoothing_loss(np.log(q) + np.array([[0.1, 0.0, 0.0, 0.0]]), [0], epsilon=0.1, spread=spread) > best
        )


def test_lambdalr_calls_the_schedule_with_step_0_when_built() -> None:
    """Bank (transformer.schedule-step-zero) and page: the paper's formula fed to LambdaLR as is
    crashes at construction, because LambdaLR evaluates it at step 0 and 0 ** -0.5 divides by zero."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    seen = []

    def paper(s: int) -> float:
        seen.append(s)
        return 512**-0.5 * min(s**-0.5, s * 4000**-1.5)

    with pytest.raises(ZeroDivisionError):
        torch.optim.lr_scheduler.LambdaLR(opt, paper)
    assert seen == [0]
