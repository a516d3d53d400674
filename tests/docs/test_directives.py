"""The site's own directives in a one-page project: reading time and "Try it yourself"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from support import sphinx_html

from quiz.sphinxext import exercise_commands, prose_word_count, reading_minutes

ROOT = Path(__file__).resolve().parents[2]

EXERCISES = [
    {
        "id": "sample.stable-softmax",
        "title": "A stable softmax",
        "level": "warm-up",
        "minutes": 15,
        "function": "softmax",
        "reference": "concepts.attention:softmax",
        "summary": "Subtract the row maximum so $e^x$ never overflows.",
        "source": "the-math",
    },
    {
        "id": "sample.sdpa",
        "title": "Scaled dot-product attention",
        "level": "interview",
        "minutes": 30,
        "function": "scaled_dot_product_attention",
        "reference": "concepts.attention:scaled_dot_product_attention",
        "summary": "With a boolean `mask` where **True** may attend.",
        "source": "the-math",
    },
]


@pytest.fixture
def one_page(tmp_path: Path):
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

    def make(bank: dict, prose_words: int) -> BeautifulSoup:
        path = tmp_path / "sample.json"
        path.write_text(json.dumps(bank))
        prose = " ".join(["word"] * prose_words)
        code = "\n".join(f"x{i} = {i}" for i in range(2000))  # code is not read as prose
        (src / "index.md").write_text(
            f"# Sample\n\n{prose}\n\n```{{reading-time}}\n```\n\n(intuition)=\n## Intuition\n\nText.\n\n"
            "(the-math)=\n## The math\n\n"
            f"```python\n{code}\n```\n\n### Try it yourself\n\n```{{quiz-exercises}} {path}\n```\n\n"
            f"## Retrieval check\n\n```{{quiz-questions}} {path}\n```\n"
        )
        result = sphinx_html(src, tmp_path / "out", conf=conf)
        assert result.returncode == 0, result.stderr
        return BeautifulSoup((tmp_path / "out" / "index.html").read_text(encoding="utf-8"), "html.parser")

    return make


def test_reading_time_counts_prose_not_code(one_page, sample) -> None:
    soup = one_page(sample, prose_words=1000)
    (para,) = soup.select("p.reading-time")
    # 1000 prose words and the headings, at 200 a minute; the 2000 lines of code add nothing.
    assert para.get_text() == "About 5 min read"


def test_reading_time_rules() -> None:
    assert reading_minutes(0) == 1 and reading_minutes(299) == 1 and reading_minutes(301) == 2
    nested = "````{admonition} Title words\n:class: key-facts\n\nthree more words\n\n```python\nx = 1\n```\n````\n"
    assert prose_word_count(nested) == 5
    assert prose_word_count("$$\na + b\n= c\n$$\nafter\n") == 1
    assert prose_word_count("See [the math](#the-math) and {ref}`this <x-y>`.\n") == 5


def test_exercises_render_with_their_commands(one_page, sample) -> None:
    sample["exercises"] = EXERCISES
    soup = one_page(sample, prose_words=10)
    items = soup.select("li.quiz-exercise")
    assert len(items) == 2
    for item, ex in zip(items, EXERCISES, strict=True):
        text = " ".join(item.get_text(" ").split())
        assert ex["title"] in text and f"about {ex['minutes']} min" in text
        code = item.select_one("pre").get_text()
        for command in exercise_commands(ex["id"]):
            assert f"$ {command}" in code
        assert item.select_one("a[href='#the-math']"), "no link to the section to reread"
    assert "python -m quiz check sample.stable-softmax sample_stable_softmax.py" in items[0].get_text()
    assert items[0].select(".math"), "the summary's math is rendered"
    assert items[1].select_one("code").get_text() == "mask", "the summary's Markdown is rendered"


def test_a_bank_without_exercises_renders_a_sentence(one_page, sample) -> None:
    sample.pop("exercises", None)
    soup = one_page(sample, prose_words=10)
    (para,) = soup.select("p.quiz-exercises-none")
    assert re.search(r"python -m quiz exercises", para.get_text())


def test_misconceptions_are_on_the_page_and_only_their_answers_in_the_data(one_page, sample) -> None:
    q = next(q for q in sample["questions"] if q["type"] == "numeric")
    q["misconceptions"] = [{"answer": 2359296, "explain": "Counts a **bias** per output."}]
    soup = one_page(sample, prose_words=10)
    block = soup.select_one(f"#q-{q['id'].replace('.', '-').replace('_', '-')}")
    shown = block.select_one("details .quiz-misconceptions")
    assert shown is not None and "2359296: Counts a bias per output." in " ".join(shown.get_text(" ").split())
    assert shown.select_one("strong") and block.select_one(".quiz-misconception strong"), "Markdown rendered"
    data = json.loads(soup.select_one("script.quiz-data").get_text())
    listed = next(d for d in data["questions"] if d["id"] == q["id"])["misconceptions"]
    assert listed == [{"answer": 2359296}], "the explanations stay on the page, not in the data"


def test_intro_names_the_terminal_command_and_can_be_rewritten(one_page, sample) -> None:
    soup = one_page(sample, prose_words=10)
    intro = soup.select_one("p.quiz-intro")
    assert intro.select_one(".quiz-intro-how").get_text() == "Answer each before you open it"
    assert f"python -m quiz {sample['concept']}" in intro.get_text()
