"""Sizes one layer's cache: forgets that every layer keeps its own keys and values."""

from __future__ import annotations

EXPECTED_FAILURE = "check_linear_in_every_argument"


def kv_cache_bytes_per_token(num_layers: int, num_kv_heads: int, head_dim: int, bytes_per_elem: float) -> int:
    return int(2 * num_kv_heads * head_dim * bytes_per_elem)
