"""The grading rules: what each question type accepts and how it is judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quiz.bank import validate_files
from quiz.grading import AnswerFormatError, grade, normalize_text, parse_answer, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.125", 0.125),
        ("1/8", 0.125),
        (" 1 / 8 ", 0.125),
        ("1e-3", 0.001),
        ("1E-3", 0.001),
        ("2,359,296", 2359296.0),
        ("-3", -3.0),
        ("\u22123", -3.0),
        (".5", 0.5),
        ("12.5%", 0.125),
        ("+7", 7.0),
    ],
)
def test_parse_number_accepts_what_people_type(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value, rel=1e-15)


def test_parse_number_strips_the_questions_unit() -> None:
    assert parse_number("0.5 MiB", unit="MiB") == 0.5
    assert parse_number("0.5mib", unit="MiB") == 0.5


@pytest.mark.parametrize("text", ["", "abc", "1/0", "1,23", "1..2", "inf", "nan", "1/2/3", "0x10", "1e999"])
def test_parse_number_rejects_with_a_hint(text: str) -> None:
    with pytest.raises(AnswerFormatError, match="number"):
        parse_number(text)


def test_normalize_text_folds_case_width_and_spaces() -> None:
    assert normalize_text("  Root\u00a0Mean   SQUARE ") == "root mean square"
    assert normalize_text("Ｌａｙｅｒ") == "layer"
    assert normalize_text("Straße") == "strasse"


def test_single_accepts_letter_or_option_id_in_display_order(sample) -> None:
    q = sample["questions"][0]
    order = ["none", "sqrt-dk", "by-dk"]
    assert parse_answer(q, "B", order) == ["sqrt-dk"]
    assert parse_answer(q, "sqrt-dk", order) == ["sqrt-dk"]
    assert grade(q, parse_answer(q, "b", order)) is True
    assert grade(q, parse_answer(q, "a", order)) is False


@pytest.mark.parametrize("text", ["d", "a b", "ab", "", "sqrt"])
def test_single_rejects_anything_but_one_option(sample, text: str) -> None:
    with pytest.raises(AnswerFormatError):
        parse_answer(sample["questions"][0], text)


@pytest.mark.parametrize("text", ["a, c", "a c", "ac", "c,a", "layernorm rmsnorm", "A,C,a"])
def test_multi_forms_are_equivalent(sample, text: str) -> None:
    q = sample["questions"][1]
    assert parse_answer(q, text) == ["layernorm", "rmsnorm"]
    assert grade(q, parse_answer(q, text)) is True


def test_multi_is_all_or_nothing(sample) -> None:
    q = sample["questions"][1]
    assert grade(q, ["layernorm"]) is False
    assert grade(q, ["layernorm", "dropout", "rmsnorm"]) is False


def test_numeric_tolerances(sample) -> None:
    q = sample["questions"][2]
    assert grade(q, 0.125) and grade(q, parse_answer(q, "1/8"))
    assert not grade(q, 0.1251)
    relative = {"type": "numeric", "answer": 1000.0, "rel_tol": 0.01}
    assert grade(relative, 1009.0) and not grade(relative, 1011.0)
    absolute = {"type": "numeric", "answer": 0.0, "abs_tol": 0.5}
    assert grade(absolute, -0.5) and not grade(absolute, 0.51)


@pytest.mark.parametrize(
    ("text", "right"),
    [
        ("RMSNorm", True),
        ("rms   norm", True),
        ("RMS normalisation", True),
        ("Root Mean Square Norm", True),
        ("layernorm", False),
        ("rms", False),
    ],
)
def test_text_accept_and_regex(sample, text: str, right: bool) -> None:
    q = sample["questions"][3]
    assert grade(q, parse_answer(q, text)) is right


def test_text_rejects_blank(sample) -> None:
    with pytest.raises(AnswerFormatError, match="word"):
        parse_answer(sample["questions"][3], "   ")


TABLE = json.loads((Path(__file__).parent / "grading_table.json").read_text(encoding="utf-8"))


def python_verdict(question: dict, given: str | list[str]) -> str:
    """The verdict of the terminal grader; choices are typed as option ids."""
    text = ", ".join(given) if isinstance(given, list) else given
    try:
        return "right" if grade(question, parse_answer(question, text)) else "wrong"
    except AnswerFormatError:
        return "invalid"


@pytest.mark.parametrize("case", TABLE["cases"], ids=lambda c: f"{c['question']}:{c['input']!r}")
def test_shared_grading_table(case: dict) -> None:
    """The same table runs against the page's JavaScript grader in tests/browser."""
    question = next(q for q in TABLE["bank"]["questions"] if q["id"] == case["question"])
    assert python_verdict(question, case["input"]) == case["verdict"]


def test_shared_table_is_a_valid_bank_and_covers_every_question(write_bank) -> None:
    path = write_bank(TABLE["bank"], "grading_table")
    assert validate_files([path]) == []
    verdicts = {(c["question"], c["verdict"]) for c in TABLE["cases"]}
    for q in TABLE["bank"]["questions"]:
        assert {(q["id"], "right"), (q["id"], "wrong")} <= verdicts, q["id"]
