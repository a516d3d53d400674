"""What the learner reads after answering: misconceptions, "don't know", multi-select wording, rejected input."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from support import run_quiz as quiz

from quiz.grading import AnswerFormatError, find_misconception, grade, parse_answer
from quiz.runner import Session, display_order, run_quiz


def letters_for(question: dict, seed: str, ids: list[str]) -> str:
    order = display_order(question, seed)
    return ", ".join("abcdefgh"[order.index(i)] for i in ids)


def answered(sample: dict, seed: str, lines: list[str], **session) -> tuple[str, list]:
    """Run the sample bank in process; return everything said and the outcomes."""
    said: list[str] = []
    answers = iter(lines)
    result = run_quiz(sample, Session(lambda prompt: next(answers), said.append, seed, **session))
    return "\n".join(said), result.outcomes


def test_numeric_misconception_is_explained_in_text_and_json(sample, write_bank) -> None:
    path = write_bank(sample)
    q = sample["questions"][2]
    result = quiz(str(path), "--seed", "0", "-n", "3", "--json", "--no-save", stdin="a\na\n8\n")
    row = json.loads(result.stdout)["quizzes"][0]["questions"][2]
    assert row["verdict"] == "wrong"
    assert row["misconception"] == {"answer": 8, "explain": q["misconceptions"][0]["explain"]}
    text = quiz(str(path), "--seed", "0", "-n", "3", "--no-save", stdin="a\na\n8\n").stdout
    assert "A common mistake: That is eight over one: the fraction was read upside down." in text


def test_misconception_matches_within_the_questions_tolerance_and_the_nearest_wins(sample) -> None:
    q = dict(sample["questions"][2], abs_tol=0.01)
    q["misconceptions"] = [
        {"answer": 0.18, "explain": "far"},
        {"answer": 0.19, "explain": "near"},
        {"answer": 8, "explain": "eight"},
    ]
    assert find_misconception(q, 0.188)["explain"] == "near"
    assert find_misconception(q, 0.175)["explain"] == "far"
    assert find_misconception(q, 8.009)["explain"] == "eight"
    assert find_misconception(q, 0.5) is None
    relative = dict(q, rel_tol=0.05, abs_tol=0.0)
    assert find_misconception(relative, 7.7)["explain"] == "eight"


def test_text_misconception_matches_after_normalisation(sample) -> None:
    said, outcomes = answered(sample, "0", ["a", "a", "0.125", "  LAYERNORM "])
    assert outcomes[3].misconception["answer"] == "LayerNorm"
    assert "A common mistake: The original transformer's norm" in said
    said, outcomes = answered(sample, "0", ["a", "a", "0.3", "batchnorm"])
    assert outcomes[2].misconception is None and outcomes[3].misconception is None
    assert "A common mistake" not in said


def test_a_right_answer_never_shows_a_misconception(sample) -> None:
    sample["questions"][2]["misconceptions"][0]["answer"] = 0.125  # a broken bank: validate refuses it
    _, outcomes = answered(sample, "0", ["a", "a", "0.125", "rmsnorm"])
    assert outcomes[2].right and outcomes[2].misconception is None


@pytest.mark.parametrize("typed", ["?", "skip", "Skip", "idk", "don't know"])
def test_dont_know_is_a_lapse_not_a_rejected_input(sample, typed: str) -> None:
    said, outcomes = answered(sample, "0", [typed] * 4, confidence=True)
    assert "Not an answer" not in said
    assert [o.verdict for o in outcomes] == ["wrong"] * 4
    assert all(o.dont_know and o.answer is None and o.rejected == [] for o in outcomes)
    assert "How sure are you?" not in said  # nothing to be sure of
    assert said.count("Not answered: you said you don't know") == 4
    assert "The right options:" in said and "The answer: 0.125" in said and "The answer: RMSNorm" in said


def test_dont_know_is_recorded_as_wrong_and_scheduled_as_again(sample, write_bank, tmp_path) -> None:
    db = tmp_path / "p.sqlite3"
    result = quiz(str(write_bank(sample)), "--db", str(db), "-n", "1", "--json", stdin="?\n")
    row = json.loads(result.stdout)["quizzes"][0]["questions"][0]
    assert (row["verdict"], row["dont_know"], row["rejected"]) == ("wrong", True, [])
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT given, verdict, rating FROM answers").fetchall() == [("?", "wrong", 1)]


@pytest.mark.parametrize("typed", ["{b})", "({b})", "{b}."])
def test_letters_as_printed_are_accepted(sample, typed: str) -> None:
    q = sample["questions"][0]
    order = ["none", "sqrt-dk", "by-dk"]
    assert parse_answer(q, typed.format(b="b"), order) == ["sqrt-dk"]


@pytest.mark.parametrize("typed", ["a, c", "a c", "a,c", "a; c", "a and c", "a) c)", "(a), (c)", "a, c c"])
def test_mixed_separators_in_a_multi_select(sample, typed: str) -> None:
    q = sample["questions"][1]
    assert parse_answer(q, typed) == ["layernorm", "rmsnorm"]


def test_mixed_separators_with_several_letters() -> None:
    q = {"type": "multi", "options": [{"id": f"o{i}"} for i in range(5)]}
    assert parse_answer(q, "a, d e") == ["o0", "o3", "o4"]
    with pytest.raises(AnswerFormatError):
        parse_answer(q, "a, z")


def test_partly_right_multi_says_what_was_right_wrong_and_missed(sample) -> None:
    q = sample["questions"][1]
    typed = letters_for(q, "4", ["layernorm", "dropout"])
    said, outcomes = answered(sample, "4", ["?", typed, "?", "?"])
    assert not outcomes[1].right
    block = said.split("Which are normalisation layers?")[1]
    assert "Partly right: 1 of your 2 choices is right, 1 is wrong, and you missed 1." in block
    right_at = block.index("Right, and you chose it:")
    wrong_at = block.index("Wrong, but you chose it:")
    missed_at = block.index("Right, and you missed it:")
    assert right_at < block.index("LayerNorm\n     Normalises each token's features.") < wrong_at
    assert wrong_at < block.index("Dropout\n     Zeroes activations at random.") < missed_at
    assert missed_at < block.index("RMSNorm\n     Scales by the root mean square.")


def test_partly_right_when_every_choice_is_right_but_one_is_missed(sample) -> None:
    q = sample["questions"][1]
    said, _ = answered(sample, "4", ["?", letters_for(q, "4", ["rmsnorm"]), "?", "?"])
    assert "Partly right: your choice is right, but you missed 1." in said
    said, _ = answered(sample, "4", ["?", letters_for(q, "4", ["dropout"]), "?", "?"])
    assert "Wrong: none of your choices is right." in said


def test_feedback_has_no_repeated_verdicts_or_broken_joins(sample) -> None:
    """The old wording: "Right. You chose b) (right): Right: ..." and "text.; text"."""
    sample["questions"][0]["options"][1]["explain"] = "Right: variance d_k / d_k = 1."
    sample["questions"][1]["options"][0]["text"] = "LayerNorm."
    q0, q1 = sample["questions"][:2]
    runs = [
        [letters_for(q0, "2", ["sqrt-dk"]), letters_for(q1, "2", ["layernorm", "rmsnorm"]), "1/8", "rmsnorm"],
        [letters_for(q0, "2", ["none"]), letters_for(q1, "2", ["dropout", "rmsnorm"]), "8", "layernorm"],
        ["?", "?", "?", "?"],
    ]
    for lines in runs:
        said, _ = answered(sample, "2", lines)
        assert ".;" not in said and "(right)" not in said and "(wrong)" not in said
        assert not re.search(r"Right\.?\s*(You chose.*)?Right:", said), said
        assert "variance d_k / d_k = 1." in said.replace("Variance", "variance")
        assert "Right: variance" not in said


def test_piped_run_that_rejected_input_says_so_on_stderr_and_in_json(sample, write_bank) -> None:
    path = write_bank(sample)
    q0 = sample["questions"][0]
    result = quiz(str(path), "--seed", "0", "-n", "2", "--json", "--no-save", stdin="zz\na\n?\n")
    data = json.loads(result.stdout)
    assert data["rejected"] == 1 and data["quizzes"][0]["rejected"] == 1
    rows = data["quizzes"][0]["questions"]
    assert rows[0]["rejected"] == [{"given": "zz", "reason": "'zz' is not an option; expected one letter from a to c"}]
    assert rows[1]["rejected"] == []
    assert (
        result.stderr == f"quiz: rejected 'zz' for {q0['id']}: 'zz' is not an option; expected one letter from a to c\n"
    )
    clean = quiz(str(path), "--seed", "0", "-n", "1", "--json", "--no-save", stdin="a\n")
    assert clean.stderr == "" and json.loads(clean.stdout)["rejected"] == 0


def test_answers_file_rejections_are_reported_too(sample, write_bank, tmp_path) -> None:
    answers = tmp_path / "answers.txt"
    answers.write_text("a\nnot a letter\nb\n")
    result = quiz(str(write_bank(sample)), "--answers", str(answers), "-n", "2", "--no-save")
    assert result.returncode == 0
    assert result.stderr.count("quiz: rejected 'not a letter' for sample.several") == 1


def test_grading_a_misconception_stays_wrong(sample) -> None:
    q = sample["questions"][2]
    for m in q["misconceptions"]:
        assert grade(q, float(m["answer"])) is False
