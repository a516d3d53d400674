"""Grade one learner file in this process: ``python -m concepts.exercises._run ID FILE RESULT``.

``python -m quiz check`` starts this in a subprocess with a time limit, so an infinite loop
or a crash in the learner's code never takes the runner down. It loads FILE, compares the
function's signature with the reference's, runs the exercise's checks, and writes the
verdicts as JSON to RESULT. The exit status is 0 when the verdicts were written.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from concepts.exercises._harness import run_checks


def _learner_error(exc: BaseException, path: Path) -> str:
    """The learner's own traceback lines (frames in ``path``) and the exception."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == path]
    return ("".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(exc), exc))).rstrip()


def _reference(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _shape(sig: inspect.Signature) -> list[tuple[str, Any]]:
    return [(p.name, p.kind) for p in sig.parameters.values()]


def grade(exercise: dict[str, Any], path: Path) -> dict[str, Any]:
    """The verdict on the learner file ``path`` for ``exercise`` (a bank's exercise entry)."""
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("learner_solution", path)
    if spec is None or spec.loader is None:
        return {"status": "load-error", "message": f"{path} cannot be loaded as a Python file"}
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # the learner's module-level code failed
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {
            "status": "load-error",
            "message": "loading your file raised an exception:\n" + _learner_error(exc, path),
        }
    name = exercise["function"]
    candidate = getattr(module, name, None)
    if not callable(candidate):
        return {"status": "missing", "message": f"{path.name} defines no function {name}"}
    want = inspect.signature(_reference(exercise["reference"]))
    got = inspect.signature(candidate)
    if _shape(got) != _shape(want):
        return {
            "status": "signature",
            "message": f"the signature differs from the exercise's: expected {name}{want}, got {name}{got}",
        }
    slug = exercise["id"].split(".")[0]
    checks = importlib.import_module(f"concepts.exercises.{slug}").CHECKS[exercise["id"]]
    results = run_checks(checks, candidate, files=[path])
    return {"status": "graded", "results": [r.as_json() for r in results]}


def main(argv: list[str]) -> int:
    exercise = json.loads(argv[0])
    path = Path(argv[1]).resolve()
    verdict = grade(exercise, path)
    Path(argv[2]).write_text(json.dumps(verdict), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
