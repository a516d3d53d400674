"""GPT's training text: the shipped corpus, page prose, the tokenized split, a unigram baseline (a private helper).

The text ``_gpt_corpus.txt`` (next to this file, shipped in the wheel) is prose from eight
of this project's own pages: :func:`page_prose` strips code, directives, labels and tables,
and :func:`write_corpus` regenerates it. The public names are re-exported by
:mod:`concepts.gpt`, which is where the page and the API documentation find them; this file
exists only to keep each module short.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from concepts.tokenization import BPETokenizer, encode, train_bpe

__all__ = [
    "CORPUS",
    "CORPUS_PAGES",
    "corpus_tokens",
    "page_prose",
    "unigram_baseline",
    "write_corpus",
]

CORPUS = Path(__file__).with_name("_gpt_corpus.txt")
CORPUS_PAGES = ("attention", "multi_head_attention", "embeddings", "tokenization", "positional_encoding")
CORPUS_PAGES += ("normalization", "feed_forward", "kv_cache")


def unigram_baseline(train_ids: ArrayLike, heldout_ids: ArrayLike, vocab_size: int) -> float:
    """Cross-entropy (nats per token) of ``heldout_ids`` under add-one-smoothed training unigram counts.

    >>> round(unigram_baseline([0, 0, 1], [0, 1], 2), 4)  # p = (3/5, 2/5)
    0.7136
    """
    counts = np.bincount(np.asarray(train_ids), minlength=vocab_size) + 1.0  # add one: no held-out token gets p = 0
    return float(-np.log(counts[np.asarray(heldout_ids)] / counts.sum()).mean())


def page_prose(md: str) -> str:
    """The prose of a MyST page: fenced blocks, labels, comments and tables dropped, roles and links unwrapped.

    >>> page_prose("# Title\\n(label)=\\n```python\\nx = 1\\n```\\nSee {doc}`attention`.")
    'Title\\nSee attention.\\n'
    """
    out, fence = [], ""
    for line in md.splitlines():
        s = line.strip()
        opener = re.match(r"^(`{3,}|:{3,}|~{3,})", s)
        if fence:
            fence = "" if opener and s == opener.group(1) and s.startswith(fence) else fence
            continue
        if opener:
            fence = opener.group(1)
            continue
        if re.match(r"^\(.*\)=$", s) or s.startswith(("%", ":", "|", ">>>")):
            continue
        line = re.sub(r"\{[a-z-]+\}`([^`<]*?)(?:<[^`]*>)?`", r"\1", line)  # {doc}`x` -> x
        out.append(re.sub(r"^#+ ", "", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def write_corpus(docs: Path | None = None) -> int:
    """Regenerate ``_gpt_corpus.txt`` from ``CORPUS_PAGES``; return its size in bytes."""
    docs = docs or Path(__file__).parents[1] / "docs" / "concepts"
    text = "".join(page_prose((docs / f"{p}.md").read_text(encoding="utf-8")) for p in CORPUS_PAGES)
    CORPUS.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


@functools.cache
def corpus_tokens(vocab_size: int = 512, every: int = 10) -> tuple[BPETokenizer, np.ndarray, np.ndarray]:
    """Split the shipped text into 2,000-character blocks, hold out every ``every``-th, train BPE on the rest.

    :returns: the tokenizer (``vocab_size`` tokens, learned from the training blocks only), the
        training ids and the held-out ids.
    """
    text = CORPUS.read_text(encoding="utf-8")
    blocks = [text[i : i + 2000] for i in range(0, len(text), 2000)]
    train_text = "".join(b for i, b in enumerate(blocks) if i % every != every - 1)
    held_text = "".join(b for i, b in enumerate(blocks) if i % every == every - 1)
    tok = train_bpe(train_text, vocab_size - 256)
    return tok, np.array(encode(tok, train_text), dtype=np.int64), np.array(encode(tok, held_text), dtype=np.int64)
