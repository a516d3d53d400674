"""``python -m quiz exercises | exercise ID | check ID FILE``: write a concept yourself, get it graded.

The exercises are listed in the banks (key ``exercises``), so listing them and writing a
starter file never imports NumPy. ``check`` compiles the learner's file here (a syntax
error or a missing function is reported at once), then grades it in a subprocess with a
time limit (``concepts.exercises._run``), so an infinite loop or a crash never takes the
runner down.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from quiz.bank import available, load_bank

__all__ = ["CheckOutcome", "Exercise", "all_exercises", "find_exercise", "run_check", "starter_text"]

DEFAULT_TIMEOUT = 60.0


class ExerciseError(Exception):
    """A usage error: unknown exercise, missing file, no such function; exit status 2."""


@dataclass(frozen=True)
class Exercise:
    """One exercise as its bank lists it."""

    concept: str
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def function(self) -> str:
        return self.data["function"]

    @property
    def file_name(self) -> str:
        """The default file name for the learner: ``attention.sdpa`` -> ``attention_sdpa.py``."""
        return self.id.replace(".", "_").replace("-", "_") + ".py"


def _catalog_order() -> list[str]:
    from concepts import slugs  # the catalog module imports nothing heavy

    order = slugs()
    return [s for s in order if s in set(available())]


def all_exercises() -> list[Exercise]:
    """Every exercise of every shipped bank, concepts in catalog order."""
    return [Exercise(slug, ex) for slug in _catalog_order() for ex in load_bank(slug).get("exercises", [])]


def find_exercise(exercise_id: str) -> Exercise:
    """The exercise with that id (case-insensitive), or an :class:`ExerciseError` with suggestions."""
    exercises = all_exercises()
    for ex in exercises:
        if ex.id.casefold() == exercise_id.casefold():
            return ex
    ids = [ex.id for ex in exercises]
    close = difflib.get_close_matches(exercise_id, ids, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; python -m quiz exercises lists them"
    raise ExerciseError(f"no exercise {exercise_id!r}{hint}")


def starter_text(exercise: Exercise) -> str:
    """The starter file that ships for ``exercise``."""
    from concepts.exercises import starter_path  # a path lookup; imports nothing heavy

    path = starter_path(exercise.id)
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise ExerciseError(f"the starter of {exercise.id} is missing from the installation ({path})") from None


def write_starter(exercise: Exercise, target: Path, *, force: bool = False) -> Path:
    """Write the starter to ``target`` (a file, or a folder to put ``attention_sdpa.py`` in)."""
    if target.is_dir():
        target = target / exercise.file_name
    if target.exists() and not force:
        raise ExerciseError(f"{target} exists; keep your work, or pass --force to overwrite it")
    if not target.parent.is_dir():
        raise ExerciseError(f"{target.parent} is not a folder")
    text = starter_text(exercise)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ExerciseError(f"{target}: cannot write the starter: {exc.strerror or exc}") from None
    return target


@dataclass
class CheckOutcome:
    """What ``check`` found: one entry per check, or a reason the file could not be graded."""

    exercise: Exercise
    file: Path
    status: str  # graded, syntax-error, load-error, signature, timeout, crashed
    results: list[dict[str, Any]]
    message: str = ""
    output: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "graded" and bool(self.results) and all(r["passed"] for r in self.results)

    def as_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise.id,
            "file": str(self.file),
            "status": self.status,
            "passed": self.passed,
            "checks": self.results,
            "message": self.message,
            "output": self.output,
        }


def _read_source(path: Path) -> str:
    if not path.exists():
        raise ExerciseError(f"{path}: no such file (python -m quiz exercise ID writes a starter)")
    if not path.is_file():
        raise ExerciseError(f"{path}: not a file")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExerciseError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ExerciseError(f"{path}: cannot read it: {exc.strerror or exc}") from None


def _syntax_message(exc: SyntaxError) -> str:
    where = f"line {exc.lineno}" if exc.lineno else "somewhere"
    text = (exc.text or "").rstrip("\n")
    caret = ""
    if text and exc.offset:
        stripped = text.lstrip()
        caret = "\n    " + stripped + "\n    " + " " * max(0, exc.offset - 1 - (len(text) - len(stripped))) + "^"
    return f"the file does not compile: {exc.msg} at {where}{caret}"


def _defines(tree: ast.Module, name: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.ImportFrom | ast.Import):
            targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            names += [a.asname or a.name for a in getattr(node, "names", [])]
            if name in names:
                return True
    return False


def _arguments(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, str]]:
    """(name, kind) of each parameter, in order: the part of a signature callers rely on."""
    a = node.args
    out = [(x.arg, "positional-only") for x in a.posonlyargs] + [(x.arg, "positional") for x in a.args]
    out += [(a.vararg.arg, "*args")] if a.vararg else []
    out += [(x.arg, "keyword-only") for x in a.kwonlyargs]
    out += [(a.kwarg.arg, "**kwargs")] if a.kwarg else []
    return out


def _function_node(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def _reference_signature(exercise: Exercise) -> tuple[str, list[tuple[str, str]]] | None:
    """The reference's signature read from its source (no import), or None if it cannot be read."""
    import importlib.util

    module, _, name = exercise.data["reference"].partition(":")
    try:
        spec = importlib.util.find_spec(module)
        source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else None
    except (ImportError, OSError, ValueError):
        return None
    node = _function_node(ast.parse(source), name) if source else None
    return None if node is None else (ast.unparse(node.args), _arguments(node))


def _signature_problem(exercise: Exercise, tree: ast.Module) -> str | None:
    """Why the learner's signature differs from the reference's, or None (also when it cannot tell)."""
    mine = _function_node(tree, exercise.function)
    want = _reference_signature(exercise)
    if mine is None or want is None or _arguments(mine) == want[1]:
        return None
    fn = exercise.function
    return f"the signature differs from the exercise's: expected {fn}({want[0]}), got {fn}({ast.unparse(mine.args)})"


def run_check(exercise: Exercise, path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> CheckOutcome:
    """Grade the learner file ``path`` in a subprocess; raises :class:`ExerciseError` for usage errors."""
    source = _read_source(path)
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return CheckOutcome(exercise, path, "syntax-error", [], _syntax_message(exc))
    if not _defines(tree, exercise.function):
        raise ExerciseError(
            f"{path} defines no function {exercise.function}; the exercise asks for {exercise.function}(...) "
            f"(python -m quiz exercise {exercise.id} writes a starter)"
        )
    if problem := _signature_problem(exercise, tree):
        return CheckOutcome(exercise, path, "signature", [], problem)
    with tempfile.TemporaryDirectory(prefix="quiz-check-") as tmp:
        result_file = Path(tmp) / "result.json"
        command = [
            sys.executable,
            "-m",
            "concepts.exercises._run",
            json.dumps(exercise.data),
            str(path),
            str(result_file),
        ]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, env=env
        )
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            message = (
                f"stopped after {timeout:g} s: your function did not return in time (an infinite loop, or a very slow "
                "algorithm?); raise the limit with --timeout SECONDS"
            )
            return CheckOutcome(exercise, path, "timeout", [], message)
        output = output.strip()
        if not result_file.exists():
            tail = "\n".join(output.splitlines()[-12:])
            how = f"exit status {process.returncode}" if process.returncode >= 0 else f"signal {-process.returncode}"
            return CheckOutcome(exercise, path, "crashed", [], f"the grading process died ({how}):\n{tail}")
        verdict = json.loads(result_file.read_text(encoding="utf-8"))
    if verdict["status"] == "missing":
        raise ExerciseError(verdict["message"])
    return CheckOutcome(
        exercise, path, verdict["status"], verdict.get("results", []), verdict.get("message", ""), output
    )


def _indent(text: str, prefix: str = "      ") -> str:
    """``text`` indented by ``prefix``; prose lines wrap at the terminal's width, array rows never do."""
    import textwrap

    width = max(40, terminal_width() - 1)
    out = []
    for line in text.splitlines():
        body = line.lstrip()
        if len(prefix + line) <= width or body.startswith(("[", "|", "File ")) or not body:
            out.append(prefix + line if line else line)
            continue
        lead = prefix + line[: len(line) - len(body)]
        out.extend(
            textwrap.wrap(body, width, initial_indent=lead, subsequent_indent=lead + "  ", break_long_words=False)
        )
    return "\n".join(out)


def report(outcome: CheckOutcome, out: IO[str], reread: Any) -> None:
    """Print one line per check, and what to do about each failure."""
    ex = outcome.exercise
    out.write(f"{ex.data['title']} ({ex.id}), {outcome.file}\n")
    if outcome.status != "graded":
        out.write(f"  FAIL  {outcome.message}\n")
    for r in outcome.results:
        mark = "pass" if r["passed"] else "FAIL"
        out.write(_indent(f"{mark}  {r['description']} [{r['name']}]", "  ") + "\n")
        if not r["passed"]:
            out.write(_indent(r["message"]) + "\n")
            out.write(f"      Reread: {reread(ex.concept, r['section'])}\n")
    if outcome.output:
        lines = outcome.output.splitlines()
        shown = "\n".join(lines[:20]) + (f"\n... ({len(lines) - 20} more lines)" if len(lines) > 20 else "")
        out.write("Your code printed:\n" + _indent(shown, "  | ") + "\n")
    if outcome.passed:
        out.write(f"All {len(outcome.results)} checks pass.\n")
    elif outcome.status == "graded":
        failed = sum(not r["passed"] for r in outcome.results)
        out.write(f"{failed} of {len(outcome.results)} checks fail.\n")


def terminal_width() -> int:
    return shutil.get_terminal_size((80, 24)).columns


def _reread(concept: str, anchor: str) -> str:
    """The address of a page section, as the quiz's own feedback gives it."""
    from quiz.terminal import section_address

    return section_address(concept, anchor)


def _solved(db: Path | None) -> dict[str, Any]:
    """Exercise stats from the progress file, or nothing when there is none yet (never creates one)."""
    from quiz.progress import ProgressError, Store, default_db_path

    path = db or default_db_path()
    if not path.is_file():
        return {}
    try:
        with Store(path) as store:
            return store.exercise_stats()
    except ProgressError:
        return {}


def _parser(command: str) -> Any:
    import argparse

    from quiz.cli import _Parser

    if command == "exercises":
        p = _Parser(prog="python -m quiz exercises", description="Every exercise, by concept, with solved marks.")
        p.add_argument("concepts", nargs="*", metavar="SLUG", help="limit to these concepts")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument("--db", type=Path, metavar="PATH", help="the progress file to read solved marks from")
    elif command == "exercise":
        p = _Parser(prog="python -m quiz exercise", description="Write an exercise's starter file.")
        p.add_argument("exercise", metavar="ID", help="an exercise id, e.g. attention.sdpa")
        p.add_argument(
            "-o", "--output", type=Path, default=Path("."), metavar="PATH", help="file or folder (default: here)"
        )
        p.add_argument("--force", action="store_true", help="overwrite an existing file")
    else:
        p = _Parser(prog="python -m quiz check", description="Grade your solution with the checks our code passes.")
        p.add_argument("exercise", metavar="ID", help="an exercise id, e.g. attention.sdpa")
        p.add_argument("file", type=Path, metavar="FILE", help="your solution")
        p.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help=f"stop the grading after this long (default {DEFAULT_TIMEOUT:g})",
        )
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument("--db", type=Path, metavar="PATH", help="the progress file")
        p.add_argument("--no-save", action="store_true", help="do not record the attempt")
    assert isinstance(p, argparse.ArgumentParser)
    return p


def _list(args: Any) -> int:
    exercises = all_exercises()
    if args.concepts:
        wanted = {c.casefold() for c in args.concepts}
        known = {ex.concept for ex in exercises}
        unknown = sorted(c for c in args.concepts if c.casefold() not in known)
        if unknown:
            raise ExerciseError(f"no exercises for {', '.join(unknown)}; python -m quiz exercises lists them all")
        exercises = [ex for ex in exercises if ex.concept in wanted]
    solved = _solved(args.db)
    if args.json:
        rows = [
            {
                **{k: ex.data[k] for k in ("id", "title", "level", "minutes", "function")},
                "concept": ex.concept,
                "solved": ex.id in solved and solved[ex.id].first_pass is not None,
                "attempts": solved[ex.id].attempts if ex.id in solved else 0,
            }
            for ex in exercises
        ]
        print(json.dumps(rows, indent=2))
        return 0
    concept = None
    for ex in exercises:
        if ex.concept != concept:
            concept = ex.concept
            print(f"\n{concept}")
        stats = solved.get(ex.id)
        mark = "[solved]" if stats and stats.first_pass else "[tried] " if stats else "        "
        print(f"  {mark} {ex.id:<36} {ex.data['title']} ({ex.data['level']}, ~{ex.data['minutes']} min)")
    done = sum(1 for ex in exercises if ex.id in solved and solved[ex.id].first_pass)
    print(f"\n{done} of {len(exercises)} solved. Start one: python -m quiz exercise ID")
    return 0


def _write(args: Any) -> int:
    exercise = find_exercise(args.exercise)
    target = write_starter(exercise, args.output, force=args.force)
    print(f"Wrote {target}: {exercise.data['title']}.")
    print(f"Write {exercise.function}, then grade it: python -m quiz check {exercise.id} {target}")
    return 0


def _check(args: Any) -> int:
    from datetime import UTC, datetime

    exercise = find_exercise(args.exercise)
    if not args.timeout > 0:
        raise ExerciseError(f"--timeout must be a positive number of seconds; got {args.timeout:g}")
    outcome = run_check(exercise, args.file, timeout=args.timeout)
    if args.json:
        print(json.dumps(outcome.as_json(), indent=2))
    else:
        report(outcome, sys.stdout, _reread)
    if not args.no_save:
        from quiz.progress import ProgressError, Store, default_db_path

        try:
            with Store(args.db or default_db_path()) as store:
                store.record_exercise(
                    exercise.id,
                    exercise.concept,
                    passed=outcome.passed,
                    checks_passed=sum(r["passed"] for r in outcome.results),
                    checks_total=len(outcome.results),
                    now=datetime.now(UTC),
                )
        except ProgressError as exc:
            print(f"quiz: the attempt was not saved: {exc}", file=sys.stderr)
    return 0 if outcome.passed else 1


def main(argv: list[str]) -> int:
    """Entry point for ``exercises``, ``exercise`` and ``check`` (``argv[0]`` is the command)."""
    from quiz.bank import BankError
    from quiz.cli import UsageError

    command, rest = argv[0], argv[1:]
    try:
        args = _parser(command).parse_args(rest)
        return {"exercises": _list, "exercise": _write, "check": _check}[command](args)
    except (ExerciseError, UsageError, BankError) as exc:
        print(f"quiz: {exc}", file=sys.stderr)
        return 2
