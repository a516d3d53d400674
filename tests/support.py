"""Helpers shared by the test folders: run the quiz CLI, build a Sphinx site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_quiz(*args: str, stdin: str | None = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m quiz ARGS`` in a real process, from the project's root."""
    return subprocess.run(
        [sys.executable, "-m", "quiz", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def sphinx_html(src: Path, out: Path, *, conf: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Build ``src`` into ``out`` as the docs env does: HTML, nitpicky, warnings are errors."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-c",
            str(conf),
            "-nW",
            "--keep-going",
            "-q",
            "-d",
            str(out.parent / f".doctrees-{out.name}"),
            str(src),
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
    )


def bank_tolerance(question: dict, value: float) -> float:
    """The tolerance the quiz itself grants for ``question`` (its abs_tol or rel_tol)."""
    return max(question.get("abs_tol", 0.0), question.get("rel_tol", 0.0) * abs(value))


def check_numeric_keys(slug: str, computed: dict[str, float], tolerance) -> dict[str, dict]:
    """Every numeric question of a bank has a value computed from the package, and its key agrees.

    ``tolerance(question, value)`` says how close the key must be; returns the numeric
    questions by id, for checks of a file's own.
    """
    bank = json.loads((ROOT / "quiz" / "banks" / f"{slug}.json").read_text(encoding="utf-8"))
    numeric = {q["id"]: q for q in bank["questions"] if q["type"] == "numeric"}
    assert set(numeric) == set(computed), "every numeric question needs a computed answer here"
    for qid, value in computed.items():
        assert abs(numeric[qid]["answer"] - value) <= tolerance(numeric[qid], value), (
            qid,
            numeric[qid]["answer"],
            value,
        )
    return numeric
