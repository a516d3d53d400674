"""The corpus behind :mod:`concepts.rag`: this site's concept pages, split at their headings.

Kept apart so that ``rag`` stays about retrieval. A page is read as MyST Markdown: fenced
blocks (code, figures, doctests) and directive lines are dropped, and every H1/H2/H3 section
becomes one piece of text named by its MyST label. The evaluation questions ship beside this
module in ``_rag_questions.json``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concepts.rag import Chunk

__all__ = ["load_chunks", "load_questions", "parse_sections"]


_LABEL = re.compile(r"^\(([\w-]+)\)=\s*$")
_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_FENCE = re.compile(r"^(`{3,}|~{3,})")


def parse_sections(markdown: str, slug: str) -> list[tuple[str, str, str]]:
    """Split a MyST page at its H1/H2/H3 headings into ``(anchor, title, text)``, code removed.

    The anchor is the MyST label on the line before the heading, else the heading in
    lower-case words joined by ``-``. Fenced blocks (code, ``{plot}``, ``{doctest}``,
    ``{literalinclude}``), directive lines (``:::``, ``:option:``) and labels are dropped;
    sections left without text are skipped.

    >>> from concepts.rag import parse_sections
    >>> page = "(concept-x)=\\n# X\\nAbout X.\\n(x-why)=\\n## Why X\\n```python\\ncode()\\n```\\nBecause."
    >>> parse_sections(page, "x")
    [('concept-x', 'X', 'About X.'), ('x-why', 'Why X', 'Because.')]
    """
    sections, label, fence = [], None, None
    anchor, title, body = f"concept-{slug}", slug, []
    for line in markdown.splitlines():
        if fence is not None:
            fence = None if line.strip().startswith(fence) else fence
            continue
        if m := _FENCE.match(line.strip()):
            fence = m.group(1)
            continue
        if m := _LABEL.match(line):
            label = m.group(1)
            continue
        if m := _HEADING.match(line):
            sections.append((anchor, title, " ".join(body).strip()))
            title = m.group(2).strip()
            anchor, body = label or "-".join(re.findall(r"[a-z0-9]+", title.lower())), []
        elif not line.lstrip().startswith(":"):
            body.append(line.strip())
        label = None
    sections.append((anchor, title, " ".join(body).strip()))
    return [(a, t, text) for a, t, text in sections if text]


def load_chunks(folder: str | Path, *, size: int = 200, overlap: int = 50) -> list[Chunk]:
    """Every section of every ``*.md`` page in ``folder``, long sections split by :func:`chunk_tokens`.

    A section of more than ``size`` words becomes windows of ``size`` words overlapping by
    ``overlap``, with ids ``slug#anchor/0``, ``/1``, ...; every chunk's text starts with its
    section's title, so a window cut from the middle still says what it is about. The installed package has no pages:
    pass the site's ``docs/concepts`` folder.
    """
    from concepts.rag import Chunk, chunk_tokens  # rag imports this module

    folder = Path(folder)
    pages = sorted(folder.glob("*.md"))
    if not pages:
        raise ValueError(f"folder must hold the concept pages (*.md); found none in {folder}")
    chunks = []
    for page in pages:
        for anchor, title, text in parse_sections(page.read_text(encoding="utf-8"), page.stem):
            parts = chunk_tokens(text.split(), size, overlap)
            for i, part in enumerate(parts):
                suffix = "" if len(parts) == 1 else f"/{i}"
                chunks.append(
                    Chunk(f"{page.stem}#{anchor}{suffix}", page.stem, anchor, title, f"{title}: {' '.join(part)}")
                )
    return chunks


def load_questions() -> list[dict[str, str]]:
    """The shipped evaluation set: each question with the ``slug`` and ``anchor`` of the section that answers it."""
    return json.loads((Path(__file__).parent / "_rag_questions.json").read_text(encoding="utf-8"))["questions"]
