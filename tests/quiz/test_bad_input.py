"""Malformed banks of every shape and size: one line per problem and exit status 2, never a traceback.

Each case is run twice, as ``python -m quiz FILE`` and ``python -m quiz validate FILE``, in
real processes with a timeout (a FIFO read would block forever).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support import run_quiz as quiz

from quiz.bank import MAX_BYTES, BankError, load_bank, read_json
from quiz.grading import AnswerFormatError, parse_number


def number_in_answer(literal: str) -> Callable[[dict], bytes]:
    def make(sample: dict) -> bytes:
        return json.dumps(sample).replace('"answer": 0.125', f'"answer": {literal}').encode()

    return make


def nested(depth: int, kind: str = "list") -> Callable[[dict], bytes]:
    def make(sample: dict) -> bytes:
        if kind == "list":
            return b"[" * depth + b"]" * depth
        inner = "[" * depth + "]" * depth
        return json.dumps(sample).replace('"tags": ["scaling"]', f'"tags": {inner}', 1).encode()

    return make


CASES: dict[str, tuple[Callable[[dict], bytes], str]] = {
    "nested 5000 levels": (nested(5000), "nested too deeply"),
    "nested 100000 levels": (lambda s: b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
    "nested 50 levels inside a valid bank": (nested(50, "inside"), "nested more than 20 levels"),
    "1e999": (number_in_answer("1e999"), "too large for a float"),
    "-1e999": (number_in_answer("-1e999"), "too large for a float"),
    "NaN": (number_in_answer("NaN"), "NaN is not a JSON number"),
    "Infinity": (number_in_answer("Infinity"), "Infinity is not a JSON number"),
    "an integer of 5000 digits": (number_in_answer("9" * 5000), "digits"),
    "an integer of 400 digits": (number_in_answer("9" * 400), "an integer of 400 digits"),
    "UTF-16 with a BOM": (lambda s: json.dumps(s).encode("utf-16"), "UTF-16 text; save the bank as UTF-8"),
    "UTF-16 without a BOM": (lambda s: json.dumps(s).encode("utf-16-le"), "UTF-16 or UTF-32"),
    "UTF-32": (lambda s: json.dumps(s).encode("utf-32"), "UTF-32 text"),
    "invalid UTF-8": (lambda s: json.dumps(s).encode().replace(b"Which", b"Wh\xff\xfaich"), "not UTF-8 text"),
    "NUL bytes inside": (lambda s: json.dumps(s).replace("Which", "Wh\x00ich").encode(), "invalid JSON"),
    "a lone surrogate": (lambda s: json.dumps(s).replace("Which", "\\ud800Which").encode(), "lone surrogate"),
    "duplicate keys": (
        lambda s: json.dumps(s).replace('"level": 1,', '"level": 1, "level": 2,', 1).encode(),
        "duplicate key 'level'",
    ),
    "empty file": (lambda s: b"", "invalid JSON"),
    "only whitespace": (lambda s: b"  \n\t\n", "invalid JSON"),
    "binary garbage": (lambda s: bytes(range(256)) * 8, "not UTF-8 text"),
    "a top-level array": (lambda s: b"[1, 2, 3]", "is not of type 'object'"),
    "a top-level string": (lambda s: b'"bank"', "is not of type 'object'"),
    "too large": (lambda s: b" " * (MAX_BYTES + 1) + b"{}", "a bank is at most"),
    "a huge string of the wrong type": (
        lambda s: json.dumps(dict(s, version="v" * 1_000_000)).encode(),
        "(shortened)",
    ),
}  # fmt: skip


def one_line(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert result.stderr.count("\n") == 1, result.stderr[-2000:]
    assert words in result.stderr, result.stderr
    assert len(result.stderr) < 600, len(result.stderr)


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_bank_is_one_line_and_exit_2(case: str, sample: dict, tmp_path: Path) -> None:
    make, words = CASES[case]
    path = tmp_path / "sample.json"
    path.write_bytes(make(sample))
    one_line(quiz(str(path), stdin="a\n"), words)
    result = quiz("validate", str(path))
    assert "Traceback" not in result.stderr and result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and words in lines[0] and lines[1] == "1 problem(s) in 1 bank", lines
    with pytest.raises(BankError, match=r"sample\.json: "):
        load_bank(path)


def test_a_utf8_byte_order_mark_is_accepted(sample: dict, tmp_path: Path) -> None:
    path = tmp_path / "sample.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(sample).encode())
    assert load_bank(path)["concept"] == "sample"
    result = quiz("validate", str(path))
    assert result.returncode == 0, result.stderr


def test_a_folder_named_like_a_bank(tmp_path: Path) -> None:
    folder = tmp_path / "sample.json"
    folder.mkdir()
    one_line(quiz(str(folder)), "no such file")
    with pytest.raises(BankError, match="a folder"):
        read_json(folder)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_never_blocks(tmp_path: Path, sample: dict) -> None:
    folder = tmp_path / "banks"
    folder.mkdir()
    (folder / "sample.json").write_text(json.dumps(sample))
    os.mkfifo(folder / "pipe.json")
    one_line(quiz(str(folder / "pipe.json")), "no such file")
    result = quiz("validate", str(folder))  # globs *.json: must not open the FIFO for reading
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "pipe.json: cannot read: not a regular file" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "1 problem(s) in 2 banks"
    with pytest.raises(BankError, match="not a regular file"):
        read_json(folder / "pipe.json")


def test_every_problem_of_a_bank_is_one_line_each(sample: dict, tmp_path: Path) -> None:
    """Several problems at once: validate reports each on its own line, and each line is short."""
    sample["questions"][0]["prompt"] = 7
    sample["questions"][1]["options"][0]["text"] = ["x"] * 100_000
    sample["questions"][2]["decimals"] = "three"
    path = tmp_path / "sample.json"
    path.write_text(json.dumps(sample))
    result = quiz("validate", str(path))
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 4 and lines[-1] == "3 problem(s) in 1 bank", lines
    assert all(len(line) < 400 for line in lines)


def test_the_listing_survives_a_malformed_bank(monkeypatch, tmp_path: Path) -> None:
    """``python -m quiz`` lists the shipped banks; one broken file must not take the list down."""
    from quiz import cli

    broken = tmp_path / "attention.json"
    broken.write_bytes(b"[" * 10_000 + b"]" * 10_000)
    monkeypatch.setattr(cli, "BANK_DIR", tmp_path)
    monkeypatch.setattr(cli, "available", lambda: ["attention"])
    out = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

    assert cli._list(Sink()) == 0
    assert "unreadable: run 'python -m quiz validate'" in "".join(out)


@pytest.mark.parametrize("typed", ["1e999", "9" * 5000, "1/1e-320", "-1e400", "1" + "0" * 400])
def test_huge_typed_numbers_are_rejected_with_a_hint(typed: str) -> None:
    with pytest.raises(AnswerFormatError):
        parse_number(typed)


def test_a_huge_typed_answer_is_asked_again_not_a_crash(sample: dict, write_bank) -> None:
    path = write_bank(sample)
    result = quiz(str(path), "--seed", "0", "-n", "3", "--no-save", stdin="?\n?\n" + "9" * 100_000 + "\n0.125\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "Score: 1 of 3 answered" in result.stdout
