"""Counts the keys only: forgets that every layer caches a value vector beside each key."""

from __future__ import annotations

EXPECTED_FAILURE = "check_published_figures"


def kv_cache_bytes_per_token(num_layers: int, num_kv_heads: int, head_dim: int, bytes_per_elem: float) -> int:
    return int(num_layers * num_kv_heads * head_dim * bytes_per_elem)
