"""The site as a visitor meets it in Chromium: quizzes, dropdowns, tabs, math, search."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

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


# -- Geometry, figures, typography, search, the in-page quiz (issue 8 "The pages") ------------

WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
SCREENSHOT_PAGES = ("attention", "multi_head_attention")
MIN_TEXT_PX = 11
FONT_SIZES = {"xx-small": 5.79, "x-small": 6.94, "small": 8.33, "medium": 10, "large": 12, "x-large": 14.4}


def wait_for_math(page) -> None:
    """Until MathJax has typeset the page (and site.js has marked wide inline math)."""
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
        " && document.querySelectorAll('mjx-container').length > 0",
        timeout=30_000,
    )
    page.evaluate("() => MathJax.startup.promise")
    page.wait_for_timeout(200)


def smallest_font_pt(slug: str) -> float:
    """The smallest font size the page's plot code asks for; matplotlib's default is 10 pt."""
    text = (ROOT / "docs" / "concepts" / f"{slug}.md").read_text(encoding="utf-8")
    sizes = [10.0]
    for value in re.findall(r"\b(?:fontsize|labelsize)\s*=\s*([\d.]+|\"[a-z-]+\"|'[a-z-]+')", text):
        value = value.strip("'\"")
        sizes.append(float(value) if value[0].isdigit() else FONT_SIZES.get(value, 10.0))
    return min(sizes)


# The outermost elements that stick out of the viewport, leaving out what a scroller holds.
OVERFLOWING = """() => {
  const vw = document.documentElement.clientWidth, out = [];
  const scrolls = (e) => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX);
  for (const e of document.querySelectorAll('body *')) {
    if (e.getBoundingClientRect().right <= vw + 1) continue;
    let inside = false;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(a) || a.getBoundingClientRect().right > vw + 1) { inside = true; break; }
    }
    if (!inside) out.push(`${e.tagName.toLowerCase()}.${e.className} "${e.textContent.slice(0, 50)}"`);
  }
  return out.slice(0, 8);
}"""


@pytest.fixture(scope="module")
def wide_page(browser):
    context = browser.new_context(viewport=WIDE)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("slug", slugs())
def test_at_1280_every_display_equation_fits_its_column(site: str, wide_page, slug: str) -> None:
    page = wide_page
    page.goto(f"{site}/concepts/{slug}.html")
    wait_for_math(page)
    report = page.evaluate(
        """() => Array.from(document.querySelectorAll('article mjx-container[display="true"]')).map(m => {
             const s = getComputedStyle(m);
             return {text: m.textContent.slice(0, 60), scroll: m.scrollWidth, client: m.clientWidth,
                     overflow: s.overflowX, cue: s.backgroundImage.includes('gradient')};
           })"""
    )
    assert report, "no display equations"
    assert all(r["overflow"] == "auto" and r["cue"] for r in report), "overflow must scroll, with a visible cue"
    wide = [
        f"{r['text']!r}: {r['scroll']} px in a {r['client']} px column" for r in report if r["scroll"] > r["client"] + 1
    ]
    assert not wide, "display equations wider than the column at 1280 px:\n" + "\n".join(wide)


@pytest.mark.parametrize("name", [*(f"concepts/{s}" for s in slugs()), "index", "guide", "exercises"])
def test_at_390_no_page_is_wider_than_the_phone(site: str, phone_page, name: str) -> None:
    page = phone_page
    page.goto(f"{site}/{name}.html")
    page.wait_for_load_state("load")
    if page.evaluate("() => Boolean(window.MathJax && MathJax.startup && MathJax.startup.promise)"):
        page.evaluate("() => MathJax.startup.promise")
        page.wait_for_timeout(200)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    culprits = page.evaluate(OVERFLOWING)
    assert width <= PHONE["width"], f"the page is {width} px wide on a 390 px phone; sticking out: {culprits}"


@pytest.mark.parametrize("slug", slugs())
def test_figure_text_is_at_least_11_px_at_1280(site: str, site_html: Path, wide_page, slug: str) -> None:
    from PIL import Image

    page = wide_page
    page.goto(f"{site}/concepts/{slug}.html")
    page.wait_for_load_state("load")
    images = page.evaluate(
        """() => Array.from(document.querySelectorAll('article figure img')).map(i =>
             ({src: i.getAttribute('src'), shown: i.getBoundingClientRect().width, natural: i.naturalWidth,
               alt: i.alt}))"""
    )
    assert images, "no figure"
    pt = smallest_font_pt(slug)
    html = site_html / "concepts"
    for img in images:
        dpi = Image.open((html / img["src"]).resolve()).info.get("dpi", (100, 100))[0]
        px = pt * dpi / 72 * img["shown"] / img["natural"]
        assert px >= MIN_TEXT_PX, f"{img['src']}: {pt:g} pt text shows at {px:.1f} px (< {MIN_TEXT_PX})"
        assert "_images" not in img["alt"], f"{img['src']}: alt text is the file path"


def test_headings_get_heavier_and_larger_up_the_levels(site: str, wide_page) -> None:
    page = wide_page
    page.goto(f"{site}/concepts/attention.html")
    style = page.evaluate(
        """() => ['h1', 'h2', 'h3'].map(t => { const s = getComputedStyle(document.querySelector('article ' + t));
             return [parseFloat(s.fontSize), parseInt(s.fontWeight)]; })"""
    )
    (s1, w1), (s2, w2), (s3, w3) = style
    assert s1 > s2 > s3, f"sizes {style}"
    assert w1 >= w2 >= w3, f"## The math must not be lighter than the ### below it: {style}"


@pytest.mark.parametrize("slug", SCREENSHOT_PAGES)
def test_screenshots_at_both_widths(site: str, browser, screenshots: Path, slug: str) -> None:
    for size in (WIDE, PHONE):
        context = browser.new_context(viewport=size)
        page = context.new_page()
        page.goto(f"{site}/concepts/{slug}.html")
        wait_for_math(page)
        tag = f"{size['width']}x{size['height']}"
        page.screenshot(path=screenshots / f"{slug}-{tag}.png")
        page.locator("#the-math").scroll_into_view_if_needed()
        page.evaluate("() => document.querySelector('#the-math').scrollIntoView()")
        page.screenshot(path=screenshots / f"{slug}-{tag}-math.png")
        context.close()
        assert (screenshots / f"{slug}-{tag}.png").stat().st_size > 10_000


@pytest.mark.parametrize("concept", CATALOG, ids=[c.slug for c in CATALOG])
def test_search_ranks_the_concept_page_first(site: str, wide_page, concept) -> None:
    page = wide_page
    for query in (concept.title, concept.slug.replace("_", " ")):
        page.goto(f"{site}/search.html?q={quote(query)}")
        first = page.locator("#search-results li a").first
        first.wait_for(timeout=30_000)
        href = first.get_attribute("href")
        assert f"concepts/{concept.slug}.html" in href, f"searching {query!r}: the first result is {href}"


def test_choices_are_big_enough_to_tap(site: str, phone_page) -> None:
    page = phone_page
    page.goto(f"{site}/concepts/attention.html")
    page.locator(".quiz-form").first.wait_for()
    sizes = page.evaluate(
        """() => Array.from(document.querySelectorAll('.quiz-choice input')).map(i => {
             const r = i.getBoundingClientRect(); return [r.width, r.height]; })"""
    )
    assert sizes and min(min(w, h) for w, h in sizes) >= 24, f"smallest radio or checkbox: {min(sizes)}"


def test_intro_says_what_to_do_once_the_quiz_is_live(site: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{site}/concepts/attention.html")
    page.locator(".quiz-form").first.wait_for()
    intro = page.locator(".quiz-intro").inner_text()
    assert "before you open it" not in intro and "press Check" in intro
    watched.clean()


def test_misconception_feedback_mirrors_the_terminal(table_site: str, watched: Watched) -> None:
    from quiz import grading

    page = watched.page
    page.goto(table_site + "/index.html")
    page.locator(".quiz-form").first.wait_for()
    data = json.loads(page.locator("script.quiz-data").text_content())
    shown = 0
    for q in TABLE["bank"]["questions"]:
        for m in q.get("misconceptions", []):
            page.locator("button.quiz-again").click()
            typed = f"{m['answer']:.12g}" if q["type"] == "numeric" else m["answer"]
            if hasattr(grading, "find_misconception"):
                parsed = grading.parse_answer(q, typed)
                want = grading.find_misconception(q, parsed)
                js = page.evaluate(
                    "([q, t, fold]) => { const g = window.quizGrading;"
                    " return g.findMisconception(q, g.parseAnswer(q, t, fold), fold); }",
                    [q, typed, data["fold"]],
                )
                assert (js is None) == (want is None), f"{q['id']}: JS and Python disagree on {typed!r}"
            assert answer(page, q, typed) == "wrong"
            feedback = page.locator(f"#{question_anchor(q['id'])} .quiz-feedback").inner_text()
            assert m["explain"] in feedback, f"{q['id']}: {typed!r} does not show its misconception"
            shown += 1
        if q["type"] == "numeric":
            page.locator("button.quiz-again").click()
            assert answer(page, q, repr(q["answer"])) == "right"
            feedback = page.locator(f"#{question_anchor(q['id'])} .quiz-feedback").inner_text()
            assert "Answer:" not in feedback, "a right number is not repeated back"
    assert shown, "the grading table lists misconceptions"
    watched.clean()


def test_python_only_regex_escapes_do_not_break_the_page(table_site: str, watched: Watched) -> None:
    """Python's re accepts \\" and \\- where JavaScript's Unicode mode throws; grading must not."""
    import re as python_re

    page = watched.page
    page.goto(table_site + "/index.html")
    page.locator(".quiz-form").first.wait_for()
    cases = [
        (r"(config\.)?\"?num_key_value_heads\"?:?", ['"num_key_value_heads":', "config.num_key_value_heads"], ["x"]),
        (r"top\-k|qk[\- ]?norm", ["top-k", "qk norm", "qknorm"], ["top k"]),
        (r"[a\-z]", ["a", "-"], ["b"]),
    ]
    for pattern, right, wrong in cases:
        for text in right + wrong:
            want = python_re.fullmatch(pattern, text) is not None
            got = page.evaluate(
                "([p, t]) => window.quizGrading.grade({type: 'text', accept: [], regex: p}, t, {})", [pattern, text]
            )
            assert got == want == (text in right), (pattern, text)
    watched.clean()


def test_every_bank_regex_compiles_and_agrees_in_javascript(table_site: str, watched: Watched) -> None:
    """The page grades with JavaScript's RegExp: every bank's pattern must compile there and match as in Python."""
    import re as python_re

    page = watched.page
    page.goto(table_site + "/index.html")
    page.locator(".quiz-form").first.wait_for()
    checked = 0
    for path in sorted((ROOT / "quiz" / "banks").glob("*.json")):
        for q in json.loads(path.read_text(encoding="utf-8"))["questions"]:
            if q["type"] != "text" or "regex" not in q:
                continue
            texts = [*q.get("accept", []), *(m["answer"] for m in q.get("misconceptions", [])), "x"]
            for text in texts:
                want = python_re.fullmatch(q["regex"], text) is not None
                got = page.evaluate(
                    "([p, t]) => window.quizGrading.grade({type: 'text', accept: [], regex: p}, t, {})",
                    [q["regex"], text],
                )
                assert got == want, f"{q['id']}: JavaScript and Python disagree on {text!r} for {q['regex']!r}"
                checked += 1
    assert checked > 100, f"only {checked} regex cases found in the banks"
    watched.clean()
