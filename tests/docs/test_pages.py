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
