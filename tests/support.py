"""Helpers shared by the test folders: run the quiz CLI, build a Sphinx site."""

from __future__ import annotations

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
