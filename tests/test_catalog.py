"""The catalog is the single list of concepts: every slug has its four files, nothing else exists."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from concepts import CATALOG, PARTS, by_slug, slugs

ROOT = Path(__file__).resolve().parents[1]
SHARED_CATALOG = ROOT.parent / "shared" / "CATALOG.md"

FILES = {
    "module": ("concepts/{}.py", ROOT / "concepts", "*.py", lambda p: p.stem),
    "page": ("docs/concepts/{}.md", ROOT / "docs" / "concepts", "*.md", lambda p: p.stem),
    "bank": ("quiz/banks/{}.json", ROOT / "quiz" / "banks", "*.json", lambda p: p.stem),
    "test": ("tests/concepts/test_{}.py", ROOT / "tests" / "concepts", "test_*.py", lambda p: p.stem[5:]),
}


def test_slugs_are_unique_and_well_formed() -> None:
    assert len(set(slugs())) == len(CATALOG)
    for c in CATALOG:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.slug), c.slug
        assert c.part in PARTS and c.title and c.summary.endswith(".")
    assert by_slug(CATALOG[-1].slug) is CATALOG[-1]
    with pytest.raises(KeyError):
        by_slug("nope")


@pytest.mark.parametrize("kind", FILES)
def test_every_slug_has_its_file_and_nothing_else_exists(kind: str) -> None:
    pattern, folder, glob, slug_of = FILES[kind]
    missing = [pattern.format(s) for s in slugs() if not (ROOT / pattern.format(s)).is_file()]
    assert not missing, f"catalog slugs without their {kind}: {missing}"
    present = {slug_of(p) for p in folder.glob(glob) if not p.name.startswith("_")}  # private helpers: _checks.py
    unknown = sorted(present - set(slugs()))
    assert not unknown, f"{kind} files that the catalog does not name: {unknown}"


def _shared_rows() -> dict[str, tuple[int, str]]:
    rows: dict[str, tuple[int, str]] = {}
    part = 0
    for line in SHARED_CATALOG.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"## Part (\d+):", line):
            part = int(m.group(1))
        elif m := re.match(r"\| `([a-z0-9_]+)` \| ([^|]+) \|", line):
            rows[m.group(1)] = (part, m.group(2).strip())
    return rows


def test_catalog_agrees_with_the_teams_catalog() -> None:
    """Slugs, titles, parts and reading order follow ../shared/CATALOG.md (the team's agreement)."""
    if not SHARED_CATALOG.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_CATALOG} is missing; CI always has it beside the project")
        pytest.skip("../shared/CATALOG.md is not beside this checkout")
    rows = _shared_rows()
    for c in CATALOG:
        assert c.slug in rows, f"{c.slug} is not in the team's catalog"
        assert rows[c.slug] == (c.part, c.title), c.slug
    order = list(rows)
    assert [order.index(s) for s in slugs()] == sorted(order.index(s) for s in slugs())


def test_readme_lists_the_catalog() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([^|]+) \| ([^|]+) \| `([a-z0-9_]+)` \|$", readme, flags=re.M)
    assert [(PARTS[c.part], c.title, c.slug) for c in CATALOG] == [tuple(s.strip() for s in r) for r in rows]
