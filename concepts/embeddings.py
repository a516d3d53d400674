"""Embeddings: a learned table that turns each token id into a dense vector, and the objectives that train it.

Follows Mikolov et al. (2013) for skip-gram with negative sampling (SGNS) and its unigram^(3/4)
noise, Pennington et al. (2014) for GloVe's weighted least squares, Press & Wolf (2017) for
tying the input and output embeddings, and Gao et al. (2021, SimCSE) / Radford et al. (2021,
CLIP) for the InfoNCE loss of contrastive sentence embeddings. Leaves out hierarchical
softmax, subsampling, dynamic windows, subword vectors (fastText) and the encoders themselves.
GloVe's ``glove_weight`` and ``glove_loss_and_grads`` live in :mod:`concepts._embeddings_glove`
and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import (
    as_array,
    require_positive,
    require_positive_int,
    require_rng,
    require_tensor,
    require_torch,
)
from concepts._embeddings_glove import glove_loss_and_grads, glove_weight

if TYPE_CHECKING:
    import torch

__all__ = [
    "TOY_CORPUS",
    "cosine_similarity",
    "embedding_lookup",
    "glove_loss_and_grads",
    "glove_weight",
    "gpt2_param_count",
    "info_nce_loss",
    "lm_head_param_count",
    "mean_pairwise_cosine",
    "noise_distribution",
    "one_hot",
    "sgns_loss_and_grads",
    "sgns_loss_torch",
    "tied_logits",
    "train_sgns",
]

_SENTENCES = (
    "the cat chased the mouse across the garden. the dog chased the cat around the garden. "
    "a hungry cat caught a small mouse. the dog barked at the cat and the mouse. "
    "the mouse hid from the dog in the garden. a dog and a cat and a mouse play in the garden. "
    "she baked bread and a cake in the oven. the cake needs flour and sugar and butter. "
    "he spread butter on warm bread from the oven. mix the flour with the sugar for the cake. "
    "fresh bread and butter and a slice of cake. warm butter and sugar and flour go into the oven. "
    "the rocket carried the crew into orbit. the crew saw the moon and the stars from orbit. "
    "a rocket flew past the moon toward a planet. the stars shine over a distant planet. "
    "the crew flew the rocket around the moon. the moon and the stars and a planet seen from the rocket"
)
TOY_CORPUS = tuple(_SENTENCES.split(". "))
"""Eighteen sentences on three topics (animals, baking, space) that share only function words."""


def _ids(ids: ArrayLike, vocab_size: int) -> np.ndarray:
    ids = as_array(ids, "ids", dtype=None)
    if ids.dtype == bool or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be integers; got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size}); got values from {ids.min()} to {ids.max()}")
    return ids


def one_hot(ids: ArrayLike, vocab_size: int) -> np.ndarray:
    """One-hot rows: id ``i`` becomes the ``i``-th standard basis vector; ``(...)`` ids give ``(..., V)``.

    :raises ValueError: for a non-positive ``vocab_size``, non-integer ids or ids out of range.

    >>> from concepts.embeddings import one_hot
    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    vocab_size = require_positive_int(vocab_size, "vocab_size")
    return (_ids(ids, vocab_size)[..., None] == np.arange(vocab_size)).astype(np.float64)  # (..., V)


def embedding_lookup(E: ArrayLike, ids: ArrayLike) -> np.ndarray:
    """Rows ``ids`` of the table ``E`` ``(V, d)``: ``one_hot(ids, V) @ E`` without the ``V``-wide product.

    :returns: float64 array of shape ``(..., d)`` for ids of shape ``(...)``.
    :raises ValueError: for a table that is not 2-D and non-empty, or bad ids.

    >>> from concepts.embeddings import embedding_lookup
    >>> embedding_lookup([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [2, 0, 2]).tolist()  # V = 3, d = 2
    [[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]]
    """
    E = as_array(E, "E")
    if E.ndim != 2 or 0 in E.shape:
        raise ValueError(f"E must have shape (vocab_size, d) with non-zero sizes; got {E.shape}")
    return E[_ids(ids, E.shape[0])]  # x = E^T onehot(id) = row id of E, (..., d)


def _unit_rows(X: np.ndarray, name: str) -> np.ndarray:
    """Vectors on the last axis scaled to unit length; dividing by the largest entry first keeps squares finite."""
    top = np.abs(X).max(axis=-1, keepdims=True)
    if (top == 0).any():
        raise ValueError(f"cosine similarity is undefined for a zero vector; got one in {name}")
    X = X / top  # rescaling changes no angle
    return X / np.linalg.norm(X, axis=-1, keepdims=True)


def cosine_similarity(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``cos(a, b) = a . b / (|a| |b|)`` along the last axis ``d``; the leading axes broadcast.

    ``a[:, None, :]`` against ``b[None, :, :]`` gives the ``(n, m)`` matrix of all pairs. A zero
    vector has no direction, so it raises instead of quietly giving 0 (as PyTorch and
    scikit-learn do). Values are clipped to ``[-1, 1]``.

    :raises ValueError: for a scalar, mismatched ``d``, axes that do not broadcast, or a zero vector.

    >>> import numpy as np
    >>> from concepts.embeddings import cosine_similarity
    >>> round(float(cosine_similarity([1.0, 0.0], [1.0, 1.0])), 4)  # 45 degrees: 1 / sqrt(2)
    0.7071
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])
    >>> cosine_similarity(X[:, None, :], X[None, :, :]).tolist()  # all pairs, (3, 3)
    [[1.0, 0.0, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0]]
    """
    a, b = as_array(a, "a"), as_array(b, "b")
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-1] or a.shape[-1] == 0:
        raise ValueError(f"a and b must have shape (..., d) with the same d >= 1; got {a.shape} and {b.shape}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"the leading axes of a and b must broadcast; got {a.shape} and {b.shape}") from None
    return np.clip((_unit_rows(a, "a") * _unit_rows(b, "b")).sum(-1), -1.0, 1.0)  # a_hat . b_hat


def info_nce_loss(queries: ArrayLike, keys: ArrayLike, *, temperature: float = 0.05) -> float:
    """InfoNCE with in-batch negatives (SimCSE; one direction of CLIP): key ``i`` is query ``i``'s positive.

    ``L = -(1/B) sum_i log( exp(s_ii / tau) / sum_j exp(s_ij / tau) )`` with ``s_ij = cos(q_i, k_j)``:
    a cross-entropy over the batch whose right class is the diagonal; the other ``B - 1``
    keys are the negatives. It is ``log B`` when every cosine is equal. Shapes ``(B, d)``.

    :param temperature: ``tau > 0``; SimCSE uses 0.05, CLIP learns it (starting at 0.07).
    :raises ValueError: for shapes that differ, a zero row or a non-positive temperature.

    >>> from concepts.embeddings import info_nce_loss
    >>> round(info_nce_loss([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], temperature=1.0), 4)
    0.3133
    """
    require_positive(temperature, "temperature")
    q, k = as_array(queries, "queries"), as_array(keys, "keys")
    if q.shape != k.shape or q.ndim != 2:
        raise ValueError(f"queries and keys must both have shape (B, d); got {q.shape} and {k.shape}")
    logits = cosine_similarity(q[:, None, :], k[None, :, :]) / temperature  # (B, B), s_ij / tau
    log_z = np.logaddexp.reduce(logits, axis=1)  # log sum_j exp(s_ij / tau)
    return float(np.mean(log_z - np.diag(logits)))  # -log softmax at the diagonal, averaged


def mean_pairwise_cosine(X: ArrayLike, *, center: bool = False) -> float:
    """Anisotropy: the mean of ``cos(x_i, x_j)`` over all ordered pairs ``i != j`` of the rows of ``X``.

    With unit rows ``u_i``, ``sum_{i != j} u_i . u_j = |sum_i u_i|^2 - n``: ``O(n d)`` instead of
    the ``O(n^2 d)`` matrix of all pairs, and it shows the mean is at least ``-1 / (n - 1)``.
    ``center`` subtracts the mean vector first (the first step of "all-but-the-top").

    :raises ValueError: for a shape other than ``(n >= 2, d >= 1)`` or a zero row.

    >>> from concepts.embeddings import mean_pairwise_cosine
    >>> X = [[2.0, 1.0], [2.0, -1.0]]  # cos = (4 - 1) / 5; centred: (0, 1) and (0, -1)
    >>> round(mean_pairwise_cosine(X), 4), round(mean_pairwise_cosine(X, center=True), 4)
    (0.6, -1.0)
    """
    X = as_array(X, "X")
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(f"X must have shape (n >= 2, d >= 1); got {X.shape}")
    U = _unit_rows(X - X.mean(axis=0) if center else X, "X")  # unit rows u_i, (n, d)
    s, n = U.sum(axis=0), X.shape[0]  # (d,)
    return float((s @ s - n) / (n * (n - 1)))  # sum_{i != j} u_i . u_j = |sum_i u_i|^2 - n


def noise_distribution(counts: ArrayLike, *, power: float = 0.75) -> np.ndarray:
    """word2vec's noise distribution ``P_n(w) = U(w)^power / Z`` from unigram counts ``U(w)``, shape ``(V,)``.

    ``power = 1`` is the unigram distribution and ``power = 0`` the uniform one; Mikolov et
    al. found 3/4 better than both. It raises rare words and lowers frequent ones.

    :raises ValueError: for counts that are not a non-empty 1-D array of finite counts >= 0
        with a positive sum, or a negative or non-finite power.

    >>> from concepts.embeddings import noise_distribution
    >>> noise_distribution([1, 16]).tolist()  # 16^(3/4) = 8: from 1/17 vs 16/17 to 1/9 vs 8/9
    [0.1111111111111111, 0.8888888888888888]
    """
    counts = as_array(counts, "counts")
    if counts.ndim != 1 or counts.size == 0 or not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError(f"counts must be a non-empty 1-D array of finite counts >= 0; got {counts!r}")
    if counts.sum() == 0:
        raise ValueError("counts must have a positive sum; got all zeros")
    if not (math.isfinite(power) and power >= 0):
        raise ValueError(f"power must be a finite number >= 0; got {power!r}")
    w = np.where(counts > 0, counts**power, 0.0)  # U(w)^(3/4); a word never seen is never drawn
    return w / w.sum()  # P_n(w) = U(w)^(3/4) / Z


def _sgns_shapes(v_c: tuple[int, ...], u_o: tuple[int, ...], u_neg: tuple[int, ...]) -> None:
    if len(v_c) < 1 or v_c[-1] == 0:
        raise ValueError(f"v_c must have shape (..., d) with d >= 1; got {v_c}")
    if u_o != v_c:
        raise ValueError(f"u_o must have the shape of v_c, {v_c}; got {u_o}")
    if len(u_neg) != len(v_c) + 1 or u_neg[:-2] != v_c[:-1] or u_neg[-1] != v_c[-1]:
        raise ValueError(f"u_neg must have shape (..., k, d) = {(*v_c[:-1], 'k', v_c[-1])}; got {u_neg}")


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)  # log sigma(x) = -log(1 + e^{-x}), finite for any x


def sgns_loss_and_grads(
    v_c: ArrayLike, u_o: ArrayLike, u_neg: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Skip-gram negative-sampling loss of (center, context) pairs, with its hand-derived gradients.

    ``L = -log sigma(u_o . v_c) - sum_k log sigma(-u_k . v_c)``. With ``s_o = u_o . v_c`` and
    ``s_k = u_k . v_c``: ``dL/ds_o = sigma(s_o) - 1`` and ``dL/ds_k = sigma(s_k)``, so
    ``dL/dv_c = (sigma(s_o) - 1) u_o + sum_k sigma(s_k) u_k``, ``dL/du_o = (sigma(s_o) - 1) v_c``
    and ``dL/du_k = sigma(s_k) v_c``. Stable for dot products of any size.

    :param v_c: center (input) vectors ``(..., d)``; ``u_o``: context (output) vectors ``(..., d)``;
        ``u_neg``: output vectors of the ``k`` sampled negatives, ``(..., k, d)``.
    :returns: ``(loss, grad_v_c, grad_u_o, grad_u_neg)``, shaped ``(...)`` and like the inputs.
        A word drawn twice as a negative gets one gradient row per draw; sum them into its row.
    :raises ValueError: for shapes that do not fit together.

    >>> import numpy as np
    >>> from concepts.embeddings import sgns_loss_and_grads
    >>> v_c, u_o, u_neg = np.zeros(2), np.array([1.0, 0.0]), np.array([[0.0, 1.0]])  # every score 0
    >>> loss, g_v, g_o, g_neg = sgns_loss_and_grads(v_c, u_o, u_neg)
    >>> round(float(loss), 4), g_v.tolist()  # 2 log 2: both sigmoids are 1/2; -1/2 u_o + 1/2 u_1
    (1.3863, [-0.5, 0.5])
    """
    v_c, u_o, u_neg = as_array(v_c, "v_c"), as_array(u_o, "u_o"), as_array(u_neg, "u_neg")
    _sgns_shapes(v_c.shape, u_o.shape, u_neg.shape)
    s_o = (u_o * v_c).sum(-1)  # s_o = u_o . v_c, (...)
    s_neg = np.einsum("...kd,...d->...k", u_neg, v_c)  # s_k = u_k . v_c, (..., k)
    loss = -_log_sigmoid(s_o) - _log_sigmoid(-s_neg).sum(-1)  # L = -log sig(s_o) - sum_k log sig(-s_k)
    g_o = -np.exp(_log_sigmoid(-s_o))  # dL/ds_o = sigma(s_o) - 1 = -sigma(-s_o), (...)
    g_neg = np.exp(_log_sigmoid(s_neg))  # dL/ds_k = sigma(s_k), (..., k)
    grad_v = g_o[..., None] * u_o + np.einsum("...k,...kd->...d", g_neg, u_neg)  # (..., d)
    return loss, grad_v, g_o[..., None] * v_c, g_neg[..., None] * v_c[..., None, :]


def sgns_loss_torch(v_c: torch.Tensor, u_o: torch.Tensor, u_neg: torch.Tensor) -> torch.Tensor:
    """PyTorch mirror of ``sgns_loss_and_grads``: the loss only, shape ``(...)``; autograd gives the rest.

    >>> import torch
    >>> from concepts.embeddings import sgns_loss_torch
    >>> v_c = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    >>> u = torch.eye(2, dtype=torch.float64)
    >>> loss = sgns_loss_torch(v_c, u[0], u[1:])  # u_o = (1, 0), one negative (0, 1)
    >>> loss.backward()
    >>> round(loss.item(), 4), v_c.grad.tolist()
    (1.3863, [-0.5, 0.5])
    """
    F = require_torch().nn.functional
    v_c, u_o, u_neg = require_tensor(v_c, "v_c"), require_tensor(u_o, "u_o"), require_tensor(u_neg, "u_neg")
    _sgns_shapes(tuple(v_c.shape), tuple(u_o.shape), tuple(u_neg.shape))
    s_o = (u_o * v_c).sum(-1)  # (...)
    s_neg = (u_neg @ v_c.unsqueeze(-1)).squeeze(-1)  # (..., k)
    return -F.logsigmoid(s_o) - F.logsigmoid(-s_neg).sum(-1)  # logsigmoid is the stable form


def train_sgns(
    corpus: Sequence[str] = TOY_CORPUS,
    *,
    dim: int = 8,
    window: int = 4,
    negatives: int = 5,
    epochs: int = 40,
    lr: float = 0.1,
    batch_size: int = 16,
    rng: np.random.Generator | int | None = 0,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Train SGNS on whitespace-split sentences by minibatch SGD; small enough for a toy corpus.

    Every (center, context) pair within ``window`` words is a positive; each gets
    ``negatives`` words drawn from ``noise_distribution`` of the corpus counts. Initialised as
    word2vec does: input vectors uniform in ``[-0.5/dim, 0.5/dim)``, output vectors zero.

    :param rng: a Generator or a seed for the initialisation, the shuffles and the negatives.
    :returns: ``(vocab, W_in, W_out)``: the sorted words and the input and output tables,
        each ``(V, dim)``; ``W_in`` holds the word vectors usually kept.
    :raises ValueError: for a non-positive knob, a single string, or a corpus without a pair.

    >>> from concepts.embeddings import cosine_similarity, train_sgns
    >>> vocab, W_in, W_out = train_sgns(rng=0)
    >>> v = {w: W_in[i] for i, w in enumerate(vocab)}
    >>> bool(cosine_similarity(v["cat"], v["dog"]) > cosine_similarity(v["cat"], v["rocket"]))
    True
    """
    sizes = {"dim": dim, "window": window, "negatives": negatives, "epochs": epochs, "batch_size": batch_size}
    for name, n in sizes.items():
        require_positive_int(n, name)
    require_positive(lr, "lr")
    if isinstance(corpus, str):
        raise ValueError("corpus must be a sequence of sentences; got a single string")
    sentences = [s.split() for s in corpus]
    vocab = sorted({w for s in sentences for w in s})
    ids = [[vocab.index(w) for w in s] for s in sentences]
    window_of = [(c, s[max(0, i - window) : i] + s[i + 1 : i + 1 + window]) for s in ids for i, c in enumerate(s)]
    pairs = np.array([(c, o) for c, ctx in window_of for o in ctx], dtype=np.int64).reshape(-1, 2)  # (n_pairs, 2)
    if len(pairs) == 0:
        raise ValueError("corpus must contain a sentence of at least two words; got none")
    noise = noise_distribution(np.bincount(np.concatenate(ids), minlength=len(vocab)))
    rng = require_rng(rng)
    W_in = (rng.random((len(vocab), dim)) - 0.5) / dim
    W_out = np.zeros((len(vocab), dim))
    for _ in range(epochs):
        for batch in np.array_split(rng.permutation(len(pairs)), math.ceil(len(pairs) / batch_size)):
            c, o = pairs[batch].T  # (B,), (B,)
            neg = rng.choice(len(vocab), size=(len(batch), negatives), p=noise)  # (B, k) drawn from P_n
            _, g_v, g_o, g_neg = sgns_loss_and_grads(W_in[c], W_out[o], W_out[neg])
            np.add.at(W_in, c, -lr * g_v)  # add.at sums repeated ids; W[c] -= ... would keep only one
            np.add.at(W_out, o, -lr * g_o)
            np.add.at(W_out, neg, -lr * g_neg)
    return vocab, W_in, W_out


def lm_head_param_count(vocab_size: int, d_model: int) -> int:
    """Parameters of a separate, bias-free ``(V, d)`` output projection (the LM head).

    Tying the head to the input embedding ``E`` saves exactly this many.

    >>> from concepts.embeddings import lm_head_param_count
    >>> lm_head_param_count(50257, 768)  # GPT-2 small
    38597376
    """
    return require_positive_int(vocab_size, "vocab_size") * require_positive_int(d_model, "d_model")  # one (V, d)


def tied_logits(h: ArrayLike, E: ArrayLike) -> np.ndarray:
    """Output logits of a tied model, ``h E^T``: ``(..., d)`` hidden states and a ``(V, d)`` table give ``(..., V)``.

    :raises ValueError: for a table that is not 2-D or a width that differs from ``d``.

    >>> from concepts.embeddings import tied_logits
    >>> tied_logits([[1.0, 2.0]], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]).tolist()
    [[1.0, 2.0, 3.0]]
    """
    h, E = as_array(h, "h"), as_array(E, "E")
    if E.ndim != 2 or h.ndim < 1 or h.shape[-1] != E.shape[1]:
        raise ValueError(f"h must have shape (..., d) and E shape (V, d) with the same d; got {h.shape} and {E.shape}")
    return h @ E.T  # logits = h E^T, (..., V)


def gpt2_param_count(
    *, vocab_size: int = 50257, max_len: int = 1024, d_model: int = 768, num_layers: int = 12, tied: bool = True
) -> int:
    """Parameters of a GPT-2-shaped model (defaults: GPT-2 small), with or without a tied output layer.

    Token and position tables, ``num_layers`` blocks of ``12 d^2 + 13 d`` (attention ``4 d^2 + 4 d``,
    MLP of width ``4 d`` with ``8 d^2 + 5 d``, two LayerNorms ``4 d``), a final LayerNorm
    ``2 d``, and, untied, a bias-free ``(V, d)`` output matrix.

    >>> from concepts.embeddings import gpt2_param_count
    >>> gpt2_param_count(), gpt2_param_count(tied=False)
    (124439808, 163037184)
    """
    sizes = {"vocab_size": vocab_size, "max_len": max_len, "d_model": d_model, "num_layers": num_layers}
    V, P, d, L = (require_positive_int(n, name) for name, n in sizes.items())
    shared = V * d + P * d + L * (12 * d * d + 13 * d) + 2 * d
    return shared if tied else shared + lm_head_param_count(V, d)
