"""The command line as a user meets it: real processes, real exit codes, real stderr."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import run_quiz as quiz

from quiz.bank import available, load_bank
from quiz.runner import EndOfAnswers, Session, display_order, run_quiz

ROOT = Path(__file__).resolve().parents[2]


def right_answers(bank: dict, seed: str) -> list[str]:
    """The right answer to each question as a learner would type it (letters after shuffling)."""
    lines = []
    for q in bank["questions"]:
        if q["type"] in ("single", "multi"):
            order = display_order(q, seed)
            right = {o["id"] for o in q["options"] if o["correct"]}
            lines.append(",".join("abcdefgh"[i] for i, oid in enumerate(order) if oid in right))
        elif q["type"] == "numeric":
            lines.append(repr(q["answer"]))
        else:
            lines.append(q["accept"][0])
    return lines


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("quiz: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_list_shows_every_bank_by_part() -> None:
    result = quiz()
    assert result.returncode == 0
    for slug in available():
        assert f"  {slug} " in result.stdout


def test_piped_answers_grade_a_whole_quiz(sample, write_bank) -> None:
    path = write_bank(sample)
    answers = right_answers(sample, "0")
    result = quiz(str(path), "--seed", "0", stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\nRight.") == 4
    assert "Score: 4 of 4 answered (100%)" in result.stdout
    assert "Reread: https://site.example/docs/concepts/sample.html#the-math" in result.stdout
    assert result.stderr == ""


def test_wrong_answer_feedback_explains_choice_and_key(sample, write_bank) -> None:
    path = write_bank(sample)
    order = display_order(sample["questions"][0], "7")
    wrong = "abc"[order.index("by-dk")]
    result = quiz(str(path), "--seed", "7", "-n", "1", stdin=wrong + "\n")
    out = result.stdout
    letters = {oid: "abc"[i] for i, oid in enumerate(order)}
    assert "\nWrong.\nYou chose:\n" in out
    assert f"  {letters['by-dk']}) Divide by d_k\n     Too much: variance becomes 1/d_k.\nThe answer:\n" in out
    assert f"  {letters['sqrt-dk']}) Divide by √d_k\n     Variance d_k / d_k = 1.\n" in out
    assert "Explanation: The variance of a dot product" in out
    assert "Score: 0 of 1 answered (0%)" in out


def test_invalid_input_is_asked_again_with_a_hint(sample, write_bank) -> None:
    path = write_bank(sample)
    answers = right_answers(sample, "1")
    result = quiz(
        str(path),
        "--seed",
        "1",
        stdin="\n".join(["z", answers[0], "q", *answers[1:2], "one eighth", *answers[2:]]) + "\n",
    )
    assert result.returncode == 0
    assert result.stdout.count("Not an answer:") == 3
    assert "expected a number such as 0.125, 1/8" in result.stdout
    assert "Score: 4 of 4 answered" in result.stdout
    # A pipe cannot retype: every rejected line is also said on stderr, one line each.
    warnings = result.stderr.splitlines()
    assert len(warnings) == 3 and all(w.startswith("quiz: rejected ") for w in warnings), result.stderr
    assert "rejected 'one eighth' for sample.number: expected a number" in warnings[2]


def test_answers_file_and_json(sample, write_bank, tmp_path) -> None:
    path = write_bank(sample)
    answers = tmp_path / "answers.txt"
    answers.write_text("sqrt-dk\nlayernorm dropout\n1/8\nrms norm\n")
    result = quiz(str(path), "--answers", str(answers), "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert (data["score"], data["answered"], data["total"]) == (3, 4, 4)
    rows = data["quizzes"][0]["questions"]
    assert [r["id"] for r in rows] == [q["id"] for q in sample["questions"]]
    assert [r["verdict"] for r in rows] == ["right", "wrong", "right", "right"]
    assert rows[1]["given"] == "layernorm dropout" and rows[1]["correct"] == ["layernorm", "rmsnorm"]
    assert rows[2]["answer"] == 0.125


def test_end_of_input_prints_partial_score(sample, write_bank) -> None:
    path = write_bank(sample)
    result = quiz(str(path), "--seed", "0", stdin=right_answers(sample, "0")[0] + "\n")
    assert result.returncode == 0
    assert "Score: 1 of 1 answered (100%); stopped after 1 of 4 questions" in result.stdout
    assert "Traceback" not in result.stderr


def test_ctrl_c_prints_partial_score(sample, write_bank) -> None:
    path = write_bank(sample)
    proc = subprocess.Popen(
        [sys.executable, "-m", "quiz", str(path), "--seed", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # A shell that starts a job in the background sets SIGINT to "ignore", and Python
        # then installs no Ctrl-C handler: give the child the default a terminal gives.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(right_answers(sample, "0")[0] + "\n")
    proc.stdin.flush()
    seen, deadline = "", time.monotonic() + 30
    while "Question 2 of 4" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    time.sleep(0.2)  # the runner prints the question, then waits at the prompt
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Score: 1 of 1 answered (100%); stopped after 1 of 4 questions" in seen + out
    assert "Traceback" not in err


def test_same_seed_same_letters_different_seed_can_differ(sample, write_bank) -> None:
    q = sample["questions"][0]
    assert display_order(q, "3") == display_order(q, "3")
    orders = {tuple(display_order(q, str(seed))) for seed in range(30)}
    assert len(orders) > 1


def test_shuffle_and_limit(sample, write_bank) -> None:
    path = write_bank(sample)
    data = json.loads(quiz(str(path), "--json", "--shuffle", "--seed", "5", "-n", "2", stdin="").stdout)
    assert data["total"] == 2 and data["answered"] == 0

    def first_question(seed: int) -> str:
        shown: list[str] = []

        def stop(prompt: str) -> str:
            raise EOFError

        with pytest.raises(EndOfAnswers):
            run_quiz(sample, Session(stop, shown.append, seed), shuffle=True)
        return next(q["id"] for q in sample["questions"] if q["prompt"] in shown[0])

    firsts = [first_question(seed) for seed in range(12)]
    assert firsts == [first_question(seed) for seed in range(12)]
    assert len(set(firsts)) > 1


def test_malformed_bank_is_one_line_exit_2(sample, write_bank) -> None:
    text = write_bank(sample).read_text()
    truncated = write_bank(text[:200], "truncated")
    assert_one_line_error(quiz(str(truncated)), "truncated.json: line ", "column", "invalid JSON")
    del sample["questions"][0]["options"][0]["explain"]
    broken = write_bank(sample)
    assert_one_line_error(quiz(str(broken)), "sample.json: $.questions[0].options[0]: 'explain' is a required property")


def test_unknown_slug_is_one_line_exit_2() -> None:
    assert_one_line_error(quiz("no_such_concept"), "unknown quiz 'no_such_concept'")


def test_bad_options_are_one_line_exit_2(sample, write_bank) -> None:
    assert_one_line_error(quiz("-n", "zero"), "-n", "whole number")
    assert_one_line_error(quiz("--frobnicate"), "unrecognized arguments")
    assert_one_line_error(quiz(str(write_bank(sample)), "--answers", "/no/such/file"), "cannot read answers")


def test_validate_reports_every_problem_exit_2(sample, write_bank) -> None:
    sample["questions"][0]["options"][0]["correct"] = True
    sample["questions"][3]["regex"] = "("
    result = quiz("validate", str(write_bank(sample)))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and lines[-1] == "2 problem(s) in 1 bank"
    assert all(line.startswith(str(Path(lines[0].split(":")[0]))) for line in lines[:2])


def test_validate_ships_clean() -> None:
    result = quiz("validate")
    assert result.returncode == 0, result.stderr
    n = len(available())
    assert result.stdout.strip() == f"{n} {'bank' if n == 1 else 'banks'} valid"


def test_runner_never_imports_numpy_or_torch(sample, write_bank) -> None:
    path = write_bank(sample)
    code = (
        "import sys, io\n"
        "from quiz.cli import main\n"
        "sys.stdin = io.StringIO('sqrt-dk\\n')\n"
        f"main([{str(path)!r}, '-n', '1'])\n"
        "main([])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'numpy', 'torch', 'scipy', 'sklearn'})\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("slug", available())
def test_every_shipped_bank_can_be_answered_perfectly_from_a_pipe(slug: str) -> None:
    bank = load_bank(slug)
    answers = right_answers(bank, "0")
    result = quiz(slug, "--seed", "0", "--json", stdin="\n".join(answers) + "\n")
    data = json.loads(result.stdout)
    n = len(bank["questions"])
    assert (data["score"], data["answered"], data["total"]) == (n, n, n)
