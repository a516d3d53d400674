"""A small valid bank that tests copy, break and write to disk."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

SAMPLE: dict[str, Any] = {
    "$schema": "../schema.json",
    "concept": "sample",
    "title": "A sample bank",
    "version": 1,
    "questions": [
        {
            "id": "sample.pick",
            "type": "single",
            "prompt": "Which scaling keeps dot products at unit variance?",
            "explanation": "The variance of a dot product of unit-variance vectors is $d_k$.",
            "level": 1,
            "tags": ["scaling"],
            "source": "the-math",
            "options": [
                {
                    "id": "by-dk",
                    "text": "Divide by $d_k$",
                    "correct": False,
                    "explain": "Too much: variance becomes 1/d_k.",
                },
                {
                    "id": "sqrt-dk",
                    "text": "Divide by $\\sqrt{d_k}$",
                    "correct": True,
                    "explain": "Variance d_k / d_k = 1.",
                },
                {"id": "none", "text": "No scaling", "correct": False, "explain": "Variance grows like d_k."},
            ],
        },
        {
            "id": "sample.several",
            "type": "multi",
            "prompt": "Which are normalisation layers?",
            "explanation": "Dropout regularises; it does not normalise.",
            "level": 2,
            "tags": [],
            "source": "intuition",
            "options": [
                {
                    "id": "layernorm",
                    "text": "LayerNorm",
                    "correct": True,
                    "explain": "Normalises each token's features.",
                },
                {"id": "dropout", "text": "Dropout", "correct": False, "explain": "Zeroes activations at random."},
                {"id": "rmsnorm", "text": "RMSNorm", "correct": True, "explain": "Scales by the root mean square."},
            ],
        },
        {
            "id": "sample.number",
            "type": "numeric",
            "prompt": "What is 1/8 as a decimal?",
            "explanation": "One eighth is 0.125.",
            "level": 1,
            "tags": [],
            "source": "the-math",
            "answer": 0.125,
            "abs_tol": 1e-9,
            "decimals": 3,
            "misconceptions": [
                {"answer": 8, "explain": "That is eight over one: the fraction was read upside down."},
                {"answer": 0.18, "explain": "The digits of 1/8 are not 1 and 8 after the point."},
            ],
        },
        {
            "id": "sample.word",
            "type": "text",
            "prompt": "Name the normalisation Llama uses.",
            "explanation": "Llama uses RMSNorm before each sublayer.",
            "level": 1,
            "tags": [],
            "source": "intuition",
            "accept": ["RMSNorm", "root mean square norm"],
            "regex": "rms ?norm(alization|alisation)?",
            "misconceptions": [
                {"answer": "LayerNorm", "explain": "The original transformer's norm; Llama drops the mean subtraction."}
            ],
        },
    ],
    "interview": [
        {
            "id": "sample.why",
            "level": "screen",
            "question": "Why scale by $\\sqrt{d_k}$?",
            "answer": "To keep the logits at unit variance so softmax does not saturate.",
            "follow_ups": ["What happens to the gradients when softmax saturates?"],
        }
    ],
    "exercises": [
        {
            "id": "sample.scale",
            "title": "Scale the scores",
            "level": "warm-up",
            "minutes": 15,
            "function": "scale_scores",
            "reference": "concepts.sample:scale_scores",
            "summary": "Divide the dot products by $\\sqrt{d_k}$.",
            "source": "the-math",
        }
    ],
}


@pytest.fixture(autouse=True)
def private_progress(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every process it starts) keeps progress and caches in its own folder, never the user's."""
    path = tmp_path_factory.mktemp("progress") / "progress.sqlite3"
    monkeypatch.setenv("INTERVIEW_CONCEPTS_DB", str(path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(path.parent / "cache"))
    return path


@pytest.fixture(autouse=True)
def steady_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """An 80-column terminal and a fixed address for the published site, whatever the test runs in."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("INTERVIEW_CONCEPTS_SITE", "https://site.example/docs/")


@pytest.fixture
def sample() -> dict[str, Any]:
    """A fresh deep copy of the sample bank, safe to mutate."""
    return copy.deepcopy(SAMPLE)


@pytest.fixture
def write_bank(tmp_path: Path):
    """Write a bank (a dict, or raw text) to ``tmp_path/<name>.json`` and return the path."""

    def write(bank: dict[str, Any] | str, name: str = "sample") -> Path:
        path = tmp_path / f"{name}.json"
        path.write_text(bank if isinstance(bank, str) else json.dumps(bank, indent=2), encoding="utf-8")
        return path

    return write


_MISSING_REFERENCES: list[str] = []


def _note_import_skip(report) -> None:
    if report.skipped and isinstance(report.longrepr, tuple) and "could not import" in str(report.longrepr[2]):
        _MISSING_REFERENCES.append(f"{report.nodeid}: {report.longrepr[2]}")


def pytest_collectreport(report) -> None:
    _note_import_skip(report)


def pytest_runtest_logreport(report) -> None:
    _note_import_skip(report)


def pytest_sessionfinish(session, exitstatus) -> None:
    """In CI, a test skipped because a reference library is missing fails the run.

    The test extra installs every reference (PyTorch, transformers, peft, trl, xgboost,
    rank-bm25); such a skip means an install step is missing, which a green run would hide.
    """
    if _MISSING_REFERENCES and os.environ.get("CI"):
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for line in ["CI has every test dependency, yet these were skipped:", *_MISSING_REFERENCES]:
            reporter.write_line(line, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
