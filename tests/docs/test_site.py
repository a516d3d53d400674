"""Build the site once, offline and warning-free, and read the HTML a visitor gets."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from support import sphinx_html

from concepts import CATALOG, slugs
from quiz.bank import load_bank
from quiz.sphinxext import question_anchor

ROOT = Path(__file__).resolve().parents[2]
EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once for these tests; ``BUILT_SITE=FOLDER`` reads one already built there."""
    given = os.environ.get("BUILT_SITE")
    if given:
        assert (Path(given) / "index.html").is_file(), f"BUILT_SITE={given} holds no built site"
        return Path(given)
    out = tmp_path_factory.mktemp("site")
    result = sphinx_html(ROOT / "docs", out)
    assert result.returncode == 0, f"the site does not build cleanly:\n{result.stderr[-4000:]}"
    return out


def page(site: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((site / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


def test_nothing_is_fetched_from_the_network(site: Path) -> None:
    for html in site.rglob("*.html"):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for el in soup.find_all(tag):
                url = el.get(attr) or ""
                if (
                    tag == "link"
                    and "stylesheet" not in (el.get("rel") or [])
                    and "preload" not in (el.get("rel") or [])
                ):
                    continue
                assert not re.match(r"(https?:)?//", url), f"{html.name} loads {url}"
    mathjax = [
        s.get("src") for s in page(site, "concepts/attention").find_all("script") if "mathjax" in (s.get("src") or "")
    ]
    assert mathjax and all(not src.startswith("http") for src in mathjax)
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_index_presents_the_catalog_by_part(site: Path) -> None:
    soup = page(site, "index")
    cards = soup.select(".sd-card")
    assert len(cards) == len(CATALOG)
    text = " ".join(soup.get_text(" ").split())  # inline literals split words into spans
    for c in CATALOG:
        assert c.title in text and f"python -m quiz {c.slug}" in text
    links = {a.get("href") for a in soup.select("a.sd-stretched-link")}
    assert {f"concepts/{s}.html#concept-{s.replace('_', '-')}" for s in slugs()} <= links


@pytest.mark.parametrize("slug", slugs())
def test_concept_page_renders_every_stage(site: Path, slug: str) -> None:
    soup = page(site, f"concepts/{slug}")
    h2 = [h.get_text().rstrip("#").strip() for h in soup.select("article h2")]
    assert h2 == ["Intuition", "The math", "Code", "Interview questions", "Pitfalls and follow-ups", "Retrieval check"]
    figures = soup.select("#intuition img")
    assert figures, "no figure in Intuition"
    for img in figures:
        png = (site / "concepts" / img["src"]).resolve()
        assert png.is_file() and png.stat().st_size > 10_000, f"figure {img['src']} is missing or empty"
    math = soup.select("#the-math .math")
    assert math and all(("\\(" in m.get_text() or "\\[" in m.get_text()) for m in math)
    assert soup.select("#code .sd-tab-set, #code .highlight-python"), "no code in Code"
    bank = load_bank(slug)
    interview = soup.select("#interview-questions .quiz-interview-item")
    assert len(interview) == len(bank["interview"])
    assert all(item.find("details") for item in interview)
    questions = soup.select("#retrieval-check .quiz-question")
    assert len(questions) == len(bank["questions"])
    assert all(q.find("details") for q in questions)
    assert f"python -m quiz {slug}" in soup.select_one("#retrieval-check").get_text()


def test_api_pages_are_generated(site: Path) -> None:
    for slug in slugs():
        assert (site / "apidocs" / "concepts" / f"concepts.{slug}.html").is_file()


@pytest.fixture
def mini_project(tmp_path: Path, sample):
    """A one-page Sphinx project that renders a bank given by path."""
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "extensions = ['myst_parser', 'sphinx_design', 'quiz.sphinxext']\n"
        "myst_enable_extensions = ['dollarmath', 'colon_fence']\n"
    )
    src = tmp_path / "src"
    src.mkdir()

    def make(bank: dict | str, name: str = "sample") -> subprocess.CompletedProcess[str]:
        path = tmp_path / f"{name}.json"
        path.write_text(bank if isinstance(bank, str) else json.dumps(bank))
        (src / "index.md").write_text(
            f"# Sample\n\n## The math\n\nText.\n\n## Intuition\n\n```{{quiz-interview}} {path}\n```\n\n"
            f"```{{quiz-questions}} {path}\n```\n"
        )
        return sphinx_html(src, tmp_path / "out", conf=conf)

    return make


def test_bank_text_is_escaped_never_injected(mini_project, sample) -> None:
    sample["questions"][0]["prompt"] = f"Which one? {EVIL}"
    sample["questions"][0]["options"][0]["text"] = f"{EVIL} inline"
    sample["interview"][0]["answer"] = f"{EVIL}\n\n<script>alert(2)</script>\n\n[click](javascript:alert(3))"
    result = mini_project(sample)
    assert result.returncode == 0, result.stderr
    html = (Path(result.args[-1]) / "index.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    body = soup.select_one("article") or soup.body
    assert not body.find("img", src="x")
    assert not [s for s in body.find_all("script") if "alert" in s.get_text()]
    assert not body.select("a[href^=javascript]"), "no javascript: link survives"
    assert body.get_text().count(EVIL) == 3
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_invalid_bank_fails_the_build_with_its_error(mini_project, sample) -> None:
    del sample["questions"][1]["options"][0]["explain"]
    result = mini_project(sample)
    assert result.returncode != 0
    assert "sample.json: $.questions[1].options[0]: 'explain' is a required property" in result.stderr


def test_missing_bank_fails_the_build(mini_project, tmp_path) -> None:
    result = mini_project("{", name="truncated")
    assert result.returncode != 0
    assert "truncated.json: line 1, column 2: invalid JSON" in result.stderr


def test_source_that_names_no_section_fails_the_build(mini_project, sample) -> None:
    sample["questions"][2]["source"] = "no-such-section"
    result = mini_project(sample)
    assert result.returncode != 0
    assert "question sample.number: source 'no-such-section' is not a section or target id" in result.stderr


# -- Typography, figures, the index and the exercises page (issue 8 "The pages", issue 9) ----

RAW_TEX = re.compile(r"[_^\\$]|\bsqrt\(|\{|\}")


def visible_text(el) -> str:
    """Text a reader sees before MathJax runs, with the math (span.math) and permalinks left out."""
    el = BeautifulSoup(str(el), "html.parser")
    for drop in el.select("span.math, .headerlink, code"):
        drop.decompose()
    return " ".join(el.get_text(" ").split())


@pytest.mark.parametrize("name", ["index", "exercises", *(f"concepts/{s}" for s in slugs())])
def test_headings_carry_no_raw_tex(site: Path, name: str) -> None:
    soup = page(site, name)
    for h in soup.select("article h1, article h2, article h3, article h4"):
        assert not h.select("span.math"), f"math in a heading: {h.get_text()!r}; write it in words"
        assert not RAW_TEX.search(visible_text(h)), f"raw TeX in a heading: {h.get_text()!r}"


def test_index_cards_render_their_math(site: Path) -> None:
    soup = page(site, "index")
    cards = soup.select(".sd-card")
    for card, concept in zip(cards, CATALOG, strict=True):
        text = visible_text(card)
        assert not RAW_TEX.search(text.replace(f"python -m quiz {concept.slug}", "")), f"raw TeX in a card: {text!r}"
        assert len(card.select("span.math")) == concept.summary.count("$") // 2


def test_index_suggests_a_reading_order_and_says_what_each_part_is_for(site: Path) -> None:
    soup = page(site, "index")
    how = soup.select_one("section#reading-order")
    assert how and "Read Part 1 in order" in how.get_text(" ")
    parts = soup.select("#the-catalog h3")
    assert parts, "the catalog is grouped by part"
    for h3 in parts:
        purpose = h3.find_next_sibling()
        assert purpose is not None and "part-purpose" in purpose.get("class", []), f"{h3.get_text()} has no purpose"
    assert soup.select("a[href='exercises.html']"), "the index links the exercises"
    assert page(site, "guide").select("a[href='exercises.html']"), "the guide links the exercises"


def test_exercises_page_lists_every_exercise_of_every_concept(site: Path) -> None:
    soup = page(site, "exercises")
    groups = soup.select(".quiz-exercise-index p.rubric")
    assert [visible_text(g) for g in groups] == [c.title for c in CATALOG]
    listed = {li.get("id") for li in soup.select("li.quiz-exercise")}
    for slug in slugs():
        bank = json.loads((ROOT / "quiz" / "banks" / f"{slug}.json").read_text(encoding="utf-8"))
        for ex in bank.get("exercises", []):
            assert question_anchor(ex["id"]) in listed, f"{ex['id']} is missing from the exercises page"
    text = " ".join(soup.get_text(" ").split())  # highlighting splits a command into spans
    for li in soup.select("li.quiz-exercise"):
        assert "python -m quiz check" in " ".join(li.get_text(" ").split())  # highlighting splits the words
    assert "python -m quiz exercises" in text


@pytest.mark.parametrize("slug", slugs())
def test_figures_have_alt_text_and_a_display_size(site: Path, slug: str) -> None:
    soup = page(site, f"concepts/{slug}")
    for figure in soup.select("article figure"):
        img = figure.find("img")
        caption = figure.find("figcaption")
        if img is None or caption is None:
            continue
        alt = img.get("alt", "")
        assert "_images" not in alt and not alt.endswith(".png"), f"alt text is a file path: {alt!r}"
        shown = "".join(caption.get_text("").split()).removesuffix("#")  # markup in a caption adds spaces
        assert alt and "".join(alt.split()) in shown, alt
        if "plot_directive" in img.get("src", "") or img.get("src", "").startswith("../_images/"):
            assert re.search(r"width:\s*\d+px", img.get("style", "")), f"{img['src']} has no display width"


@pytest.mark.parametrize("slug", slugs())
def test_page_opens_with_key_facts_and_reading_time(site: Path, slug: str) -> None:
    soup = page(site, f"concepts/{slug}")
    article = soup.select_one("article")
    facts = article.select("div.admonition.key-facts")
    assert len(facts) == 1, "one Key facts box under the title"
    items = facts[0].select("ol > li")
    assert len(items) == 5, "exactly five key facts"
    ids = {el.get("id") for el in article.select("[id]")}
    for li in items:
        links = [a["href"] for a in li.select("a[href^='#']")]
        assert links and all(h[1:] in ids for h in links), f"each fact links to its section: {li.get_text()!r}"
    reading = article.select("p.reading-time")
    assert len(reading) == 1 and re.fullmatch(r"About \d+ min read", reading[0].get_text())
    first_h2 = article.select_one("h2")
    assert first_h2 is not None and facts[0].sourceline < first_h2.sourceline, "Key facts come before Intuition"
    exercises = article.select("#code .quiz-exercises")
    assert exercises, "the Code stage has a 'Try it yourself' list of exercises"
