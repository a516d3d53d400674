"""LayerNorm and RMSNorm against ``nn.LayerNorm`` / ``nn.RMSNorm`` (values and gradients, float64),
the manual LayerNorm backward against autograd, Pre-LN / Post-LN against
``nn.TransformerEncoderLayer``, and the gradient-scale claims of the page."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from torch import nn

from concepts.normalization import (
    build_stack,
    deepnorm_constants,
    layer_grad_norms,
    layer_norm,
    layer_norm_backward,
    layer_norm_torch,
    qk_norm_scores,
    residual_block_torch,
    rms_norm,
    rms_norm_torch,
    stack_forward,
)

# (input shape, normalized_shape): batch of one, length one, a size-1 norm, multi-dim norms
CASES = [
    ((1, 5), (5,)),
    ((2, 3, 8), (8,)),
    ((1, 1, 16), 16),
    ((3, 1), (1,)),
    ((4, 3, 6), (3, 6)),
    ((2, 2, 3, 4), (2, 3, 4)),
    ((7,), (7,)),
]


def _inputs(shape, normalized_shape, seed, offset=0.0, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    x = offset + scale * torch.randn(shape, generator=gen, dtype=torch.float64)
    w = 1.0 + 0.5 * torch.randn(ns, generator=gen, dtype=torch.float64)
    b = torch.randn(ns, generator=gen, dtype=torch.float64)
    return x, w, b, torch.randn(shape, generator=gen, dtype=torch.float64)


def check_layer_norm_values(ln_fn, shape, normalized_shape, *, offset=0.0, scale=1.0, eps=1e-5) -> None:
    """NumPy ``ln_fn(x, normalized_shape, weight, bias, eps=)`` equals ``nn.LayerNorm``'s output."""
    x, w, b, _ = _inputs(shape, normalized_shape, 0, offset, scale)
    ref = nn.LayerNorm(normalized_shape, eps=eps, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(w), ref.bias.copy_(b)
        want = ref(x).numpy()
    got = ln_fn(x.numpy(), normalized_shape, w.numpy(), b.numpy(), eps=eps)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def check_rms_norm_values(rms_fn, shape, normalized_shape, *, eps=None) -> None:
    """NumPy ``rms_fn(x, normalized_shape, weight, eps=)`` equals ``nn.RMSNorm``'s output."""
    x, w, _, _ = _inputs(shape, normalized_shape, 1)
    ref = nn.RMSNorm(normalized_shape, eps=eps, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(w)
        want = ref(x).numpy()
    np.testing.assert_allclose(rms_fn(x.numpy(), normalized_shape, w.numpy(), eps=eps), want, rtol=1e-10, atol=1e-12)


def check_grads_against_module(fn, module, shape, normalized_shape, *, with_bias: bool) -> None:
    """Autograd through ``fn`` gives the module's output and its gradients for x, weight (and bias)."""
    x, w, b, dy = _inputs(shape, normalized_shape, 2)
    with torch.no_grad():
        module.weight.copy_(w)
        if with_bias:
            module.bias.copy_(b)
    x_ref, x_ours = x.clone().requires_grad_(), x.clone().requires_grad_()
    w_ours, b_ours = w.clone().requires_grad_(), b.clone().requires_grad_()
    y_ref = module(x_ref)
    y_ours = (
        fn(x_ours, normalized_shape, w_ours, b_ours, eps=module.eps)
        if with_bias
        else fn(x_ours, normalized_shape, w_ours, eps=module.eps)
    )
    torch.testing.assert_close(y_ours, y_ref, rtol=1e-10, atol=1e-10)
    (y_ref * dy).sum().backward()
    (y_ours * dy).sum().backward()
    torch.testing.assert_close(x_ours.grad, x_ref.grad, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(w_ours.grad, module.weight.grad, rtol=1e-8, atol=1e-10)
    if with_bias:
        torch.testing.assert_close(b_ours.grad, module.bias.grad, rtol=1e-8, atol=1e-10)


def check_layer_norm_backward(backward_fn, shape, normalized_shape, *, eps=1e-5) -> None:
    """Manual ``backward_fn(dy, x, normalized_shape, weight, eps=)`` equals autograd through F.layer_norm."""
    x, w, b, dy = _inputs(shape, normalized_shape, 3)
    x, w, b = (t.clone().requires_grad_() for t in (x, w, b))
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    (torch.nn.functional.layer_norm(x, ns, w, b, eps) * dy).sum().backward()
    dx, dw, db = backward_fn(dy.numpy(), x.detach().numpy(), normalized_shape, w.detach().numpy(), eps=eps)
    for got, want in ((dx, x.grad), (dw, w.grad), (db, b.grad)):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-8, atol=1e-10)


def check_block_against_encoder_layer(block_fn, norm_first: bool) -> None:
    """Two ``block_fn`` calls (attention, then MLP) reproduce ``nn.TransformerEncoderLayer(norm_first=...)``."""
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first)
    layer = layer.double().eval()
    x = torch.randn(2, 5, 8, dtype=torch.float64, requires_grad=True)  # grad disables the fused fast path
    attn = lambda h: layer.self_attn(h, h, h, need_weights=False)[0]  # noqa: E731
    mlp = lambda h: layer.linear2(layer.activation(layer.linear1(h)))  # noqa: E731
    h = block_fn(x, attn, layer.norm1, norm_first=norm_first)
    torch.testing.assert_close(block_fn(h, mlp, layer.norm2, norm_first=norm_first), layer(x))


@pytest.mark.parametrize(("shape", "normalized_shape"), CASES)
def test_layer_norm_matches_torch(shape, normalized_shape) -> None:
    check_layer_norm_values(layer_norm, shape, normalized_shape)
    check_layer_norm_values(layer_norm, shape, normalized_shape, offset=1e6, scale=3.0)  # large values
    module = nn.LayerNorm(normalized_shape, dtype=torch.float64)
    check_grads_against_module(layer_norm_torch, module, shape, normalized_shape, with_bias=True)
    check_layer_norm_backward(layer_norm_backward, shape, normalized_shape)


@pytest.mark.parametrize(("shape", "normalized_shape"), CASES)
@pytest.mark.parametrize("eps", [None, 1e-6])
def test_rms_norm_matches_torch(shape, normalized_shape, eps) -> None:
    check_rms_norm_values(rms_norm, shape, normalized_shape, eps=eps)
    module = nn.RMSNorm(normalized_shape, eps=eps, dtype=torch.float64)
    check_grads_against_module(rms_norm_torch, module, shape, normalized_shape, with_bias=False)


def test_rms_norm_default_eps_is_float32_epsilon_for_low_precision() -> None:
    """``eps=None`` means float32's epsilon for float16, bfloat16 and float32 inputs (torch 2.x),
    float64's for float64; a zero row gives 0, not NaN.

    The audit's case: a float16 row of 1e-3 has mean square 1e-6. With float16's own epsilon
    (9.8e-4) the output would be 1e-3 / sqrt(1e-6 + 9.8e-4) = 0.032; nn.RMSNorm adds
    float32's 1.19e-7 instead and gives 1e-3 / sqrt(1.119e-6) = 0.945.
    """
    for dtype in (torch.float16, torch.bfloat16):
        x = torch.full((1, 4), 1e-3, dtype=dtype)
        want = nn.RMSNorm(4, dtype=dtype)(x).detach()
        assert abs(float(want[0, 0]) - 0.945) < 1e-2
        torch.testing.assert_close(rms_norm_torch(x, 4), want, rtol=0, atol=0)
        own = x.float() / torch.sqrt(x.float().pow(2).mean() + torch.finfo(dtype).eps)
        assert float(own[0, 0]) < 0.1  # the wrong reading of the default
    for dtype, np_dtype in ((torch.float32, np.float32), (torch.float64, np.float64)):
        x = torch.tensor([[0.0, 0.0], [1e-4, -2e-4]], dtype=dtype)
        want = nn.RMSNorm(2, dtype=dtype)(x).detach()
        torch.testing.assert_close(rms_norm_torch(x, 2), want)
        np.testing.assert_allclose(rms_norm(x.numpy(), 2), want.numpy(), rtol=1e-6)
        assert rms_norm(x.numpy(), 2).dtype == np_dtype
        assert rms_norm(x.numpy(), 2)[0].tolist() == [0.0, 0.0]
        explicit = x[1] / torch.sqrt(x[1].pow(2).mean() + torch.finfo(dtype).eps)
        torch.testing.assert_close(want[1], explicit)
    x16 = np.full((1, 4), 1e-3, dtype=np.float16)  # NumPy: float16 is computed (and returned) in float32
    assert rms_norm(x16, 4).dtype == np.float32
    np.testing.assert_allclose(
        rms_norm(x16, 4), nn.RMSNorm(4, dtype=torch.float16)(torch.from_numpy(x16)).detach(), rtol=1e-3
    )


# (dtype, value tolerance, gradient tolerance): the mirrors compute half types in float32 as PyTorch does
LOW_PRECISION = [
    (torch.float32, dict(rtol=1e-5, atol=1e-5), dict(rtol=1e-4, atol=1e-4)),
    (torch.float16, dict(rtol=1e-3, atol=1e-3), dict(rtol=1e-2, atol=1e-2)),
    (torch.bfloat16, dict(rtol=1e-2, atol=1e-2), dict(rtol=5e-2, atol=5e-2)),
]


@pytest.mark.parametrize(("dtype", "tol", "grad_tol"), LOW_PRECISION)
@pytest.mark.parametrize(("shape", "normalized_shape"), [((2, 3, 8), (8,)), ((4, 3, 6), (3, 6))])
@pytest.mark.parametrize("kind", ["layer", "rms"])
def test_torch_mirrors_match_modules_in_low_precision(kind, shape, normalized_shape, dtype, tol, grad_tol) -> None:
    """``layer_norm_torch`` / ``rms_norm_torch`` equal ``nn.LayerNorm`` / ``nn.RMSNorm`` (default eps)
    in float32, float16 and bfloat16: values in the input's dtype and gradients by autograd."""
    x, w, b, dy = (t.to(dtype) for t in _inputs(shape, normalized_shape, 4, scale=1e-2))
    module = (nn.LayerNorm if kind == "layer" else nn.RMSNorm)(normalized_shape, dtype=dtype)
    with torch.no_grad():
        module.weight.copy_(w)
        if kind == "layer":
            module.bias.copy_(b)
    x_ref, x_ours, w_ours, b_ours = (t.clone().requires_grad_() for t in (x, x, w, b))
    y_ref = module(x_ref)
    if kind == "layer":
        y_ours = layer_norm_torch(x_ours, normalized_shape, w_ours, b_ours)
    else:
        y_ours = rms_norm_torch(x_ours, normalized_shape, w_ours)
    assert y_ours.dtype == y_ref.dtype == dtype
    torch.testing.assert_close(y_ours, y_ref, **tol)
    (y_ref.float() * dy.float()).sum().backward()
    (y_ours.float() * dy.float()).sum().backward()
    torch.testing.assert_close(x_ours.grad.float(), x_ref.grad.float(), **grad_tol)
    torch.testing.assert_close(w_ours.grad.float(), module.weight.grad.float(), **grad_tol)


def test_numpy_functions_take_lists_and_torch_functions_refuse_numpy() -> None:
    """``layer_norm([[1.0, 2.0]], 2)`` used to raise 'Field elements must be 2- or 3-tuples'."""
    np.testing.assert_allclose(layer_norm([[1.0, 2.0]], 2), [[-0.99998, 0.99998]], rtol=1e-5)
    np.testing.assert_allclose(layer_norm([[1, 2]], [2], [2.0, 2.0], [0.0, 1.0]), [[-1.99996, 2.99996]], rtol=1e-5)
    np.testing.assert_allclose(rms_norm([[3, 4]], 2, eps=0.0), [[0.848528, 1.131371]], rtol=1e-5)
    *_, db = layer_norm_backward([[1.0, 1.0]], [[1.0, 2.0]], 2)
    assert db.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor; got a NumPy array"):
        layer_norm_torch(np.ones((2, 3)), 3)
    with pytest.raises(TypeError, match=r"weight must be a torch.Tensor; got list"):
        rms_norm_torch(torch.ones(2, 3), 3, [1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match=r"x must be a NumPy array or array-like; got a torch.Tensor"):
        layer_norm(torch.ones(2, 3), 3)
    with pytest.raises(TypeError, match=r"normalized_shape must be an int or a tuple of ints; got 2.5"):
        layer_norm([[1.0, 2.0]], 2.5)
    with pytest.raises(TypeError, match=r"x must hold real numbers; got dtype <U1"):
        rms_norm(["a", "b"], 2)


def test_layer_norm_hand_worked() -> None:
    """x = (2, 4, 6, 8), eps = 0.

    LayerNorm: mean 5, deviations (-3, -1, 1, 3), biased variance (9 + 1 + 1 + 9) / 4 = 5, so
    y = (-3, -1, 1, 3) / sqrt(5) = (-1.3416, -0.4472, 0.4472, 1.3416); with weight 2 and bias 1
    that is (-1.6833, 0.1056, 1.8944, 3.6833). The unbiased variance 20 / 3 would instead give
    (-3, -1, 1, 3) / 2.5820 = (-1.1619, ...), the silent bug this module refuses.
    RMSNorm: mean square (4 + 16 + 36 + 64) / 4 = 30, so y = x / sqrt(30) =
    (0.3651, 0.7303, 1.0954, 1.4606).
    """
    x = np.array([[2.0, 4.0, 6.0, 8.0]])
    s5 = 5**0.5
    np.testing.assert_allclose(layer_norm(x, 4, eps=0.0), [[-3 / s5, -1 / s5, 1 / s5, 3 / s5]])
    affine = layer_norm(x, 4, np.full(4, 2.0), np.ones(4), eps=0.0)
    np.testing.assert_allclose(affine, [[-1.6833, 0.1056, 1.8944, 3.6833]], atol=1e-4)
    assert abs(layer_norm(x, 4, eps=0.0)[0, 0] - (-1.1619)) > 0.1
    np.testing.assert_allclose(rms_norm(x, 4, eps=0.0), [[0.3651, 0.7303, 1.0954, 1.4606]], atol=1e-4)


def test_constant_row_and_eps() -> None:
    """Variance 0: eps > 0 gives x_hat = 0 (output = bias); eps = 0 gives NaN, as in PyTorch."""
    x = np.full((2, 4), 3.0)
    b = np.array([0.5, -1.0, 2.0, 0.0])
    np.testing.assert_array_equal(layer_norm(x, 4, None, b), np.broadcast_to(b, (2, 4)))
    with np.errstate(invalid="ignore"):
        assert np.isnan(layer_norm(x, 4, eps=0.0)).all()
    assert torch.isnan(torch.nn.functional.layer_norm(torch.tensor(x), (4,), eps=0.0)).all()
    np.testing.assert_allclose(rms_norm(x, 4, eps=1e-6), np.ones((2, 4)), rtol=1e-6)  # RMSNorm keeps a constant


def test_layer_norm_identities() -> None:
    """Shift invariance, scale invariance (with eps scaled), output statistics, RMSNorm = LN on centred rows."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 7, 12))
    eps = 1e-5
    y = layer_norm(x, 12, eps=eps)
    np.testing.assert_allclose(layer_norm(x + 42.0, 12, eps=eps), y, atol=1e-10)
    np.testing.assert_allclose(layer_norm(10.0 * x, 12, eps=100 * eps), y, atol=1e-12)
    var = x.var(-1, keepdims=True)  # ddof=0: biased
    np.testing.assert_allclose(y.mean(-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(-1, keepdims=True), var / (var + eps), rtol=1e-10)
    centred = x - x.mean(-1, keepdims=True)
    np.testing.assert_allclose(rms_norm(centred, 12, eps=eps), y, atol=1e-12)
    assert not np.allclose(rms_norm(x, 12, eps=eps), y, atol=1e-3)


def test_layer_norm_backward_sums_to_zero() -> None:
    """Adding a constant to a row changes nothing, so dL/dx sums to zero over each row."""
    rng = np.random.default_rng(1)
    x, dy = rng.standard_normal((2, 3, 4, 5))
    dx, _, _ = layer_norm_backward(dy, x, (4, 5), rng.standard_normal((4, 5)))
    np.testing.assert_allclose(dx.sum(axis=(-2, -1)), 0.0, atol=1e-12)


@pytest.mark.parametrize("norm_first", [True, False])
def test_residual_block_matches_encoder_layer(norm_first) -> None:
    check_block_against_encoder_layer(residual_block_torch, norm_first)


def test_qk_norm_bounds_logits() -> None:
    """After QK-norm |score| <= sqrt(d_k) at any input scale, and scaling q or k changes nothing."""
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal((2, 3, 6, 16))
    big = qk_norm_scores(1e6 * q, k, eps=0.0)
    assert np.abs(big).max() <= 16**0.5 + 1e-9
    np.testing.assert_allclose(big, qk_norm_scores(q, 0.1 * k, eps=0.0), atol=1e-10)
    assert np.abs(1e6 * q @ np.swapaxes(k, -1, -2) / 4.0).max() > 1e5  # without it logits explode
    aligned = qk_norm_scores(q[:, :1], q[:, :1], eps=0.0)
    np.testing.assert_allclose(aligned, 4.0, rtol=1e-12)  # q = k: |q_hat|^2 / sqrt(d) = d / sqrt(d)


@pytest.fixture
def one_thread():
    """Small float64 matmuls run faster on one thread than on a shared, busy pool."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _grads(depth: int, seed: int, norm_first: bool) -> np.ndarray:
    gen = torch.Generator().manual_seed(seed)
    x, t = torch.randn(2, 2, 64, 32, generator=gen, dtype=torch.float64)
    return layer_grad_norms(
        build_stack(depth, 32, generator=torch.Generator().manual_seed(seed)), x, t, norm_first=norm_first
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gradient_scale_pre_vs_post_ln(seed, one_thread) -> None:
    """The page's claims at initialisation (Xiong et al. 2020), per seed:

    - Post-LN's last-layer gradient does not shrink with depth (within x1.5 from 2 to 32 layers);
    - Pre-LN's last-layer gradient shrinks with depth (below half from 2 to 32 layers);
    - at 32 layers Post-LN's last-layer gradient is over twice Pre-LN's, and its last/first
      ratio is over 1.5x Pre-LN's, whose early layers get the larger gradients.
    """
    post = {d: _grads(d, seed, False) for d in (2, 32)}
    pre = {d: _grads(d, seed, True) for d in (2, 32)}
    assert 1 / 1.5 < post[32][-1] / post[2][-1] < 1.5
    assert pre[32][-1] / pre[2][-1] < 0.5
    assert post[32][-1] > 2 * pre[32][-1]
    assert post[32][-1] / post[32][0] > 1.5 * pre[32][-1] / pre[32][0]
    assert pre[32][0] > pre[32][-1]
    spread = {name: g.max() / g.min() for name, g in (("post", post[32]), ("pre", pre[32]))}
    assert spread["post"] < 2.5 and spread["post"] < spread["pre"]


def test_residual_stream_norm(one_thread) -> None:
    """Post-LN keeps every token at RMS 1 after each block; Pre-LN's stream grows with depth."""
    stack = build_stack(16, 32, generator=torch.Generator().manual_seed(0))
    x = torch.randn(64, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    rms = {True: [], False: []}
    with torch.no_grad():
        for norm_first in (True, False):
            h = x
            for block in stack["blocks"]:
                h = residual_block_torch(h, block["mlp"], block["norm"], norm_first=norm_first)
                rms[norm_first].append(float(h.pow(2).mean()) ** 0.5)
            out = stack_forward(stack, x, norm_first=norm_first)
            torch.testing.assert_close(out.pow(2).mean(-1), torch.ones(64, dtype=torch.float64), rtol=1e-4, atol=0)
    np.testing.assert_allclose(rms[False], 1.0, rtol=1e-5)
    var = np.square(rms[True])
    assert np.all(np.diff(var) > 0)
    # roughly 1 + L v, with v the variance one block adds (read off the first block)
    assert 0.7 < (var[-1] - 1) / (16 * (var[0] - 1)) < 1.5


def test_defaults_and_parameter_counts() -> None:
    """The page's library facts: defaults, machine epsilons, 2N vs N parameters, Post-LN default."""
    assert inspect.signature(layer_norm).parameters["eps"].default == nn.LayerNorm(4).eps == 1e-5
    assert inspect.signature(rms_norm).parameters["eps"].default is None is nn.RMSNorm(4).eps
    assert (f"{np.finfo(np.float32).eps:.1e}", f"{np.finfo(np.float64).eps:.1e}") == ("1.2e-07", "2.2e-16")
    assert sum(p.numel() for p in nn.LayerNorm(768).parameters()) == 2 * 768 == 1536
    assert sum(p.numel() for p in nn.RMSNorm(4096).parameters()) == 4096
    assert nn.TransformerEncoderLayer(8, 2).norm_first is False


def test_rms_norm_scale_not_shift_invariant_and_gradient_scale() -> None:
    """RMSNorm ignores a scale, not a shift; LayerNorm's input gradient shrinks as 1/scale."""
    rng = np.random.default_rng(3)
    x, dy = rng.standard_normal((2, 4, 9))
    np.testing.assert_allclose(rms_norm(7.0 * x, 9, eps=49e-6), rms_norm(x, 9, eps=1e-6), atol=1e-12)
    assert not np.allclose(rms_norm(x + 3.0, 9), rms_norm(x, 9), atol=1e-2)
    dx, _, _ = layer_norm_backward(dy, x, 9, eps=1e-6)
    dx10, _, _ = layer_norm_backward(dy, 10.0 * x, 9, eps=1e-4)
    np.testing.assert_allclose(dx10, dx / 10.0, atol=1e-12)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: layer_norm(np.ones((2, 3)), 4), r"x must have shape \(\.\.\., 4\) .*got \(2, 3\)"),
        (lambda: layer_norm(np.ones((2, 3)), (2, 4)), r"x must have shape \(\.\.\., 2, 4\)"),
        (lambda: layer_norm(np.ones(3), (2, 3)), r"got \(3,\)"),
        (lambda: layer_norm(np.ones((2, 3)), 3, np.ones(4)), r"weight must have shape normalized_shape \(3,\)"),
        (lambda: layer_norm(np.ones((2, 3)), 3, None, np.ones(2)), r"bias must have shape"),
        (lambda: layer_norm(np.ones((2, 3)), 3, eps=-1.0), r"eps must be non-negative; got -1.0"),
        (lambda: layer_norm(np.ones((2, 3)), (), eps=1.0), r"normalized_shape must be non-empty"),
        (lambda: rms_norm(np.ones((2, 3)), 2), r"x must have shape \(\.\.\., 2\)"),
        (lambda: rms_norm(np.ones((2, 3)), 3, np.ones((3, 1))), r"weight must have shape"),
        (lambda: layer_norm_backward(np.ones((2, 2)), np.ones((2, 3)), 3), r"grad_out must have the shape of x"),
        (lambda: layer_norm_torch(torch.ones(2, 3), 4), r"x must have shape \(\.\.\., 4\)"),
        (lambda: rms_norm_torch(torch.ones(2, 3), (2, 3), torch.ones(3)), r"weight must have shape"),
        (lambda: rms_norm_torch(torch.ones(2, 3), 3, eps=-1e-6), r"eps must be"),
        (lambda: qk_norm_scores(np.ones((2, 4)), np.ones((2, 3))), r"q, k must have shapes"),
        (lambda: qk_norm_scores(np.ones(4), np.ones((2, 4))), r"got \(4,\), \(2, 4\)"),
        (lambda: build_stack(0, 8), r"num_layers must be a positive integer; got 0"),
        (lambda: build_stack(2, 8, d_ff=0), r"d_ff must be a positive integer; got 0"),
        (
            lambda: layer_grad_norms(build_stack(1, 4), torch.ones(3, 4, dtype=torch.float64), torch.ones(3, 5)),
            r"target must have the shape of x",
        ),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_deepnorm_constants_and_block() -> None:
    """DeepNorm (Wang et al. 2022), decoder-only: alpha = (2N)^(1/4), beta = (8N)^(-1/4).

    N = 64: alpha = 128^(1/4) = 2^(7/4) = 3.3636, beta = 512^(-1/4) = 2^(-9/4) = 0.2102. The block is
    LayerNorm(alpha x + f(x)); alpha = 1 is plain Post-LN.
    """
    alpha, beta = deepnorm_constants(64)
    assert (round(alpha, 4), round(beta, 4)) == (3.3636, 0.2102)
    assert alpha == pytest.approx(2**1.75) and beta == pytest.approx(2**-2.25)
    assert deepnorm_constants(1) == pytest.approx((2**0.25, 8**-0.25))
    torch.manual_seed(0)
    x = torch.randn(3, 8, dtype=torch.float64)
    f, norm = nn.Linear(8, 8).double(), nn.LayerNorm(8).double()
    torch.testing.assert_close(residual_block_torch(x, f, norm, norm_first=False, alpha=alpha), norm(alpha * x + f(x)))
    torch.testing.assert_close(residual_block_torch(x, f, norm, norm_first=False), norm(x + f(x)))
    with pytest.raises(ValueError, match=r"alpha must be positive, and 1 for Pre-LN"):
        residual_block_torch(x, f, norm, alpha=2.0)
    with pytest.raises(ValueError, match=r"num_layers must be a positive integer; got 0"):
        deepnorm_constants(0)


def test_deepnorm_keeps_the_stream_closer_to_the_input() -> None:
    """The page's reading: with alpha > 1 each Post-LN block changes the normalised stream less,
    so the output of a deep stack stays closer (in cosine) to what a single block gives."""
    stack = build_stack(32, 16, generator=torch.Generator().manual_seed(0))
    x = torch.randn(64, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    alpha, _ = deepnorm_constants(32)
    cos = {}
    with torch.no_grad():
        for a in (1.0, alpha):
            h = x
            for block in stack["blocks"]:
                h = residual_block_torch(h, block["mlp"], block["norm"], norm_first=False, alpha=a)
            cos[a] = float(torch.nn.functional.cosine_similarity(h, x, dim=-1).mean())
    assert cos[alpha] > cos[1.0] + 0.1
    assert (round(cos[1.0], 2), round(cos[alpha], 2)) == (0.07, 0.55)  # the page's numbers


@pytest.mark.parametrize(
    ("exercise", "impl"),
    [("normalization.rms-norm", rms_norm), ("normalization.layer-norm-backward", layer_norm_backward)],
)
def test_exercise_checks_pass_on_our_implementation(exercise, impl) -> None:
    """The checks that grade a learner's solution are run on ours (issue 9)."""
    from concepts.exercises._harness import run_checks
    from concepts.exercises.normalization import CHECKS

    failed = [(r.name, r.message) for r in run_checks(CHECKS[exercise], impl) if not r.passed]
    assert not failed, failed


def test_float16_squares_overflow_but_the_norms_do_not() -> None:
    """The pitfall 'squaring large activations in float16 overflows': 300^2 = 90000 > 65504, float16's
    largest value. nn.RMSNorm (and rms_norm_torch) square in float32 and return a finite 1."""
    x = torch.full((1, 4), 300.0, dtype=torch.float16)
    assert torch.finfo(torch.float16).max == 65504.0
    assert torch.isinf(x.pow(2).mean())
    for y in (nn.RMSNorm(4, dtype=torch.float16)(x), rms_norm_torch(x, 4)):
        torch.testing.assert_close(y.detach(), torch.ones(1, 4, dtype=torch.float16))


@pytest.mark.parametrize(
    ("dtype", "tol"),
    [(torch.float32, dict(rtol=1e-5, atol=1e-5)), (torch.bfloat16, dict(rtol=5e-2, atol=5e-2))],
    ids=str,
)
@pytest.mark.parametrize("norm_first", [True, False])
def test_residual_block_matches_encoder_layer_in_low_precision(norm_first, dtype, tol) -> None:
    """Two ``residual_block_torch`` calls equal nn.TransformerEncoderLayer in float32 and bfloat16."""
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first)
    layer = layer.to(dtype).eval()
    x = torch.randn(2, 5, 8).to(dtype).requires_grad_()  # grad disables the fused fast path
    attn = lambda h: layer.self_attn(h, h, h, need_weights=False)[0]  # noqa: E731
    mlp = lambda h: layer.linear2(layer.activation(layer.linear1(h)))  # noqa: E731
    h = residual_block_torch(x, attn, layer.norm1, norm_first=norm_first)
    out = residual_block_torch(h, mlp, layer.norm2, norm_first=norm_first)
    assert out.dtype == dtype
    torch.testing.assert_close(out, layer(x), **tol)
