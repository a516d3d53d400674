"""Moves each window by size instead of size - overlap: the chunks never overlap."""

EXPECTED_FAILURE = "check_chunk_windows"


def chunk_tokens(tokens, size, overlap):
    if overlap >= size:
        raise ValueError("overlap must be smaller than size")
    tokens = list(tokens)
    return [tokens[i : i + size] for i in range(0, len(tokens), size)]
