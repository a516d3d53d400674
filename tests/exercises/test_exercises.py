"""Every exercise: its starter, its checks on our code, its known-wrong solutions, and the CLI around it.

The checks that grade a learner are the checks our implementation must pass: the reference
(the bank's ``reference``, a public function of the package) passes every check, and each
known-wrong solution that ships fails the check it names. ``python -m quiz check`` is run
for real (a subprocess with a time limit) on the reference, a wrong solution and broken files.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, run_quiz

from concepts import slugs
from concepts.exercises import starter_path, wrong_paths
from concepts.exercises._harness import run_checks
from quiz.bank import load_bank, page_ids

EXERCISES = [(slug, ex) for slug in slugs() for ex in load_bank(slug).get("exercises", [])]
IDS = [ex["id"] for _, ex in EXERCISES]


def _reference(ex: dict):
    module, _, name = ex["reference"].partition(":")
    return getattr(importlib.import_module(module), name)


def _checks(ex: dict) -> list:
    slug = ex["id"].split(".")[0]
    return importlib.import_module(f"concepts.exercises.{slug}").CHECKS[ex["id"]]


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"wrong_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("slug", slugs())
def test_every_concept_has_a_warm_up_and_an_interview_exercise(slug: str) -> None:
    exercises = load_bank(slug).get("exercises", [])
    assert len(exercises) >= 2, f"{slug} needs at least two exercises (issue 9)"
    assert {"warm-up", "interview"} <= {ex["level"] for ex in exercises}


@pytest.mark.parametrize(("slug", "ex"), EXERCISES, ids=IDS)
def test_starter_states_the_reference_signature_and_its_example_runs(slug: str, ex: dict) -> None:
    path = starter_path(ex["id"])
    assert path.is_file(), f"missing starter {path}"
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ex["function"]]
    assert funcs, f"the starter defines no {ex['function']}"
    body = funcs[0].body
    raises = [n for n in ast.walk(funcs[0]) if isinstance(n, ast.Raise)]
    assert any("NotImplementedError" in ast.unparse(r) for r in raises), "the starter's body raises NotImplementedError"
    assert ast.get_docstring(funcs[0]) and len(body) <= 3, "a docstring and a stub body, nothing more"
    starter = _load(path)
    reference = _reference(ex)
    assert inspect.signature(getattr(starter, ex["function"])) == inspect.signature(reference)
    # The worked example in the starter's docstring holds for the reference.
    docstring = ast.get_docstring(funcs[0])
    examples = doctest.DocTestParser().get_examples(docstring)
    assert examples, "the starter's docstring has one worked example as a >>> line"
    globs = {**vars(starter), ex["function"]: reference}
    test = doctest.DocTestParser().get_doctest(docstring, globs, ex["id"], str(path), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"the starter's example fails on the reference ({ex['reference']})"


@pytest.mark.parametrize(("slug", "ex"), EXERCISES, ids=IDS)
def test_reference_passes_every_check(slug: str, ex: dict) -> None:
    checks = _checks(ex)
    assert len(checks) >= 2, "an exercise checks more than one thing"
    anchors = page_ids(ROOT / "docs" / "concepts" / f"{slug}.md")
    for c in checks:
        assert c.section in anchors, f"{c.name} points at #{c.section}, which {slug}.md does not define"
    results = run_checks(checks, _reference(ex))
    failed = [(r.name, r.message) for r in results if not r.passed]
    assert not failed, failed


@pytest.mark.parametrize(("slug", "ex"), EXERCISES, ids=IDS)
def test_each_known_wrong_solution_fails_the_check_it_names(slug: str, ex: dict) -> None:
    wrong = wrong_paths(ex["id"])
    assert len(wrong) >= 2, f"{ex['id']} ships at least two known-wrong solutions"
    names = {c.name for c in _checks(ex)}
    for path in wrong:
        module = _load(path)
        expected = module.EXPECTED_FAILURE
        assert expected in names, f"{path.name}: EXPECTED_FAILURE names no check of {ex['id']}: {expected}"
        assert (module.__doc__ or "").strip(), f"{path.name}: the docstring says the mistake"
        results = {r.name: r for r in run_checks(_checks(ex), getattr(module, ex["function"]), files=[path])}
        assert not results[expected].passed, f"{path.name} passes {expected}, the check meant to catch it"
        assert results[expected].message, "a failure says what differed"


# ---- The command line, run for real ------------------------------------------------------


def _check(ex_id: str, path: Path, *extra: str):
    """``python -m quiz check`` on a terminal wide enough that no verdict line wraps."""
    return run_quiz("check", ex_id, str(path), "--no-save", *extra, stdin=None, env={"COLUMNS": "200"})


@pytest.mark.parametrize(("slug", "ex"), EXERCISES, ids=IDS)
def test_check_names_the_failed_check_of_a_wrong_solution(slug: str, ex: dict) -> None:
    """The whole path, for real: ``python -m quiz check`` grades a known-wrong file in a subprocess.

    (The reference passing every check is tested in-process above, and through the command
    line once, in ``test_a_pass_is_recorded_and_marked_solved``: each run costs a PyTorch import.)
    """
    wrong = wrong_paths(ex["id"])[0]
    bad = _check(ex["id"], wrong)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    expected = _load(wrong).EXPECTED_FAILURE
    failing = [line for line in bad.stdout.splitlines() if line.startswith("  FAIL")]
    assert any(f"[{expected}]" in line for line in failing), bad.stdout
    assert "Reread: " in bad.stdout


@pytest.mark.parametrize(("slug", "ex"), EXERCISES, ids=IDS)
def test_broken_files_give_a_clear_message_and_the_right_status(slug: str, ex: dict, tmp_path: Path) -> None:
    fn = ex["function"]
    syntax = tmp_path / "syntax.py"
    syntax.write_text(f"def {fn}(x:\n    return x\n", encoding="utf-8")
    r = _check(ex["id"], syntax)
    assert r.returncode == 1 and "does not compile" in r.stdout and "line 1" in r.stdout, r.stdout + r.stderr

    missing = tmp_path / "missing.py"
    missing.write_text("def something_else():\n    return 1\n", encoding="utf-8")
    r = _check(ex["id"], missing)
    assert r.returncode == 2 and f"defines no function {fn}" in r.stderr and len(r.stderr.splitlines()) == 1

    signature = tmp_path / "signature.py"
    signature.write_text(f"def {fn}(only_one):\n    return only_one\n", encoding="utf-8")
    r = _check(ex["id"], signature)
    assert r.returncode == 1 and "signature differs" in r.stdout, r.stdout + r.stderr


def _any_exercise() -> dict:
    if not EXERCISES:
        pytest.fail("no exercise ships yet")
    return EXERCISES[0][1]


def _signature_stub(ex: dict, body: str) -> str:
    sig = inspect.signature(_reference(ex))
    params = str(sig).split(" -> ")[0]
    return f"def {ex['function']}{params}:\n{body}\n"


def test_an_exception_shows_the_learners_own_traceback(tmp_path: Path) -> None:
    ex = _any_exercise()
    path = tmp_path / "raises.py"
    path.write_text(_signature_stub(ex, "    return 1 / 0"), encoding="utf-8")
    r = _check(ex["id"], path)
    assert r.returncode == 1
    assert "ZeroDivisionError" in r.stdout and str(path) in r.stdout and "return 1 / 0" in r.stdout
    assert "_harness.py" not in r.stdout and "_run.py" not in r.stdout, "only the learner's frames are shown"


def test_an_infinite_loop_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    ex = _any_exercise()
    path = tmp_path / "loops.py"
    path.write_text(_signature_stub(ex, "    while True:\n        pass"), encoding="utf-8")
    r = _check(ex["id"], path, "--timeout", "8")
    assert r.returncode == 1 and "stopped after 8 s" in r.stdout, r.stdout + r.stderr


def test_a_crash_of_the_whole_process_is_reported(tmp_path: Path) -> None:
    ex = _any_exercise()
    path = tmp_path / "exits.py"
    path.write_text("import os\nos._exit(3)\n" + _signature_stub(ex, "    return 0"), encoding="utf-8")
    r = _check(ex["id"], path)
    assert r.returncode == 1 and "grading process died (exit status 3)" in r.stdout, r.stdout + r.stderr


def test_usage_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    ex = _any_exercise()
    r = _check("attention.nope", tmp_path / "x.py")
    assert r.returncode == 2 and "no exercise 'attention.nope'" in r.stderr and len(r.stderr.splitlines()) == 1
    r = _check(ex["id"], tmp_path / "absent.py")
    assert r.returncode == 2 and "no such file" in r.stderr
    r = run_quiz("check", ex["id"], str(tmp_path), "--no-save")
    assert r.returncode == 2 and "not a file" in r.stderr
    r = run_quiz("check", ex["id"], str(tmp_path / "x.py"), "--timeout", "0")
    assert r.returncode == 2 and "--timeout" in r.stderr


def test_exercise_writes_a_starter_and_refuses_to_overwrite(tmp_path: Path) -> None:
    ex = _any_exercise()
    target = tmp_path / "mine.py"
    r = run_quiz("exercise", ex["id"], "-o", str(target))
    assert r.returncode == 0 and target.read_text(encoding="utf-8") == starter_path(ex["id"]).read_text(
        encoding="utf-8"
    )
    assert f"python -m quiz check {ex['id']} {target}" in r.stdout
    target.write_text("# my work\n", encoding="utf-8")
    r = run_quiz("exercise", ex["id"], "-o", str(target))
    assert r.returncode == 2 and "--force" in r.stderr and target.read_text(encoding="utf-8") == "# my work\n"
    r = run_quiz("exercise", ex["id"], "-o", str(target), "--force")
    assert r.returncode == 0 and "NotImplementedError" in target.read_text(encoding="utf-8")
    r = run_quiz("exercise", ex["id"], "-o", str(tmp_path))  # a folder: the default file name inside it
    assert r.returncode == 0 and (tmp_path / (ex["id"].replace(".", "_").replace("-", "_") + ".py")).is_file()


def test_a_pass_is_recorded_and_marked_solved(tmp_path: Path) -> None:
    ex = _any_exercise()
    db = tmp_path / "progress.sqlite3"
    module, _, name = ex["reference"].partition(":")
    solution = tmp_path / "solution.py"
    solution.write_text(f"from {module} import {name} as {ex['function']}\n", encoding="utf-8")
    starter = tmp_path / "starter.py"
    starter.write_text(starter_path(ex["id"]).read_text(encoding="utf-8"), encoding="utf-8")
    listed = run_quiz("exercises", "--json", "--db", str(db))
    assert not db.exists(), "listing never creates a progress file"
    assert not next(e for e in json.loads(listed.stdout) if e["id"] == ex["id"])["solved"]
    assert run_quiz("check", ex["id"], str(starter), "--db", str(db)).returncode == 1  # the stub: not written yet
    assert run_quiz("check", ex["id"], str(solution), "--db", str(db)).returncode == 0
    rows = {e["id"]: e for e in json.loads(run_quiz("exercises", "--json", "--db", str(db)).stdout)}
    assert rows[ex["id"]]["solved"] and rows[ex["id"]]["attempts"] == 2
    text = run_quiz("exercises", "--db", str(db)).stdout
    assert f"[solved] {ex['id']}" in text
    stats = json.loads(run_quiz("stats", "--json", "--db", str(db)).stdout)
    total = len(load_bank(ex["id"].split(".")[0])["exercises"])
    assert stats["exercises"] == [{"concept": ex["id"].split(".")[0], "solved": 1, "exercises": total, "attempts": 2}]
    assert (
        f"Exercises solved (python -m quiz exercises lists them): {ex['id'].split('.')[0]} 1/{total}"
        in run_quiz("stats", "--db", str(db)).stdout
    )
    assert (
        run_quiz("check", ex["id"], str(solution), "--no-save", "--db", str(tmp_path / "other.sqlite3")).returncode == 0
    )
    assert not (tmp_path / "other.sqlite3").exists(), "--no-save records nothing"


def test_listing_exercises_never_imports_numpy() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from quiz.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['exercises'])\n"
        "print('numpy' in sys.modules, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == "False False", out.stdout + out.stderr
