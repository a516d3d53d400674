"""ViT from the package's parts against ``F.unfold``, ``nn.Conv2d``, ``F.interpolate`` and Hugging Face's ``ViTModel``.

The reference model is built from a tiny random ``ViTConfig`` (image 32, patch 8, hidden
32, 2 layers, 4 heads, intermediate 64; no download), every parameter redrawn far from
the identity so that a post-LN layer or a misplaced [CLS] would show. It uses SDPA
attention: Hugging Face's eager path computes the softmax in float32 even for a float64
model (``softmax(..., dtype=torch.float32)``), which limits agreement to about 1e-7
(``test_eager_attention_is_float32_limited``). Parameter counts of the real sizes are
compared with models built on the ``meta`` device.

Hand-worked example (``test_hand_worked_patchify_and_embedding``): a 1x4x4 image holding
0..15 row by row, cut into 2x2 patches. Patch (0, 0) holds 0, 1 (top row) and 4, 5, so the
rows are (0, 1, 4, 5), (2, 3, 6, 7), (8, 9, 12, 13), (10, 11, 14, 15). A patch weight of
1/4 everywhere gives each patch's mean: 2.5, 4.5, 10.5, 12.5. With [CLS] = -1 and
positions 0, 100, 200, 300, 400 the sequence is -1, 102.5, 204.5, 310.5, 412.5.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import bank_tolerance, check_numeric_keys

from concepts.exercises._harness import run_checks
from concepts.exercises.vit import CHECKS
from concepts.vit import (
    init_vit_params,
    interpolate_pos_embed,
    patch_embed,
    patch_embed_torch,
    patchify,
    patchify_torch,
    vit_embeddings,
    vit_forward,
    vit_param_count,
    vit_params_from_torch,
)

TINY = {
    "image_size": 32,
    "patch_size": 8,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
}
# (input shape, interpolate_pos_encoding): the trained size, larger, non-square, smaller
SHAPES = [((1, 3, 32, 32), False), ((3, 3, 32, 32), False), ((2, 3, 48, 48), True), ((2, 3, 32, 48), True)]
SHAPES += [((1, 3, 16, 16), True), ((1, 3, 40, 24), True)]


def _randomise(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Redraw every parameter: matrices and kernels N(0, 0.3^2), vectors N(0, 0.2^2), LN gains 1 + N(0, 0.2^2)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            z = torch.randn(p.shape, generator=g, dtype=p.dtype)
            gain = "layernorm" in name and name.endswith("weight")
            p.copy_(1.0 + 0.2 * z if gain else (0.3 if p.ndim >= 2 else 0.2) * z)
    return model


def _hf(attn: str = "sdpa", pooler: bool = True, **overrides):
    transformers = pytest.importorskip("transformers")
    config = transformers.ViTConfig(**{**TINY, **overrides}, attn_implementation=attn)
    model = transformers.ViTModel(config, add_pooling_layer=pooler)
    assert model.config._attn_implementation == attn
    return _randomise(model.double().eval())


def _images(shape: tuple, seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.fixture(scope="module")
def hf_model():
    return _hf()


# ---------------------------------------------------------------- patchify and the patch embedding


def test_hand_worked_patchify_and_embedding() -> None:
    x = np.arange(16.0).reshape(1, 4, 4)
    assert patchify(x, 2).tolist() == [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    e = vit_embeddings(x[None], np.ones((4, 1)) / 4, np.zeros(1), [-1.0], np.arange(5.0)[:, None] * 100, 2)
    assert e.ravel().tolist() == [-1.0, 102.5, 204.5, 310.5, 412.5]


@pytest.mark.parametrize(
    ("shape", "P"), [((1, 1, 1, 1), 1), ((1, 3, 4, 4), 2), ((2, 3, 8, 12), 4), ((2, 2, 16, 16), 8)]
)
def test_patchify_equals_unfold(shape: tuple, P: int) -> None:
    """``F.unfold`` with stride = kernel: channel-major inside a patch, patches in raster order."""
    x = _images(shape)
    want = F.unfold(x, P, stride=P).transpose(1, 2)
    np.testing.assert_array_equal(patchify(x.numpy(), P), want.numpy())
    np.testing.assert_array_equal(patchify(x[0].numpy(), P), want[0].numpy())
    torch.testing.assert_close(patchify_torch(x, P), want, rtol=0, atol=0)


def test_hwc_order_is_channels_last_inside_a_patch() -> None:
    x = _images((2, 3, 4, 8))
    want = x.permute(0, 2, 3, 1).reshape(2, 2, 2, 4, 2, 3).permute(0, 1, 3, 2, 4, 5).reshape(2, 8, 12)  # einops hwc
    np.testing.assert_array_equal(patchify(x.numpy(), 2, order="hwc"), want.numpy())
    torch.testing.assert_close(patchify_torch(x, 2, order="hwc"), want, rtol=0, atol=0)


def _conv(C: int, d: int, P: int, dtype: torch.dtype, seed: int = 0) -> torch.nn.Conv2d:
    torch.manual_seed(seed)
    return torch.nn.Conv2d(C, d, kernel_size=P, stride=P).to(dtype)


def _flat(conv: torch.nn.Conv2d) -> tuple[torch.Tensor, torch.Tensor]:
    return conv.weight.detach().reshape(conv.out_channels, -1).T, conv.bias.detach()  # (C*P*P, d), (d,)


@pytest.mark.parametrize(("shape", "P", "d"), [((1, 1, 2, 2), 1, 3), ((1, 3, 8, 8), 4, 5), ((2, 3, 32, 16), 8, 16)])
def test_patch_embedding_is_a_strided_convolution_float64(shape: tuple, P: int, d: int) -> None:
    conv = _conv(shape[1], d, P, torch.float64)
    x = _images(shape)
    want = conv(x).flatten(2).transpose(1, 2).detach()  # (B, N, d), as ViTPatchEmbeddings
    w, b = _flat(conv)
    np.testing.assert_allclose(patch_embed(x.numpy(), w.numpy(), b.numpy(), P), want.numpy(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(patch_embed_torch(x, w, b, P), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float32, 1e-5), (torch.bfloat16, 3e-2)])
def test_patch_embedding_torch_mirror_low_precision(dtype: torch.dtype, tol: float) -> None:
    conv = _conv(3, 32, 8, dtype)
    x = _images((2, 3, 32, 32), dtype=dtype)
    want = conv(x).flatten(2).transpose(1, 2).detach()
    got = patch_embed_torch(x, *_flat(conv), 8)
    assert got.dtype == dtype
    scale = want.float().abs().max()
    assert (got.float() - want.float()).abs().max() <= tol * scale


def test_flattening_order_flip_breaks_the_convolution() -> None:
    """Channels-last patches against Conv2d's channel-first weight: a different function."""
    conv = _conv(3, 8, 4, torch.float64)
    x = _images((1, 3, 8, 8))
    w, b = (t.numpy() for t in _flat(conv))
    want = conv(x).flatten(2).transpose(1, 2).detach().numpy()
    assert np.abs(patchify(x.numpy(), 4, order="hwc") @ w + b - want).max() > 0.1
    wrong_reshape = conv(x).detach().reshape(1, -1, 8).numpy()  # (B, d, N) reshaped without transposing
    assert np.abs(wrong_reshape - want).max() > 0.1


# ---------------------------------------------------------------- position embeddings and their interpolation


@pytest.mark.parametrize("mode", ["bicubic", "bilinear"])
@pytest.mark.parametrize("grid", [(1, 1), (2, 7), (4, 4), (6, 6), (9, 5), (24, 24)])
def test_interpolation_equals_f_interpolate(mode: str, grid: tuple) -> None:
    pos = np.random.default_rng(0).standard_normal((1 + 16, 6))
    t = torch.from_numpy(pos[1:]).reshape(1, 4, 4, 6).permute(0, 3, 1, 2)
    want = F.interpolate(t, size=grid, mode=mode, align_corners=False).permute(0, 2, 3, 1).reshape(-1, 6)
    got = interpolate_pos_embed(pos, grid, mode=mode)
    np.testing.assert_array_equal(got[0], pos[0])  # [CLS]'s row is kept
    np.testing.assert_allclose(got[1:], want.numpy(), rtol=0, atol=1e-13)


def test_interpolation_equals_hugging_face(hf_model) -> None:
    """``ViTEmbeddings.interpolate_pos_encoding`` (bicubic, align_corners=False) for a 48x40 image."""
    emb = hf_model.embeddings
    tokens = torch.zeros(1, 1 + 6 * 5, 32, dtype=torch.float64)
    want = emb.interpolate_pos_encoding(tokens, 48, 40).detach()[0].numpy()
    pos = vit_params_from_torch(hf_model)["position_embeddings"]
    np.testing.assert_allclose(interpolate_pos_embed(pos, (6, 5)), want, rtol=0, atol=1e-13)
    assert np.abs(interpolate_pos_embed(pos, (6, 5), mode="bilinear") - want).max() > 1e-3  # the mode matters


# ---------------------------------------------------------------- the whole model


@pytest.mark.parametrize(("shape", "interpolate"), SHAPES)
def test_forward_equals_vit_model(hf_model, shape: tuple, interpolate: bool) -> None:
    x = _images(shape, seed=sum(shape))
    with torch.no_grad():
        out = hf_model(x, interpolate_pos_encoding=interpolate)
    h, pooled = vit_forward(x.numpy(), vit_params_from_torch(hf_model), interpolate_pos_encoding=interpolate)
    assert np.abs(h - out.last_hidden_state.numpy()).max() <= 1e-12  # the page: about 1e-14, bar 1e-6
    assert np.abs(pooled - out.pooler_output.numpy()).max() <= 1e-12


def test_forward_without_pooler() -> None:
    model = _hf(pooler=False)
    x = _images((2, 3, 32, 32))
    with torch.no_grad():
        out = model(x)
    h, pooled = vit_forward(x.numpy(), vit_params_from_torch(model))
    assert pooled is None and out.pooler_output is None
    assert np.abs(h - out.last_hidden_state.numpy()).max() <= 1e-6


def test_eager_attention_is_float32_limited() -> None:
    """The page's claim: eager attention's float32 softmax leaves ~1e-7 differences in a float64 model."""
    model = _hf(attn="eager")
    x = _images((2, 3, 32, 32))
    with torch.no_grad():
        out = model(x).last_hidden_state.numpy()
    diff = np.abs(vit_forward(x.numpy(), vit_params_from_torch(model))[0] - out).max()
    assert 1e-10 < diff < 1e-5


def test_convention_flips_break_agreement(hf_model) -> None:
    """Post-LN instead of pre-LN, [CLS] last, or a position table without [CLS]'s row: each differs from ViTModel."""
    x = _images((2, 3, 32, 32))
    with torch.no_grad():
        want = hf_model(x).last_hidden_state.numpy()
    p = vit_params_from_torch(hf_model)
    assert np.abs(vit_forward(x.numpy(), p)[0] - want).max() <= 1e-6
    assert np.abs(vit_forward(x.numpy(), p, norm_first=False)[0] - want).max() > 0.1
    p_hwc = {**p, "patch_weight": p["patch_weight"].reshape(3, 8, 8, 32).transpose(1, 2, 0, 3).reshape(192, 32)}
    assert np.abs(vit_forward(x.numpy(), p_hwc)[0] - want).max() > 0.1  # conv weight read channels-last
    e = vit_embeddings(x.numpy(), p["patch_weight"], p["patch_bias"], p["cls_token"], p["position_embeddings"], 8)
    with torch.no_grad():
        hf_e = hf_model.embeddings(x).numpy()
    np.testing.assert_allclose(e, hf_e, rtol=1e-12, atol=1e-12)
    cls_last = np.concatenate([e[:, 1:], e[:, :1]], axis=1)
    assert np.abs(cls_last - hf_e).max() > 0.1


def test_init_params_runs_and_copies_shapes(hf_model) -> None:
    mine, theirs = init_vit_params(), vit_params_from_torch(hf_model)
    for k in ("patch_weight", "patch_bias", "cls_token", "position_embeddings", "ln_weight"):
        assert mine[k].shape == theirs[k].shape, k
    assert {k: v.shape for k, v in mine["layers"][0].items()} == {k: v.shape for k, v in theirs["layers"][0].items()}
    h, pooled = vit_forward(np.zeros((1, 3, 32, 32)), mine)
    assert h.shape == (1, 17, 32) and np.all(np.abs(pooled) < 1)


# ---------------------------------------------------------------- sizes


def _meta_count(pooler: bool = True, **config) -> int:
    transformers = pytest.importorskip("transformers")
    with torch.device("meta"):
        model = transformers.ViTModel(transformers.ViTConfig(**config), add_pooling_layer=pooler)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("ours", "config"),
    [
        ({}, {}),  # ViT-B/16 at 224
        ({"image_size": 384}, {"image_size": 384}),
        ({"patch_size": 32}, {"patch_size": 32}),
        (
            {"d_model": 1024, "num_layers": 24, "d_ff": 4096},
            {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096},
        ),
    ],
)
def test_param_count_equals_meta_vit_model(ours: dict, config: dict) -> None:
    assert vit_param_count(**ours) == _meta_count(**config)
    assert vit_param_count(**ours, pooler=False) == _meta_count(pooler=False, **config)


def test_vit_b16_published_counts() -> None:
    """86,389,248 with the pooler, 85,798,656 without (the page's figures)."""
    assert vit_param_count() == 86_389_248
    assert vit_param_count(pooler=False) == 85_798_656
    assert vit_param_count(image_size=32, patch_size=8, d_model=32, num_layers=2, d_ff=64) == sum(
        p.numel() for p in _hf().parameters()
    )


def test_page_size_table() -> None:
    """Every row of the page's ViT-B/16 table, from the package's count."""
    d, f = 768, 3072
    layer = vit_param_count(num_layers=2, pooler=False) - vit_param_count(num_layers=1, pooler=False)
    assert layer == 7_087_872 and 12 * layer == 85_054_464
    assert vit_param_count(num_layers=1, pooler=False) - layer - 2 * d == 590_592 + 768 + 151_296
    assert vit_param_count() - vit_param_count(pooler=False) == 590_592 == d * d + d
    assert vit_param_count(image_size=384) == 86_681_088
    assert 4 * (d * d + d) + 2 * d * f + f + d + 4 * d == layer


def test_classifier_count_for_the_bank() -> None:
    transformers = pytest.importorskip("transformers")
    with torch.device("meta"):
        model = transformers.ViTForImageClassification(transformers.ViTConfig(num_labels=1000))
    assert sum(p.numel() for p in model.parameters()) == vit_param_count(pooler=False) + 768 * 1000 + 1000


# ---------------------------------------------------------------- errors


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="multiples of patch_size"):
        patchify(np.zeros((3, 10, 8)), 4)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        patchify(np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match="order"):
        patchify(np.zeros((1, 4, 4)), 2, order="cwh")
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        patchify(torch.zeros(1, 4, 4), 2)
    with pytest.raises(TypeError, match="NumPy"):
        patchify_torch(np.zeros((1, 4, 4)), 2)
    with pytest.raises(ValueError, match="weight"):
        patch_embed(np.zeros((1, 4, 4)), np.zeros((3, 2)), np.zeros(2), 2)
    with pytest.raises(ValueError, match="position_embeddings"):
        vit_embeddings(np.zeros((1, 1, 4, 4)), np.zeros((4, 2)), np.zeros(2), np.zeros(2), np.zeros((4, 2)), 2)
    with pytest.raises(ValueError, match="square grid"):
        interpolate_pos_embed(np.zeros((6, 2)), (2, 2))
    with pytest.raises(ValueError, match="mode"):
        interpolate_pos_embed(np.zeros((5, 2)), (2, 2), mode="nearest")
    with pytest.raises(ValueError, match="patch_size"):
        vit_param_count(patch_size=0)
    with pytest.raises(TypeError, match="ViTModel"):
        vit_params_from_torch(torch.nn.Linear(2, 2))


# ---------------------------------------------------------------- exercises and the bank


@pytest.mark.parametrize(("ex", "func"), [("vit.patchify", patchify), ("vit.embeddings", vit_embeddings)])
def test_reference_passes_every_check(ex: str, func) -> None:
    failed = [r for r in run_checks(CHECKS[ex], func) if not r.passed]
    assert not failed, [(r.name, r.message) for r in failed]


def test_bank_numeric_keys() -> None:
    seq = lambda image, patch: (image // patch) ** 2 + 1  # noqa: E731
    src = (0 + 0.5) * 14 / 24 - 0.5  # F.interpolate's source coordinate, align_corners=False
    computed = {
        "vit.seq-len-224": seq(224, 16),
        "vit.patch-dim": patchify(np.zeros((3, 16, 16)), 16).shape[-1],
        "vit.b16-params": vit_param_count() / 1e6,
        "vit.positions-384": interpolate_pos_embed(np.zeros((197, 1)), (24, 24)).shape[0],
        "vit.patch-embed-params": patchify(np.zeros((3, 16, 16)), 16).shape[-1] * 768 + 768,  # (C P^2) x d + d
        "vit.interp-source": src,
        "vit.attention-cost-384": (seq(384, 16) / seq(224, 16)) ** 2,
    }
    assert computed["vit.patch-embed-params"] == sum(p.numel() for p in torch.nn.Conv2d(3, 768, 16, 16).parameters())
    check_numeric_keys("vit", computed, bank_tolerance)
