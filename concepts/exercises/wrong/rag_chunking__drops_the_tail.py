"""Only keeps full windows, so the tokens after the last full window are never indexed."""

EXPECTED_FAILURE = "check_chunk_windows"


def chunk_tokens(tokens, size, overlap):
    if overlap >= size:
        raise ValueError("overlap must be smaller than size")
    tokens = list(tokens)
    return [tokens[i : i + size] for i in range(0, len(tokens) - size + 1, size - overlap)]
