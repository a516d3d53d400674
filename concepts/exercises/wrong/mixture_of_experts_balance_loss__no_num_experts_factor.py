"""sum_i f_i P_i without the factor N, so even routing scores 1/N instead of 1 and the scale depends on N."""

import numpy as np

EXPECTED_FAILURE = "check_even_routing"


def load_balancing_loss(router_logits, *, top_k=1, mask=None):
    logits = np.asarray(router_logits, dtype=np.float64)
    logits = logits if logits.ndim == 3 else logits[None]
    n = logits.shape[-1]
    keep = np.ones(logits.shape[1]) if mask is None else np.asarray(mask, dtype=np.float64).reshape(-1)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    top = np.argsort(-probs, axis=-1, kind="stable")[..., :top_k]
    chosen = (top[..., None] == np.arange(n)).any(axis=-2)
    rows = keep.sum() * logits.shape[0]
    f = (chosen * keep[:, None]).sum(axis=(0, 1)) / rows
    p = (probs * keep[:, None]).sum(axis=(0, 1)) / rows
    return float(np.sum(f * p))
