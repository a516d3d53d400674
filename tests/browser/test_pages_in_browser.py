"""The site as a visitor meets it in Chromium: quizzes, dropdowns, tabs, math, search."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from concepts import CATALOG, slugs
from quiz.bank import load_bank
from quiz.sphinxext import question_anchor

from .conftest import ROOT, Watched, build, serve

TABLE = json.loads((ROOT / "tests" / "quiz" / "grading_table.json").read_text(encoding="utf-8"))
EVIL = "<img src=x onerror=alert(1)>"


def right_input(q: dict) -> list[str] | str:
    if q["type"] in ("single", "multi"):
        return [o["id"] for o in q["options"] if o["correct"]]
    if q["type"] == "numeric":
        return repr(q["answer"])
    return q["accept"][0]


def wrong_input(q: dict) -> list[str] | str:
    if q["type"] in ("single", "multi"):
        return [next(o["id"] for o in q["options"] if not o["correct"])]
    if q["type"] == "numeric":
        return repr(q["answer"] * 3 + 7)
    return "certainly not the answer"


def answer(page, q: dict, given: list[str] | str) -> str:
    """Answer one question through the form and return the verdict the page shows."""
    block = page.locator(f"#{question_anchor(q['id'])}")
    if isinstance(given, list):
        for option_id in given:
            block.locator(f"input[value='{option_id}']").check()
    else:
        block.locator("input.quiz-input").fill(given)
    block.locator("button.quiz-check").click()
    text = block.locator(".quiz-feedback").inner_text()
    if text.startswith("Not an answer"):
        return "invalid"
    return {"\u2713 Right.": "right", "\u2717 Wrong.": "wrong"}[text.splitlines()[0].strip()]


@pytest.fixture(scope="module")
def table_site(browser, tmp_path_factory) -> str:
    """A one-page site rendering the shared grading table (and nothing else)."""
    base = tmp_path_factory.mktemp("table")
    conf, src = base / "conf", base / "src"
    conf.mkdir()
    src.mkdir()
    (conf / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "extensions = ['myst_parser', 'sphinx_design', 'quiz.sphinxext']\n"
        "myst_enable_extensions = ['dollarmath', 'colon_fence']\n"
    )
    bank = base / "grading_table.json"
    bank.write_text(json.dumps(TABLE["bank"]))
    evil = json.loads(json.dumps(TABLE["bank"]).replace("grading_table", "evil"))
    evil["questions"][0]["prompt"] = f"Which one? {EVIL}"
    evil["questions"][0]["options"][0]["text"] = f"{EVIL} first"
    evil["questions"][0]["options"][0]["explain"] = f"{EVIL} explained"
    (base / "evil.json").write_text(json.dumps(evil))
    toc = "```{toctree}\n:hidden:\n\nevil\n```\n"
    (src / "index.md").write_text(f"# Table\n\n{toc}\n## Intuition\n\n```{{quiz-questions}} {bank}\n```\n")
    (src / "evil.md").write_text(f"# Evil\n\n## Intuition\n\n```{{quiz-questions}} {base / 'evil.json'}\n```\n")
    build(src, base / "html", conf)
    url, _ = serve(base / "html")
    return url


def test_shared_grading_table_in_the_page(table_site: str, watched: Watched) -> None:
    page = watched.page
    page.goto(table_site + "/index.html")
    questions = {q["id"]: q for q in TABLE["bank"]["questions"]}
    data = json.loads(page.locator("script.quiz-data").text_content())
    for case in TABLE["cases"]:
        q = questions[case["question"]]
        js = page.evaluate(
            "([q, given, fold]) => window.quizGrading.verdict(q, given, fold)",
            [q, case["input"], data["fold"]],
        )
        assert js == case["verdict"], f"JS grader: {case}"
        if q["type"] == "single" and len(case["input"]) > 1:
            continue  # radio buttons cannot hold two choices; the grader call above covers it
        page.locator("button.quiz-again").click()
        assert answer(page, q, case["input"]) == case["verdict"], f"page: {case}"
    watched.clean()


def test_bank_markup_renders_as_text(table_site: str, watched: Watched) -> None:
    page = watched.page
    page.goto(table_site + "/evil.html")
    page.locator("button.quiz-check").first.wait_for()
    assert page.locator("article img, .body img, img[src='x']").count() == 0
    assert EVIL in page.locator(".quiz-question").first.inner_text()
    q = json.loads(json.dumps(TABLE["bank"]["questions"][0]).replace("grading_table", "evil"))
    assert answer(page, q, ["first"]) == "wrong"
    assert f"{EVIL} explained" in page.locator(".quiz-feedback").first.inner_text()
    watched.clean()


@pytest.mark.parametrize("slug", slugs())
def test_retrieval_check_grades_every_question(site: str, watched: Watched, screenshots: Path, slug: str) -> None:
    page = watched.page
    page.goto(f"{site}/concepts/{slug}.html")
    bank = load_bank(slug)
    n = len(bank["questions"])
    score = page.locator(".quiz-score")
    for q in bank["questions"]:
        assert answer(page, q, right_input(q)) == "right", q["id"]
        feedback = page.locator(f"#{question_anchor(q['id'])} .quiz-feedback").inner_text()
        assert "Reread the section that teaches it" in feedback
    assert score.inner_text() == f"Score: {n} of {n} answered ({n} questions)."
    page.locator(f"#{question_anchor(bank['questions'][0]['id'])}").screenshot(
        path=screenshots / f"{slug}-question.png"
    )
    page.locator("button.quiz-again").click()
    assert score.inner_text() == f"Score: 0 of 0 answered ({n} questions)."
    for q in bank["questions"]:
        assert answer(page, q, wrong_input(q)) == "wrong", q["id"]
        feedback = page.locator(f"#{question_anchor(q['id'])} .quiz-feedback").inner_text()
        if q["type"] in ("single", "multi"):
            assert "You chose" in feedback and "The right answer:" in feedback
        else:
            assert "Answer:" in feedback
    assert score.inner_text() == f"Score: 0 of {n} answered ({n} questions)."
    watched.clean()


@pytest.mark.parametrize("slug", slugs())
def test_page_renders_math_tabs_dropdowns(site: str, watched: Watched, screenshots: Path, slug: str) -> None:
    page = watched.page
    page.goto(f"{site}/concepts/{slug}.html")
    page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0", timeout=30_000)
    math = page.locator("#the-math mjx-container")
    assert math.count() > 0
    body = page.locator("article").inner_text()
    assert "$$" not in body and not re.search(r"\\\(|\\\[", body), "raw TeX left on the page"
    tabs = page.locator("#code .sd-tab-set").first
    if tabs.count():
        labels = tabs.locator("label.sd-tab-label")
        labels.nth(1).click()
        assert tabs.locator(".sd-tab-content").nth(1).is_visible()
        assert not tabs.locator(".sd-tab-content").nth(0).is_visible()
    item = page.locator(".quiz-interview-item details").first
    assert not item.locator(".sd-summary-content").is_visible()
    item.locator("summary").click()
    assert item.locator(".sd-summary-content").is_visible()
    page.screenshot(path=screenshots / f"{slug}.png", full_page=True)
    watched.clean()


def test_keyboard_only_and_labels(site: str, watched: Watched) -> None:
    page = watched.page
    slug = slugs()[0]
    page.goto(f"{site}/concepts/{slug}.html")
    unlabelled = page.evaluate(
        "() => Array.from(document.querySelectorAll('.quiz-form input')).filter(i => i.labels.length === 0).length"
    )
    assert unlabelled == 0
    q = next(q for q in load_bank(slug)["questions"] if q["type"] == "single")
    block = page.locator(f"#{question_anchor(q['id'])}")
    right = next(o["id"] for o in q["options"] if o["correct"])
    block.locator(f"input[value='{right}']").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "quiz-check" in focused
    page.keyboard.press("Enter")
    assert block.locator(".quiz-feedback").inner_text().startswith("\u2713 Right.")
    watched.clean()


def test_without_javascript_the_dropdowns_still_work(site: str, browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/concepts/{slugs()[0]}.html")
    question = page.locator(".quiz-question").first
    assert question.locator("ol.quiz-options").is_visible()
    assert page.locator(".quiz-form").count() == 0
    question.locator("summary").click()
    assert question.locator(".quiz-key").is_visible()
    context.close()


def test_search_finds_a_concept(site: str, watched: Watched, screenshots: Path) -> None:
    page = watched.page
    concept = CATALOG[0]
    page.goto(f"{site}/search.html?q={concept.title.split()[-1]}")
    link = page.locator(f"#search-results a[href*='concepts/{concept.slug}.html']").first
    link.wait_for(timeout=30_000)
    page.screenshot(path=screenshots / "search.png")
    watched.clean()


def test_index_links_every_concept(site: str, watched: Watched, screenshots: Path) -> None:
    page = watched.page
    page.goto(site + "/index.html")
    for slug in slugs():
        assert page.locator(f"a[href*='concepts/{slug}.html']").count() >= 1
    page.screenshot(path=screenshots / "index.png", full_page=True)
    watched.clean()
