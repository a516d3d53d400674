"""Every page has the six stages in order, pulls its code, and renders its bank; every bank is full."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from concepts import slugs
from quiz.bank import load_bank

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["Intuition", "The math", "Code", "Interview questions", "Pitfalls and follow-ups", "Retrieval check"]


def sections(text: str) -> dict[str, str]:
    """H2 title -> its body, ignoring lines inside code fences."""
    out: dict[str, list[str]] = {}
    current = None
    fence = None
    for line in text.splitlines():
        stripped = line.strip()
        m = re.match(r"(`{3,}|~{3,})", stripped)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and m and stripped == fence[0] * len(stripped) and len(stripped) >= len(fence):
            fence = None
        elif fence is None and line.startswith("## "):
            current = line[3:].strip()
            out[current] = []
            continue
        if current is not None:
            out[current].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


@pytest.mark.parametrize("slug", slugs())
def test_page_has_the_six_stages(slug: str) -> None:
    text = (ROOT / "docs" / "concepts" / f"{slug}.md").read_text(encoding="utf-8")
    assert text.startswith(f"(concept-{slug})=\n# "), "the page opens with its label and one H1"
    assert len(re.findall(r"^# ", text, flags=re.M)) == 1
    hidden = re.findall(r"^\(([a-z0-9-]+)\)=\n## ", text, flags=re.M)
    assert not hidden, f"a label right above a stage heading replaces its id (#intuition, #code, ...): {hidden}"
    parts = sections(text)
    assert list(parts) == STAGES
    assert "```{plot}" in parts["Intuition"], "Intuition needs a figure drawn at build time"
    assert "$" in parts["The math"]
    assert ":pyobject:" in parts["Code"] and "```{doctest}" in parts["Code"]
    assert re.search(rf"```{{quiz-interview}} {slug}\n```", parts["Interview questions"])
    assert re.search(rf"```{{quiz-questions}} {slug}\n```", parts["Retrieval check"])
    assert len(parts["Pitfalls and follow-ups"].split()) > 80, "pitfalls need substance"


@pytest.mark.parametrize("slug", slugs())
def test_literalincludes_name_real_objects(slug: str) -> None:
    page = ROOT / "docs" / "concepts" / f"{slug}.md"
    text = page.read_text(encoding="utf-8")
    for path, name in re.findall(r"```\{literalinclude\} (\S+)\n(?:.*\n)*?:pyobject: (\S+)", text):
        module = (page.parent / path).resolve()
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        assert name.split(".")[-1] in names, f"{path} has no {name}"


@pytest.mark.parametrize("slug", slugs())
def test_bank_meets_the_bar(slug: str) -> None:
    bank = load_bank(slug)
    questions = bank["questions"]
    assert len(questions) >= 15
    level3 = sum(q["level"] == 3 for q in questions)
    assert 4 * level3 >= len(questions), (
        f"a quarter of the questions are level 3 (analyse); {level3} of {len(questions)}"
    )
    assert set(Counter(q["type"] for q in questions)) == {"single", "multi", "numeric", "text"}
    assert len({q["level"] for q in questions}) >= 2
    assert len(bank["interview"]) >= 6
    assert {i["level"] for i in bank["interview"]} == {"screen", "onsite", "deep-dive"}
    assert all(i["follow_ups"] for i in bank["interview"]), "every interview item has follow-ups"


def headings(text: str) -> list[str]:
    """The page's Markdown headings, leaving out lines inside code fences."""
    out, fence = [], None
    for line in text.splitlines():
        m = re.match(r"\s*(`{3,}|~{3,})", line)
        if fence is None and m:
            fence = m.group(1)
        elif (
            fence is not None and m and line.strip() == fence[0] * len(line.strip()) and len(line.strip()) >= len(fence)
        ):
            fence = None
        elif fence is None and re.match(r"#{1,6} ", line):
            out.append(line)
    return out


def plots(text: str) -> list[str]:
    return re.findall(r"```\{plot\}\n(.*?)\n```", text, flags=re.S)


@pytest.mark.parametrize("slug", slugs())
def test_page_opens_with_key_facts_and_reading_time(slug: str) -> None:
    text = (ROOT / "docs" / "concepts" / f"{slug}.md").read_text(encoding="utf-8")
    head = text.split("\n## ", 1)[0]
    box = re.search(r":::\{admonition\} Key facts\n:class: key-facts\n(.*?)\n:::", head, flags=re.S)
    assert box, "a ':::{admonition} Key facts' box with ':class: key-facts' between the title and Intuition"
    facts = re.findall(r"^\d+\. .*(?:\n {3}.*)*", box.group(1), flags=re.M)
    assert len(facts) == 5, f"exactly five key facts, found {len(facts)}"
    assert all("](#" in fact for fact in facts), "each key fact links to the section that teaches it"
    assert "```{reading-time}\n```" in head, "the reading time under the key facts"


@pytest.mark.parametrize("slug", slugs())
def test_code_stage_has_try_it_yourself(slug: str) -> None:
    text = (ROOT / "docs" / "concepts" / f"{slug}.md").read_text(encoding="utf-8")
    code = sections(text)["Code"]
    assert "### Try it yourself" in code
    assert re.search(rf"```{{quiz-exercises}} {slug}\n```", code.split("### Try it yourself", 1)[1])


@pytest.mark.parametrize("slug", slugs())
def test_headings_are_words_not_tex(slug: str) -> None:
    text = (ROOT / "docs" / "concepts" / f"{slug}.md").read_text(encoding="utf-8")
    for line in headings(text):
        assert not re.search(r"[$\\^]|\b\w+_\w+\b", line.replace("`", "")), f"TeX or a raw name in {line!r}"


@pytest.mark.parametrize("slug", slugs())
def test_plots_fit_the_column(slug: str) -> None:
    text = (ROOT / "docs" / "concepts" / f"{slug}.md").read_text(encoding="utf-8")
    for code in plots(text):
        for width in re.findall(r"figsize\s*=\s*\(\s*([\d.]+)", code):
            assert float(width) <= 6.4, f"figsize width {width} in: the column shows 6.4 in at natural size"
        for size in re.findall(r"\b(?:fontsize|labelsize)\s*=\s*([\d.]+)", code):
            assert float(size) >= 10, f"fontsize={size}: no text below 10 pt"
        assert not re.search(r"\b(?:fontsize|labelsize)\s*=\s*['\"](?:xx-small|x-small|small)", code)


def _literalincludes(text: str) -> list[tuple[str, dict[str, str]]]:
    """(path, options) of each ``{literalinclude}`` block on a page."""
    blocks = re.findall(r"```\{literalinclude\} (\S+)\n((?::[a-z-]+:.*\n)*)", text)
    return [(path, dict(re.findall(r":([a-z-]+): ?(.*)", options))) for path, options in blocks]


def _selected(spec: str, length: int) -> set[int]:
    """The line numbers (1-based, within the object) a ``:lines:`` spec such as ``1-8,20-`` selects."""
    chosen: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        start = int(low) if low else 1
        end = (int(high) if high else length) if "-" in part else start
        chosen |= set(range(start, end + 1))
    return chosen


def _find(tree: ast.Module, dotted: str) -> ast.FunctionDef | ast.ClassDef:
    *owners, name = dotted.split(".")
    scope: ast.AST = tree
    for owner in owners:
        scope = next(n for n in ast.walk(scope) if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == owner)
    return next(n for n in ast.walk(scope) if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == name)


@pytest.mark.parametrize("slug", slugs())
def test_code_stage_folds_exactly_the_docstrings(slug: str) -> None:
    """A ``:lines:`` under a ``:pyobject:`` include shows the code without its docstring, or the docstring alone.

    The Code stage shows the algorithm first and folds the docstring (issue 8). When a docstring
    grows, this names the ``:lines:`` to update, instead of letting the page show half a
    docstring or cut the code.
    """
    page = ROOT / "docs" / "concepts" / f"{slug}.md"
    for path, options in _literalincludes(page.read_text(encoding="utf-8")):
        if "pyobject" not in options or "lines" not in options:
            continue
        node = _find(ast.parse((page.parent / path).resolve().read_text(encoding="utf-8")), options["pyobject"])
        doc = node.body[0]
        assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant), f"{node.name} has no docstring"
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        length = node.end_lineno - first + 1
        docstring = set(range(doc.lineno - first + 1, doc.end_lineno - first + 2))
        code = set(range(1, length + 1)) - docstring
        got = _selected(options["lines"], length)
        fold, alone = f"1-{min(docstring) - 1},{max(docstring) + 1}-", f"{min(docstring)}-{max(docstring)}"
        assert got in (code, docstring), (
            f"{path} {node.name}: :lines: {options['lines']} shows neither the code without its docstring "
            f"({fold}) nor the docstring alone ({alone})"
        )
