"""Batch normalization: normalise each channel by statistics of the batch, then by running averages.

Follows Ioffe and Szegedy (2015), "Batch Normalization: Accelerating Deep Network Training
by Reducing Internal Covariate Shift", with the conventions of ``torch.nn.BatchNorm1d``:
inputs ``(N, C)`` or ``(N, C, L)``, the biased batch variance for normalising, the unbiased
one for the running variance, and ``running = (1 - momentum) * running + momentum * batch``.
Leaves out the 2-D and 3-D inputs of ``BatchNorm2d``/``BatchNorm3d`` (the same arithmetic
over more axes), synchronised statistics across devices, ``track_running_stats=False`` and
``affine=False`` (pass ones and zeros for ``gamma`` and ``beta``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import as_array, require_tensor, require_torch

if TYPE_CHECKING:
    import torch

__all__ = [
    "BatchNorm1d",
    "batch_norm",
    "batch_norm_torch",
    "batch_norm_train",
    "fold_into_linear",
    "fold_into_linear_torch",
]


def _check_vectors(C: int, vectors: dict[str, Any]) -> None:
    for name, v in vectors.items():
        if tuple(v.shape) != (C,):
            raise ValueError(f"{name} must have shape (C,) = ({C},); got {tuple(v.shape)}")


def _check_eps(eps: float) -> None:
    if not eps > 0:
        raise ValueError(f"eps must be positive; got {eps!r}")


def _arrays(x: Any, vectors: dict[str, Any]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """NumPy inputs as float64 arrays; a torch tensor is refused with a pointer to the mirror."""
    return as_array(x, "x"), {k: as_array(v, k) for k, v in vectors.items()}


def _tensors(x: Any, vectors: dict[str, Any]) -> None:
    for name, v in {"x": x, **vectors}.items():
        require_tensor(v, name)


def _check(x: Any, vectors: dict[str, Any], *, training: bool, momentum: float, eps: float) -> int:
    """Validate a batch-norm call on arrays or tensors; return the number of channels C."""
    if x.ndim not in (2, 3):
        raise ValueError(f"x must have shape (N, C) or (N, C, L); got {tuple(x.shape)}")
    C = x.shape[1]
    _check_vectors(C, vectors)
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1]; got {momentum!r}")
    _check_eps(eps)
    if training and x.shape[0] * (x.shape[2] if x.ndim == 3 else 1) < 2:
        raise ValueError(f"training needs more than one value per channel (N * L > 1); got x of shape {tuple(x.shape)}")
    return C


def batch_norm(
    x: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    *,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    unbiased: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch norm of ``x`` with shape ``(N, C)`` or ``(N, C, L)``; statistics per channel.

    Training normalises with the mean and biased variance over the ``m = N * L`` values of
    each channel and moves the running statistics towards them; evaluation normalises with
    the running statistics. Nothing is modified in place.

    :param x: the batch, ``(N, C)`` or ``(N, C, L)``.
    :param running_mean: running mean, ``(C,)``.
    :param running_var: running variance, ``(C,)``.
    :param gamma: scale, ``(C,)``.
    :param beta: shift, ``(C,)``.
    :param training: batch statistics (True) or running statistics (False).
    :param momentum: weight of the new batch in the running averages, in ``[0, 1]``.
    :param eps: added to the variance before the square root, positive.
    :param unbiased: give the running variance the unbiased batch variance (PyTorch) rather
        than the biased one it normalised with.
    :returns: ``(y, running_mean, running_var)``: ``y`` shaped like ``x``, then the updated
        running statistics (copies of the inputs in evaluation mode).
    :raises ValueError: on a wrong rank or shape, a bad ``momentum`` or ``eps``, or a
        single value per channel in training.
    :raises TypeError: when handed a torch tensor (use :func:`batch_norm_torch`).

    >>> from concepts.batch_norm import batch_norm
    >>> x = np.array([[1.0], [2.0], [3.0]])  # N=3, C=1: mean 2, biased var 2/3, unbiased 1
    >>> y, rm, rv = batch_norm(x, np.zeros(1), np.ones(1), np.ones(1), np.zeros(1), training=True)
    >>> np.round(y, 4).tolist(), np.round(rm, 4).tolist(), np.round(rv, 4).tolist()
    ([[-1.2247], [0.0], [1.2247]], [0.2], [1.0])
    """
    vectors = {"running_mean": running_mean, "running_var": running_var, "gamma": gamma, "beta": beta}
    x, vectors = _arrays(x, vectors)
    running_mean, running_var, gamma, beta = vectors.values()
    C = _check(x, vectors, training=training, momentum=momentum, eps=eps)
    axes = (0,) if x.ndim == 2 else (0, 2)  # every axis but the channel axis
    shape = (1, C) if x.ndim == 2 else (1, C, 1)  # a (C,) vector broadcast against x
    if training:
        m = x.size // C  # values per channel: N * L
        mean = x.mean(axis=axes)  # mu_B = (1/m) sum_i x_i                        (C,)
        var = x.var(axis=axes)  # sigma_B^2 = (1/m) sum_i (x_i - mu_B)^2 (biased)  (C,)
        batch_var = var * m / (m - 1) if unbiased else var  # s^2 = m/(m-1) sigma_B^2
        running_mean = (1 - momentum) * running_mean + momentum * mean  # r <- (1-a) r + a mu_B
        running_var = (1 - momentum) * running_var + momentum * batch_var
    else:
        mean, var = running_mean, running_var
        running_mean, running_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)  # x^ = (x - mu) / sqrt(var + eps)
    y = gamma.reshape(shape) * x_hat + beta.reshape(shape)  # y = gamma x^ + beta
    return y, running_mean, running_var


def batch_norm_train(
    x: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    *,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One training step of batch norm on ``x`` of shape ``(N, C)``: :func:`batch_norm` with ``training=True``.

    The exercise ``batch_norm.train-step`` asks for exactly this: normalise with the batch
    mean and biased variance, and return the running statistics moved ``momentum`` of the
    way towards the batch mean and the *unbiased* batch variance.

    >>> from concepts.batch_norm import batch_norm_train
    >>> y, rm, rv = batch_norm_train([[1.0], [2.0], [3.0]], [0.0], [1.0], [1.0], [0.0])
    >>> np.round(y, 4).tolist(), np.round(rm, 4).tolist(), np.round(rv, 4).tolist()
    ([[-1.2247], [0.0], [1.2247]], [0.2], [1.0])
    """
    return batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum=momentum, eps=eps)


def batch_norm_torch(
    x: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    *,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    unbiased: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`batch_norm` in PyTorch tensor operations, differentiable by autograd.

    Same arguments, shapes and return value as :func:`batch_norm`; computes in the dtype of
    ``x`` (float32, float16 and bfloat16 included).

    :raises TypeError: when an input is not a torch tensor.

    >>> import torch
    >>> from concepts.batch_norm import batch_norm_torch
    >>> x = torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
    >>> y, rm, rv = batch_norm_torch(x, torch.zeros(1), torch.ones(1), torch.ones(1), torch.zeros(1), training=True)
    >>> [round(v, 4) for v in y.flatten().tolist()], round(float(rm), 4), round(float(rv), 4)
    ([-1.2247, 0.0, 1.2247], 0.2, 1.0)
    """
    vectors = {"running_mean": running_mean, "running_var": running_var, "gamma": gamma, "beta": beta}
    _tensors(x, vectors)
    C = _check(x, vectors, training=training, momentum=momentum, eps=eps)
    dims = (0,) if x.ndim == 2 else (0, 2)
    shape = (1, C) if x.ndim == 2 else (1, C, 1)
    if training:
        m = x.numel() // C
        mean = x.mean(dim=dims)  # (C,)
        var = x.var(dim=dims, correction=0)  # biased, for normalising  (C,)
        batch_var = var * m / (m - 1) if unbiased else var  # unbiased, for the running average
        running_mean = (1 - momentum) * running_mean + momentum * mean.detach()
        running_var = (1 - momentum) * running_var + momentum * batch_var.detach()
    else:
        mean, var = running_mean, running_var
        running_mean, running_var = running_mean.clone(), running_var.clone()
    x_hat = (x - mean.reshape(shape)) / (var.reshape(shape) + eps).sqrt()  # x^ = (x - mu) / sqrt(var + eps)
    y = gamma.reshape(shape) * x_hat + beta.reshape(shape)  # y = gamma x^ + beta
    return y, running_mean, running_var


class BatchNorm1d:
    """A NumPy layer like ``torch.nn.BatchNorm1d``, with a hand-written backward pass.

    Holds ``gamma``, ``beta``, ``running_mean``, ``running_var``, ``num_batches_tracked`` and
    the ``training`` flag. ``momentum=None`` makes the running statistics a cumulative
    average over all batches seen, as in PyTorch.

    :param num_features: the number of channels C.
    :param eps: added to the variance before the square root.
    :param momentum: weight of each new batch, or None for a cumulative average.

    >>> from concepts.batch_norm import BatchNorm1d
    >>> bn = BatchNorm1d(1)
    >>> y = bn(np.array([[1.0], [2.0], [3.0]]))  # training: batch statistics
    >>> np.round(bn.running_mean, 4).tolist(), np.round(bn.running_var, 4).tolist(), bn.num_batches_tracked
    ([0.2], [1.0], 1)
    >>> float(np.round(bn.eval()(np.array([[4.0]])), 4)[0, 0])  # (4 - 0.2) / sqrt(1 + 1e-5)
    3.8
    """

    def __init__(self, num_features: int, *, eps: float = 1e-5, momentum: float | None = 0.1) -> None:
        if int(num_features) != num_features or num_features < 1:
            raise ValueError(f"num_features must be a positive integer; got {num_features!r}")
        self.eps, self.momentum = eps, momentum
        self.gamma, self.beta = np.ones(num_features), np.zeros(num_features)
        self.running_mean, self.running_var = np.zeros(num_features), np.ones(num_features)
        self.num_batches_tracked = 0
        self.training = True
        self._cache: tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None = None

    def train(self, mode: bool = True) -> BatchNorm1d:
        """Switch to training (batch statistics) or, with ``mode=False``, evaluation."""
        self.training = mode
        return self

    def eval(self) -> BatchNorm1d:
        """Switch to evaluation: normalise with the running statistics."""
        return self.train(False)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Normalise ``x`` of shape ``(N, C)`` or ``(N, C, L)``; in training, update the running statistics.

        :raises TypeError: for a torch tensor (this layer is NumPy; ``torch.nn.BatchNorm1d`` is its PyTorch twin).
        """
        x = as_array(x, "x")
        cumulative = self.momentum is None
        factor = 1.0 / (self.num_batches_tracked + 1) if cumulative else self.momentum  # cumulative: a_t = 1/t
        y, running_mean, running_var = batch_norm(
            x, self.running_mean, self.running_var, self.gamma, self.beta,
            training=self.training, momentum=factor, eps=self.eps,
        )  # fmt: skip
        axes = (0,) if x.ndim == 2 else (0, 2)
        mean, var = (x.mean(axis=axes), x.var(axis=axes)) if self.training else (self.running_mean, self.running_var)
        self._cache = (x, mean, 1.0 / np.sqrt(var + self.eps), self.training)
        if self.training:
            self.running_mean, self.running_var = running_mean, running_var
            self.num_batches_tracked += 1
        return y

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gradients of the loss through the last call, given ``dy = dL/dy`` shaped like its output.

        :returns: ``(dx, dgamma, dbeta)`` with shapes ``x.shape``, ``(C,)``, ``(C,)``.
        :raises ValueError: before any forward call, or when ``dy`` does not match the output.

        >>> from concepts.batch_norm import BatchNorm1d
        >>> bn = BatchNorm1d(1)
        >>> y = bn(np.array([[1.0], [2.0], [3.0]]))
        >>> dx, dgamma, dbeta = bn.backward(np.array([[1.0], [0.0], [0.0]]))  # L = y[0]
        >>> np.round(dx, 4).tolist(), np.round(dgamma, 4).tolist(), dbeta.tolist()  # dx sums to 0
        ([[0.2041], [-0.4082], [0.2041]], [-1.2247], [1.0])
        """
        if self._cache is None:
            raise ValueError("backward needs a forward call first; got none")
        x, mean, inv_std, training = self._cache
        if dy.shape != x.shape:
            raise ValueError(f"dy must have the output's shape {x.shape}; got {dy.shape}")
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, -1) if x.ndim == 2 else (1, -1, 1)
        x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
        dbeta = dy.sum(axis=axes)  # dL/dbeta = sum_i dy_i
        dgamma = (dy * x_hat).sum(axis=axes)  # dL/dgamma = sum_i dy_i x^_i
        scale = (self.gamma * inv_std).reshape(shape)  # gamma / sqrt(var + eps)
        if not training:  # eval mode is a fixed affine map per channel
            return scale * dy, dgamma, dbeta
        dy_mean = dy.mean(axis=axes, keepdims=True)
        dyx_mean = (dy * x_hat).mean(axis=axes, keepdims=True)
        dx = scale * (dy - dy_mean - x_hat * dyx_mean)  # dx = gamma/sigma (dy - mean(dy) - x^ mean(dy x^))
        return dx, dgamma, dbeta


def fold_into_linear(
    W: ArrayLike,
    b: ArrayLike | None,
    gamma: ArrayLike,
    beta: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    *,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray]:
    """Fold an evaluation-mode batch norm into the linear layer before it.

    ``x @ W + b`` followed by batch norm with frozen statistics equals ``x @ W' + b'``.
    ``W`` is ``(d_in, C)``, the package's NumPy layout; an ``nn.Linear`` weight is its
    transpose (see :func:`fold_into_linear_torch` for PyTorch's layout).

    :param W: the linear layer's weight, ``(d_in, C)``.
    :param b: its bias, ``(C,)``, or None for a layer without bias.
    :param gamma: batch-norm scale, ``(C,)``.
    :param beta: batch-norm shift, ``(C,)``.
    :param running_mean: running mean, ``(C,)``.
    :param running_var: running variance, ``(C,)``.
    :param eps: the batch norm's epsilon, positive.
    :returns: ``(W', b')`` with shapes ``(d_in, C)`` and ``(C,)``.
    :raises ValueError: when a shape does not match ``W`` or ``eps`` is not positive.
    :raises TypeError: when handed a torch tensor.

    >>> from concepts.batch_norm import fold_into_linear
    >>> W, b = np.array([[2.0], [0.0]]), np.array([1.0])  # d_in=2, C=1
    >>> Wf, bf = fold_into_linear(W, b, [3.0], [0.5], [1.0], [4.0], eps=0.0001)
    >>> np.round(Wf, 4).tolist(), np.round(bf, 4).tolist()  # s = 3/sqrt(4) = 1.5
    ([[3.0], [0.0]], [0.5])
    """
    W = as_array(W, "W")
    if W.ndim != 2:
        raise ValueError(f"W must have shape (d_in, C); got {W.shape}")
    C = W.shape[1]
    b = np.zeros(C) if b is None else b
    vectors = {"b": b, "gamma": gamma, "beta": beta, "running_mean": running_mean, "running_var": running_var}
    vectors = {k: as_array(v, k) for k, v in vectors.items()}
    _check_vectors(C, vectors)
    _check_eps(eps)
    b, gamma, beta, running_mean, running_var = vectors.values()
    s = gamma / np.sqrt(running_var + eps)  # s = gamma / sqrt(var + eps)   (C,)
    return W * s[None, :], s * (b - running_mean) + beta  # W' = W diag(s),  b' = s (b - mu) + beta


def fold_into_linear_torch(linear: torch.nn.Linear, bn: torch.nn.BatchNorm1d) -> torch.nn.Linear:
    """Fold an ``nn.BatchNorm1d`` into the ``nn.Linear`` before it: a new ``nn.Linear`` with bias.

    Reads the running statistics of ``bn`` whatever its mode (the fold is only exact for
    evaluation mode), scales each output row of ``linear.weight`` (shape ``(C, d_in)``,
    PyTorch's layout) by ``s = gamma / sqrt(running_var + eps)``, and keeps the dtype.

    :raises TypeError: when ``linear`` or ``bn`` is not the expected module.
    :raises ValueError: when their sizes differ.

    >>> import torch
    >>> from concepts.batch_norm import fold_into_linear_torch
    >>> lin, bn = torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3).eval()
    >>> x = torch.randn(4, 2)
    >>> bool(torch.allclose(fold_into_linear_torch(lin, bn)(x), bn(lin(x)), atol=1e-6))
    True
    """
    pt = require_torch()  # not named torch: the annotations above mean the module, not a local
    if not isinstance(linear, pt.nn.Linear) or not isinstance(bn, pt.nn.BatchNorm1d):
        raise TypeError(
            f"expected an nn.Linear and an nn.BatchNorm1d; got {type(linear).__name__}, {type(bn).__name__}"
        )
    if linear.out_features != bn.num_features:
        raise ValueError(
            f"bn must have num_features = linear.out_features = {linear.out_features}; got {bn.num_features}"
        )
    with pt.no_grad():
        W, C = linear.weight, linear.out_features
        b = linear.bias if linear.bias is not None else pt.zeros(C, dtype=W.dtype)
        gamma = bn.weight if bn.weight is not None else pt.ones(C, dtype=W.dtype)
        beta = bn.bias if bn.bias is not None else pt.zeros(C, dtype=W.dtype)
        s = gamma / pt.sqrt(bn.running_var + bn.eps)  # (C,)
        fused = pt.nn.Linear(linear.in_features, C, dtype=W.dtype)
        fused.weight.copy_(s[:, None] * W)  # nn.Linear's rows are output channels: W' = diag(s) W
        fused.bias.copy_(s * (b - bn.running_mean) + beta)
    return fused
