"""Attention masks: which keys each query may see (padding, causal, both, prefix-LM), and BERT's input masking.

Boolean masks follow PyTorch's ``scaled_dot_product_attention`` (``True`` = may attend) and
plug into ``concepts.attention``; this module owns the package's one ``causal_mask`` and
one ``prefix_lm_mask``, which the other modules import. Masked language modelling follows
Devlin et al. (2019), "BERT", section 3.1, with Hugging Face's per-token draws and ``-100``
labels. Leaves out sliding-window and block-sparse patterns, packed sequences (document
masks), whole-word and span masking (T5's span corruption).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from concepts._checks import require_positive_int, require_rng, require_tensor, require_torch

if TYPE_CHECKING:
    import torch

__all__ = [
    "ALIGNS",
    "IGNORE_INDEX",
    "batch_attention_mask",
    "batch_attention_mask_torch",
    "causal_mask",
    "masked_softmax",
    "masked_softmax_torch",
    "mlm_mask",
    "padding_mask",
    "prefix_lm_mask",
    "to_additive",
    "to_boolean",
]

ALIGNS = ("top-left", "bottom-right")
IGNORE_INDEX = -100  # the label that torch's cross_entropy (and Hugging Face) skip by default


def causal_mask(seq_q: int, seq_k: int | None = None, *, align: str = "top-left") -> np.ndarray:
    """Boolean causal mask of shape ``(seq_q, seq_k)``, ``True`` where a query may attend.

    ``"top-left"`` lets query ``i`` see keys ``j <= i``; it is what ``is_causal=True`` means
    in PyTorch's SDPA. ``"bottom-right"`` lines the last query up with the last key, so
    query ``i`` sees keys ``j <= i + seq_k - seq_q``: the right mask when the queries are the
    newest ``seq_q`` of ``seq_k`` tokens (decoding with a KV cache), and FlashAttention's
    convention since version 2.1. The two agree when ``seq_q == seq_k``.

    :param seq_q: number of queries, at least 1.
    :param seq_k: number of keys, at least 1; ``seq_q`` when omitted.
    :param align: ``"top-left"`` or ``"bottom-right"``.
    :returns: boolean array of shape ``(seq_q, seq_k)``.
    :raises ValueError: for a non-positive length or an unknown ``align``.

    >>> from concepts.masking import causal_mask
    >>> causal_mask(3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    >>> causal_mask(2, 3, align="bottom-right").astype(int).tolist()
    [[1, 1, 0], [1, 1, 1]]
    """
    seq_q = require_positive_int(seq_q, "seq_q")
    seq_k = seq_q if seq_k is None else require_positive_int(seq_k, "seq_k")
    if align not in ALIGNS:
        raise ValueError(f"align must be one of {ALIGNS}; got {align!r}")
    offset = 0 if align == "top-left" else seq_k - seq_q
    return np.tril(np.ones((seq_q, seq_k), dtype=bool), k=offset)  # key j allowed iff j <= i + offset


def padding_mask(lengths: ArrayLike, seq_len: int | None = None, *, side: str = "right") -> np.ndarray:
    """Key padding mask of shape ``(batch, seq_len)`` from the real lengths: ``True`` = real token.

    Right padding puts the real tokens first (encoders, training); left padding puts them
    last, so that every sequence of a batch ends at the same position (batched generation).

    :param lengths: the number of real tokens of each sequence, shape ``(batch,)``.
    :param seq_len: the padded length; the longest length when omitted.
    :param side: ``"right"`` or ``"left"``: where the padding goes.
    :returns: boolean array of shape ``(batch, seq_len)``.
    :raises ValueError: for lengths that are not a 1-D array of integers in ``[0, seq_len]``.

    >>> from concepts.masking import padding_mask
    >>> padding_mask([3, 1]).astype(int).tolist()
    [[1, 1, 1], [1, 0, 0]]
    >>> padding_mask([3, 1], side="left").astype(int).tolist()
    [[1, 1, 1], [0, 0, 1]]
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0 or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be a non-empty 1-D integer array (batch,); got shape {lengths.shape}")
    seq_len = int(lengths.max()) if seq_len is None else seq_len
    if seq_len < 1 or lengths.min() < 0 or lengths.max() > seq_len:
        raise ValueError(f"lengths must lie in [0, seq_len] with seq_len >= 1; got {lengths.tolist()}, {seq_len}")
    if side not in ("right", "left"):
        raise ValueError(f"side must be 'right' or 'left'; got {side!r}")
    positions = np.arange(seq_len)  # (T,)
    if side == "right":
        return positions < lengths[:, None]  # (B, T): real iff t < length
    return positions >= seq_len - lengths[:, None]  # (B, T): real iff t >= T - length


def prefix_lm_mask(seq_len: int, prefix_len: int) -> np.ndarray:
    """Prefix-LM mask of shape ``(seq_len, seq_len)``: bidirectional over the prefix, causal after it.

    Query ``i`` may see key ``j`` when ``j < prefix_len`` or ``j <= i`` (UniLM, T5's prefix
    LM, PaLI). ``prefix_len = 0`` gives the causal mask, ``prefix_len = seq_len`` no mask.

    :param seq_len: the sequence length, at least 1.
    :param prefix_len: the number of prefix tokens, in ``[0, seq_len]``.
    :returns: boolean array, ``True`` where the query (row) may attend to the key (column).
    :raises ValueError: for a prefix longer than the sequence or negative.

    >>> from concepts.masking import prefix_lm_mask
    >>> prefix_lm_mask(4, 2).astype(int).tolist()
    [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
    """
    for name, n in (("seq_len", seq_len), ("prefix_len", prefix_len)):
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise ValueError(f"{name} must be an integer; got {n!r}")
    if seq_len < 1:
        raise ValueError(f"seq_len must be at least 1; got {seq_len}")
    if not 0 <= prefix_len <= seq_len:
        raise ValueError(f"prefix_len must lie in [0, seq_len = {seq_len}]; got {prefix_len}")
    return causal_mask(seq_len) | (np.arange(seq_len) < prefix_len)  # M_ij = [j <= i] or [j < prefix_len]


def _check_padding(shape: tuple[int, ...], is_bool: bool, is_causal: bool, prefix_len: int | None) -> None:
    """Validate the arguments of ``batch_attention_mask`` (shared with the PyTorch version)."""
    if len(shape) != 2 or 0 in shape or not is_bool:
        raise ValueError(
            f"mask must be a boolean (batch, seq_len) key padding mask, True = real token; got shape {shape}"
        )
    if is_causal and prefix_len is not None:
        raise ValueError("pass is_causal=True or prefix_len, not both (prefix_len=0 is the causal mask)")
    if prefix_len is not None and not (isinstance(prefix_len, int | np.integer) and 0 <= prefix_len <= shape[1]):
        raise ValueError(f"prefix_len must be an integer in [0, seq_len = {shape[1]}]; got {prefix_len!r}")


def batch_attention_mask(
    mask: ArrayLike, *, is_causal: bool = False, prefix_len: int | None = None, mask_queries: bool = False
) -> np.ndarray:
    """The mask SDPA takes for a padded batch, shape ``(batch, 1, seq_len, seq_len)``, ``True`` = may attend.

    Padded keys are always hidden (a real token must not read padding). The structure is
    full (an encoder), causal (a decoder) or prefix-LM, shared by the batch and ANDed with
    the key padding; the axis of size 1 broadcasts over the heads.

    :param mask: key padding, shape ``(batch, seq_len)``, ``True`` for real tokens (Hugging
        Face's ``attention_mask.astype(bool)``; ``nn.MultiheadAttention``'s ``~key_padding_mask``).
    :param is_causal: also hide the future: key ``j`` only for queries ``i >= j``.
    :param prefix_len: use ``prefix_lm_mask(seq_len, prefix_len)`` as the structure instead.
    :param mask_queries: also hide every key from padded queries, whose rows are then fully
        masked; off by default, as their outputs are simply never used.
    :returns: boolean array of shape ``(batch, 1, seq_len, seq_len)``.
    :raises ValueError: for a ``mask`` that is not 2-D boolean, or ``is_causal`` with ``prefix_len``.

    >>> import numpy as np
    >>> from concepts.masking import batch_attention_mask
    >>> m = batch_attention_mask(np.array([[True, True, False]]), is_causal=True)
    >>> m.shape
    (1, 1, 3, 3)
    >>> m[0, 0].astype(int).tolist()  # the padded query 2 still sees the real keys
    [[1, 0, 0], [1, 1, 0], [1, 1, 0]]
    """
    mask = np.asarray(mask)
    _check_padding(mask.shape, mask.dtype == bool, is_causal, prefix_len)
    seq = mask.shape[1]
    if prefix_len is not None:
        structure = prefix_lm_mask(seq, prefix_len)
    else:
        structure = causal_mask(seq) if is_causal else np.ones((seq, seq), dtype=bool)  # (T, T)
    out = structure & mask[:, None, None, :]  # (B, 1, T, T): AND over the keys' padding
    if mask_queries:
        out = out & mask[:, None, :, None]  # padded queries see nothing
    return out


def batch_attention_mask_torch(
    mask: torch.Tensor, *, is_causal: bool = False, prefix_len: int | None = None, mask_queries: bool = False
) -> torch.Tensor:
    """PyTorch mirror of ``batch_attention_mask``: same arguments, a ``(batch, 1, seq_len, seq_len)`` bool tensor.

    >>> import torch
    >>> from concepts.masking import batch_attention_mask_torch
    >>> padding = torch.tensor([[False, True, True]])  # left padding
    >>> batch_attention_mask_torch(padding, is_causal=True)[0, 0].int().tolist()  # query 0 sees nothing
    [[0, 0, 0], [0, 1, 0], [0, 1, 1]]
    """
    torch = require_torch()
    mask = require_tensor(mask, "mask")
    _check_padding(tuple(mask.shape), mask.dtype == torch.bool, is_causal, prefix_len)
    seq = mask.shape[1]
    structure = torch.ones(seq, seq, dtype=torch.bool, device=mask.device)  # (T, T)
    if is_causal or prefix_len is not None:
        structure = structure.tril()  # M_ij = [j <= i]
    if prefix_len is not None:
        structure[:, :prefix_len] = True  # or [j < prefix_len]
    out = structure & mask[:, None, None, :]  # (B, 1, T, T)
    return out & mask[:, None, :, None] if mask_queries else out


def to_additive(mask: ArrayLike, *, fill: float | str = -np.inf, dtype: type = np.float64) -> np.ndarray:
    """Boolean mask to additive mask: 0 where ``mask`` is ``True``, ``fill`` elsewhere, in ``dtype``.

    ``fill`` is ``-inf`` (exact, but NaN for a fully masked row in a plain softmax), a
    large negative number such as ``-1e9`` (becomes ``-inf`` in float16, whose most
    negative finite value is -65504; in float32 and bfloat16 it swallows the scores it is
    added to, so a fully masked row turns exactly uniform), or ``"min"`` for
    ``finfo(dtype).min`` (Hugging Face's choice; two of them added together overflow to
    ``-inf``).

    :param mask: boolean mask of any shape, ``True`` = may attend.
    :param fill: the bias of a masked position, or ``"min"``.
    :param dtype: a floating dtype.
    :returns: array of the shape of ``mask``.
    :raises ValueError: for a non-boolean ``mask``, a fill that is not negative, or a non-float dtype.

    >>> import numpy as np
    >>> from concepts.masking import to_additive
    >>> to_additive(np.array([True, False])).tolist()
    [0.0, -inf]
    >>> to_additive(np.array([True, False]), fill=-1e9, dtype=np.float16).tolist()  # overflows
    [0.0, -inf]
    >>> to_additive(np.array([True, False]), fill="min", dtype=np.float16).tolist()
    [0.0, -65504.0]
    """
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(f"mask must be a boolean mask (True = may attend); got dtype {mask.dtype}")
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"dtype must be a floating type; got {np.dtype(dtype).name}")
    fill = float(np.finfo(dtype).min) if fill == "min" else fill
    if isinstance(fill, str) or not fill < 0:
        raise ValueError(f"fill must be a negative number, -inf or 'min'; got {fill!r}")
    with np.errstate(over="ignore"):  # a fill beyond the dtype's range becomes -inf, as in torch
        return np.where(mask, 0.0, fill).astype(dtype)  # M_ij = 0 if kept else fill


def to_boolean(bias: ArrayLike, *, threshold: float = -1e4) -> np.ndarray:
    """Additive mask to boolean mask: ``True`` (may attend) where ``bias > threshold``.

    Any bias at or below -1e4 acts as a removal: ``exp(-1e4)`` is 0 even in float64, whose
    smallest positive number is about ``exp(-745)``.

    :param bias: additive mask of any shape, floating.
    :param threshold: the bias at or below which a key counts as masked.
    :returns: boolean array of the shape of ``bias``.
    :raises ValueError: for a non-floating ``bias``.

    >>> import numpy as np
    >>> from concepts.masking import to_boolean
    >>> to_boolean(np.array([0.0, -np.inf, -1e9, -0.5])).tolist()
    [True, False, False, True]
    """
    bias = np.asarray(bias)
    if not np.issubdtype(bias.dtype, np.floating):
        raise ValueError(f"bias must be a floating additive mask; got dtype {bias.dtype}")
    return bias > threshold


def _check_scores_mask(scores_shape: tuple[int, ...], mask_shape: tuple[int, ...], is_bool: bool, kind: str) -> None:
    try:
        fits = is_bool and np.broadcast_shapes(mask_shape, scores_shape) == scores_shape
    except ValueError:
        fits = False
    if not fits or len(scores_shape) < 1:
        raise ValueError(f"mask must be boolean and broadcast to scores {scores_shape}; got {kind} {mask_shape}")


def masked_softmax(
    scores: ArrayLike, mask: ArrayLike, *, fill: float = -np.inf, zero_empty_rows: bool = False
) -> np.ndarray:
    """Softmax over the last axis after replacing masked scores by ``fill``, as written in most code.

    With ``fill = -inf`` a fully masked row is ``-inf - (-inf)`` = NaN, exactly what
    ``torch.softmax`` gives; with ``fill = -1e9`` the row is uniform over the masked keys.
    ``zero_empty_rows=True`` returns zeros for such rows, as PyTorch's SDPA does.

    :param scores: ``(..., seq_q, seq_k)``.
    :param mask: boolean, broadcastable to ``scores``, ``True`` = may attend.
    :param fill: the score given to masked keys.
    :param zero_empty_rows: give a fully masked row weight 0 everywhere instead of NaN.
    :returns: float64 weights of the shape of ``scores``.
    :raises ValueError: for a non-boolean ``mask`` or one that does not broadcast to ``scores``.

    >>> import numpy as np
    >>> from concepts.masking import masked_softmax
    >>> mask = np.array([[True, True], [False, False]])
    >>> masked_softmax(np.zeros((2, 2)), mask).tolist()
    [[0.5, 0.5], [nan, nan]]
    >>> masked_softmax(np.zeros((2, 2)), mask, zero_empty_rows=True).tolist()
    [[0.5, 0.5], [0.0, 0.0]]
    """
    scores, mask = np.asarray(scores, dtype=np.float64), np.asarray(mask)
    _check_scores_mask(scores.shape, mask.shape, mask.dtype == bool, str(mask.dtype))
    filled = np.where(mask, scores, fill)
    empty = ~np.broadcast_to(mask, scores.shape).any(axis=-1, keepdims=True)  # rows with no allowed key
    if zero_empty_rows:
        filled = np.where(empty, 0.0, filled)  # any finite row: its weights are thrown away below
    with np.errstate(invalid="ignore"):  # -inf - (-inf) = NaN on a fully masked row: the point
        e = np.exp(filled - filled.max(axis=-1, keepdims=True))  # softmax(s) = softmax(s - max s)
        weights = e / e.sum(axis=-1, keepdims=True)
    return np.where(empty, 0.0, weights) if zero_empty_rows else weights


def masked_softmax_torch(
    scores: torch.Tensor, mask: torch.Tensor, *, fill: float = float("-inf"), zero_empty_rows: bool = False
) -> torch.Tensor:
    """PyTorch mirror of ``masked_softmax``, whose empty rows stay safe in the backward pass too.

    The empty rows are filled with a finite score *before* the softmax and zeroed after it
    (two ``masked_fill`` calls), so no NaN is ever computed: patching NaN to 0 after the
    softmax would fix the forward pass only, as the softmax's backward multiplies by the
    NaN weights and sends NaN into the scores' gradient.

    >>> import torch
    >>> from concepts.masking import masked_softmax_torch
    >>> scores = torch.zeros(2, 2, requires_grad=True)
    >>> mask = torch.tensor([[True, True], [False, False]])
    >>> w = masked_softmax_torch(scores, mask, zero_empty_rows=True)
    >>> w.tolist()
    [[0.5, 0.5], [0.0, 0.0]]
    >>> w.sum().backward(); bool(scores.grad.isfinite().all())
    True
    """
    torch = require_torch()
    scores, mask = require_tensor(scores, "scores"), require_tensor(mask, "mask")
    _check_scores_mask(tuple(scores.shape), tuple(mask.shape), mask.dtype == torch.bool, str(mask.dtype))
    filled = scores.masked_fill(~mask, fill)
    if not zero_empty_rows:
        return torch.softmax(filled, dim=-1)
    empty = ~mask.expand(scores.shape).any(dim=-1, keepdim=True)  # (..., seq_q, 1)
    return torch.softmax(filled.masked_fill(empty, 0.0), dim=-1).masked_fill(empty, 0.0)


def mlm_mask(
    tokens: ArrayLike,
    *,
    vocab_size: int,
    mask_token_id: int,
    can_mask: ArrayLike | None = None,
    select_prob: float = 0.15,
    mask_prob: float = 0.8,
    random_prob: float = 0.1,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """BERT's input corruption: select 15% of tokens; of those, 80% [MASK], 10% random, 10% unchanged.

    Each eligible token is selected independently (Hugging Face's collator; BERT's own
    script picks ``round(0.15 n)`` per sequence, capped). The labels keep the original token
    at selected positions and ``IGNORE_INDEX = -100`` elsewhere, so the loss covers only
    the selected tokens, including the unchanged ones.

    :param tokens: integer token ids in ``[0, vocab_size)``, any shape such as ``(batch, seq)``.
    :param vocab_size: the size of the vocabulary the random tokens are drawn from.
    :param mask_token_id: the id of ``[MASK]``.
    :param can_mask: boolean, shape of ``tokens``: ``False`` for padding and special tokens.
    :param select_prob: the probability that a token is selected for prediction.
    :param mask_prob: the share of selected tokens replaced by ``[MASK]``.
    :param random_prob: the share of selected tokens replaced by a uniformly random id.
    :param rng: a generator or an int seed, for reproducible corruption; fresh entropy when None.
    :returns: ``(inputs, labels)``, two integer arrays of the shape of ``tokens``.
    :raises ValueError: for ids out of range, probabilities outside ``[0, 1]`` or
        ``mask_prob + random_prob > 1``, or a ``can_mask`` of another shape.

    >>> import numpy as np
    >>> from concepts.masking import mlm_mask
    >>> tokens = np.array([5, 6, 7, 8, 9])
    >>> always_mask = dict(select_prob=1.0, mask_prob=1.0, random_prob=0.0)
    >>> inputs, labels = mlm_mask(tokens, vocab_size=10, mask_token_id=0, **always_mask)
    >>> inputs.tolist(), labels.tolist()
    ([0, 0, 0, 0, 0], [5, 6, 7, 8, 9])
    >>> labels = mlm_mask(tokens, vocab_size=10, mask_token_id=0, select_prob=0.0)[1]
    >>> labels.tolist()  # nothing selected, nothing to predict
    [-100, -100, -100, -100, -100]
    """
    tokens = np.asarray(tokens)
    if not np.issubdtype(tokens.dtype, np.integer) or tokens.size == 0:
        raise ValueError(f"tokens must be a non-empty integer array; got dtype {tokens.dtype}, shape {tokens.shape}")
    if not 0 <= mask_token_id < vocab_size or tokens.min() < 0 or tokens.max() >= vocab_size:
        raise ValueError(f"token ids and mask_token_id must lie in [0, vocab_size = {vocab_size})")
    for name, p in (("select_prob", select_prob), ("mask_prob", mask_prob), ("random_prob", random_prob)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1]; got {p!r}")
    if mask_prob + random_prob > 1.0:
        raise ValueError(f"mask_prob + random_prob must be at most 1; got {mask_prob} + {random_prob}")
    can_mask = np.ones(tokens.shape, dtype=bool) if can_mask is None else np.asarray(can_mask)
    if can_mask.shape != tokens.shape or can_mask.dtype != bool:
        raise ValueError(f"can_mask must be boolean of shape {tokens.shape}; got {can_mask.dtype} {can_mask.shape}")
    rng = require_rng(rng)
    selected = (rng.random(tokens.shape) < select_prob) & can_mask  # ~15% of the eligible tokens
    u = rng.random(tokens.shape)  # one draw decides the fate of a selected token
    to_mask = selected & (u < mask_prob)  # 80%: [MASK]
    to_random = selected & (u >= mask_prob) & (u < mask_prob + random_prob)  # 10%: random id
    inputs = np.where(to_mask, mask_token_id, tokens)
    inputs = np.where(to_random, rng.integers(0, vocab_size, size=tokens.shape), inputs)  # rest: unchanged
    labels = np.where(selected, tokens, IGNORE_INDEX)  # the loss sees only the selected positions
    return inputs, labels
