"""Exercise kv_cache.bytes-per-token: how many bytes the KV cache grows by per token.

Check your solution with ``python -m quiz check kv_cache.bytes-per-token <this file>``.
"""

from __future__ import annotations


def kv_cache_bytes_per_token(num_layers: int, num_kv_heads: int, head_dim: int, bytes_per_elem: float) -> int:
    """Bytes one more token adds to a decoder's KV cache.

    Every layer stores, for every key/value head, one key vector and one value vector of
    ``head_dim`` numbers, each ``bytes_per_elem`` bytes (4 for fp32, 2 for fp16 or bf16,
    1 for int8 or fp8). With grouped-query attention only the ``num_kv_heads`` key/value
    heads count, not the query heads.

    :param num_layers: decoder layers ``L``.
    :param num_kv_heads: key/value heads per layer (``h`` for MHA, ``g`` for GQA, 1 for MQA).
    :param head_dim: numbers per head ``d_head``.
    :param bytes_per_elem: bytes per stored number.
    :returns: the bytes per token, as an ``int``.

    >>> kv_cache_bytes_per_token(32, 32, 128, 2)  # Llama-2-7B in fp16: 0.5 MiB
    524288
    """
    raise NotImplementedError("write this function")
