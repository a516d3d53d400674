"""Bank text for a terminal: Markdown and TeX made readable as plain Unicode, wrapped to fit.

The page renders ``$\\sqrt{d_k}$`` with MathJax; a terminal would show the raw source.
:func:`plain` drops Markdown's marks and hands each math span to :mod:`quiz.tex`, which
writes Unicode (``√d_k``, ``x̄``, ``⌊x⌋``, a matrix as its rows).

:func:`wrap` fills the result to the terminal's width without breaking a word; lists,
code blocks and display equations keep their lines.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from quiz.tex import TexError, base_chars, tex_to_text

__all__ = ["TexError", "plain", "section_address", "terminal_width", "tex_to_text", "wrap"]

SITE_ENV = "INTERVIEW_CONCEPTS_SITE"
# Read the Docs serves a project from <name>.readthedocs.io; the name is the package's.
DEFAULT_SITE = "https://interview-concepts.readthedocs.io/en/latest/"
MAX_WIDTH = 100  # wider lines are hard to read even on a wide terminal


_FENCE = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.S | re.M)
_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?=\S)([^$\n]+?)(?<=\S)\$(?!\d)")


def plain(text: str, *, strict: bool = False) -> str:
    """Bank Markdown as terminal text: math rendered, code and emphasis marks dropped.

    Paragraphs stay separated by blank lines; list items keep their own lines; fenced code
    and display equations come back indented by four spaces, for :func:`wrap` to keep.

    >>> plain(r"Divide by $\\sqrt{d_k}$ so that $q^\\top k$ has variance $1$.")
    'Divide by √d_k so that qᵀk has variance 1.'
    >>> plain(r"$$\\mathrm{softmax}\\left(\\frac{QK^\\top}{\\sqrt{d_k}}\\right)V$$")
    '    softmax(QKᵀ/√d_k)V'
    >>> plain(r"$q \\in \\mathbb{R}^{64}$, $d_{\\text{model}}$, $10000^{2i/d}$, $x^2$")
    'q ∈ ℝ⁶⁴, d_model, 10000^(2i/d), x²'
    >>> plain("Use `torch.nn.LayerNorm`, **not** BatchNorm; see [the page](#the-math).")
    'Use torch.nn.LayerNorm, not BatchNorm; see the page.'
    """
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\x00{len(kept) - 1}\x00"

    def block(body: str) -> str:
        return "\n\n" + "\n".join("    " + line for line in body.rstrip("\n").split("\n")) + "\n\n"

    out = _FENCE.sub(lambda m: keep(block(m[2])), text)
    out = _CODE.sub(lambda m: keep(m[2].strip()), out)

    def display(m: re.Match[str]) -> str:
        alone = m.string[: m.start()].endswith(("\n\n", "\n")) or m.start() == 0
        alone = alone and (m.end() == len(m.string) or m.string[m.end() :].startswith("\n"))
        if alone:
            return keep(block(tex_to_text(m[1], strict=strict, display=True)))
        return keep(tex_to_text(m[1], strict=strict))

    out = _DISPLAY.sub(display, out)
    out = _INLINE.sub(lambda m: keep(tex_to_text(m[1], strict=strict)), out)
    out = re.sub(r"\[([^\]\n]+)\]\((#[^)\s]*)\)", r"\1", out)
    out = re.sub(r"\[([^\]\n]+)\]\(([^)\s]+)\)", r"\1 (\2)", out)
    out = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", out)
    out = re.sub(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])", r"\1", out)
    out = re.sub(r"(?<![\w\\])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?!\w)", r"\1", out)
    out = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|$])", r"\1", out)
    for _ in range(2):  # kept spans may hold kept spans (code inside a display block)
        out = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m[1])], out)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip("\n")


def terminal_width() -> int:
    """The terminal's columns (``$COLUMNS`` wins, as ``shutil`` reads it), at most :data:`MAX_WIDTH`."""
    return max(20, min(MAX_WIDTH, shutil.get_terminal_size((80, 24)).columns))


_ITEM = re.compile(r"^(\s*)([-*+•]|\d+[.)])\s+")


def wrap(text: str, indent: str = "", first: str | None = None, width: int | None = None) -> str:
    """Markdown and TeX made plain, then filled to ``width`` (the terminal's) without breaking a word.

    ``indent`` starts every line; ``first`` replaces it on the very first line.
    """
    width = width or terminal_width()
    blocks: list[str] = []
    for para in plain(text).strip("\n").split("\n\n"):
        lines = para.split("\n")
        if all(line.startswith("    ") or not line.strip() for line in lines):
            blocks.append("\n".join(indent + line for line in lines))
            continue
        items: list[list[str]] = []
        for line in lines:
            if _ITEM.match(line) or not items:
                items.append([line])
            else:
                items[-1].append(line)
        filled = []
        for item in items:
            m = _ITEM.match(item[0])
            words = " ".join(" ".join(item).split())
            if m:
                bullet = "•" if m[2] in "-*+" else m[2]
                head = indent + "  " + bullet + " "
                words = " ".join(" ".join([item[0][m.end() :], *item[1:]]).split())
                rest = indent + " " * (len(bullet) + 3)
            else:
                head, rest = indent, indent
            filled.append(_fill(words, width, head, rest))
        blocks.append("\n".join(filled))
    if first is not None and blocks:
        blocks[0] = first + blocks[0][len(indent) :]
    return "\n\n".join(blocks)


def _columns(text: str) -> int:
    """Terminal columns: combining marks take none, so x̄ counts as one."""
    return len(base_chars(text))


def _fill(words: str, width: int, head: str, rest: str) -> str:
    """Greedy fill by columns; a word longer than the line stays whole on its own line."""
    lines: list[str] = []
    line, used, empty = head, _columns(head), True
    for word in words.split(" "):
        size = _columns(word)
        if not empty and used + 1 + size > width:
            lines.append(line)
            line, used = rest + word, _columns(rest) + size
        else:
            line += word if empty else " " + word
            used += size if empty else 1 + size
        empty = False
    lines.append(line)
    return "\n".join(lines)


def _local_site() -> Path | None:
    """The site built from a source checkout (``tox -e docs``), when there is one."""
    built = Path(__file__).resolve().parent.parent / "docs" / "_build" / "html"
    return built if (built / "index.html").is_file() else None


def section_address(slug: str, anchor: str) -> str:
    """Where to reread a section: ``$INTERVIEW_CONCEPTS_SITE``, else the local build, else the published site.

    >>> os.environ[SITE_ENV] = "https://example.org/docs"
    >>> section_address("attention", "attention-scaling")
    'https://example.org/docs/concepts/attention.html#attention-scaling'
    >>> del os.environ[SITE_ENV]
    """
    base = os.environ.get(SITE_ENV, "").strip()
    if not base:
        local = _local_site()
        base = local.as_uri() if local is not None else DEFAULT_SITE
    return f"{base.rstrip('/')}/concepts/{slug}.html#{anchor}"
