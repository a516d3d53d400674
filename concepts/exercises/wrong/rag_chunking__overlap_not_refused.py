"""Accepts overlap >= size and slides backwards or not at all instead of raising ValueError."""

EXPECTED_FAILURE = "check_chunk_edges"


def chunk_tokens(tokens, size, overlap):
    tokens = list(tokens)
    stride = max(size - overlap, 1)
    chunks = []
    for start in range(0, len(tokens), stride):
        chunks.append(tokens[start : start + size])
        if start + size >= len(tokens):
            break
    return chunks
