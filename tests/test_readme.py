"""Every command the README, the index page, the guide and the exercises page show is checked.

Commands are read from the ``console`` blocks of those files (``$ `` lines, comments after
two spaces and ``#`` dropped). ``python -m quiz ...`` commands run for real, block by block
in a fresh folder with a fresh progress file and nothing on standard input (an
interactive quiz then ends at once with its score), and their exit status and key lines
are checked. Install commands cannot run offline: ``python3 -m venv`` runs, and the
``pip install`` lines are checked against what they would install (pyproject.toml), with
the quiz and every concept module imported and run in a process where ``import torch``
fails. ``tox`` lines must name environments tox.ini defines. A command no rule knows fails
the test, so a new command in the docs needs a check here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from concepts import CATALOG, slugs

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ["README.md", "docs/index.md", "docs/guide.md", "docs/exercises.md"]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
INSTALL_COMMANDS = [
    "python3 -m venv .venv && . .venv/bin/activate",
    "pip install .",
    f"pip install torch --index-url {CPU_INDEX}",
    "pip install '.[torch]'",
]
NOT_YET = "unknown quiz 'exercise"  # what the runner says before the exercise commands exist


def console_blocks(text: str) -> list[list[str]]:
    """The commands of each ``console`` block: ``$ `` lines without their trailing comments.

    >>> console_blocks("x\\n```console\\n$ pip install .   # quick\\nout\\n```\\n")
    [['pip install .']]
    """
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if current is None and re.match(r"^```+\s*console\s*$", line):
            current = []
        elif current is not None and re.match(r"^```+\s*$", line):
            blocks.append(current)
            current = None
        elif current is not None and line.startswith("$ "):
            current.append(re.sub(r"\s+#\s.*$", "", line[2:]).strip())
    return blocks


def section(text: str, heading: str) -> str:
    """The text under ``## heading`` up to the next heading of level two or one."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^#{{1,2}} |\Z)", text, flags=re.M | re.S)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


# -- Install --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["README.md", "docs/index.md", "docs/guide.md"])
def test_install_commands_are_the_same_everywhere(name: str) -> None:
    commands = [c for block in console_blocks(section(read(name), "Install")) for c in block]
    assert commands == INSTALL_COMMANDS


def test_pip_install_dot_brings_no_pytorch_and_the_extra_does() -> None:
    project = tomllib.loads(read("pyproject.toml"))["project"]
    names = [re.split(r"[<>=!~\[;\s]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]]
    assert "torch" not in names, "pip install . must not pull PyTorch"
    assert {"numpy", "jsonschema"} <= set(names)
    extras = project["optional-dependencies"]
    assert any(dep.startswith("torch") for dep in extras["torch"])
    assert "interview-concepts[torch]" in extras["test"], "the test extra brings PyTorch"
    tox = read("tox.ini")
    for env in ("testenv", "testenv:doctest", "testenv:docs"):
        body = re.search(rf"^\[{re.escape(env)}\]\n(.*?)(?=^\[|\Z)", tox, flags=re.M | re.S).group(1)
        extras_block = re.search(r"^extras\s*=\s*(.*?)(?=^\S|\Z)", body, flags=re.M | re.S).group(1)
        assert "torch" in extras_block.split(), f"tox [{env}] installs the torch extra"
    assert "PIP_CONSTRAINT" in tox and re.search(r"^torch==[\d.]+$", read("constraints.txt"), flags=re.M)


BLOCK_TORCH = """
import importlib.abc, json, runpy, sys, traceback

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoTorch())
failed = {}
for slug in sys.argv[1:]:
    try:
        __import__(f"concepts.{slug}")
    except Exception as exc:
        failed[slug] = traceback.format_exception_only(exc)[-1].strip()
print(json.dumps(failed))
from concepts.attention import scaled_dot_product_attention_torch
try:
    scaled_dot_product_attention_torch(None, None, None)
except ImportError as exc:
    print(exc)
sys.argv = ["quiz", "--no-save", "-n", "1", "--json", "attention"]
sys.stdin = open(__import__("os").devnull)
try:
    runpy.run_module("quiz", run_name="__main__")
except SystemExit as exit:
    assert not exit.code, exit.code
assert "torch" not in sys.modules
"""


@pytest.fixture(scope="module")
def without_torch() -> tuple[dict[str, str], subprocess.CompletedProcess[str]]:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_TORCH, *slugs()], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    first = result.stdout.splitlines()[0] if result.stdout else "{}"
    return json.loads(first), result


def test_the_quiz_runs_without_pytorch(without_torch) -> None:
    _, result = without_torch
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_pytorch_function_without_pytorch_names_the_extra(without_torch) -> None:
    _, result = without_torch
    message = result.stdout.splitlines()[1]
    assert "[torch]" in message and "Traceback" not in message, message


@pytest.mark.parametrize("slug", slugs())
def test_concept_module_imports_without_pytorch(without_torch, slug: str) -> None:
    failed, _ = without_torch
    assert slug not in failed, f"import concepts.{slug} without PyTorch: {failed.get(slug)}"


# -- Commands ----------------------------------------------------------------------------------


@dataclass
class Ran:
    command: str
    returncode: int
    stdout: str
    stderr: str
    cwd: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def ok(self, status: int = 0) -> None:
        assert self.returncode == status, (
            f"$ {self.command}\nexit status {self.returncode}, wanted {status}\n{self.output[-3000:]}"
        )


def _venv(ran: Ran) -> None:
    ran.ok()


def _pip(ran: Ran) -> None:
    assert ran.command in INSTALL_COMMANDS or ran.command == "pip install tox", ran.command
    if "--index-url" in ran.command:
        assert ran.command.endswith(CPU_INDEX), "PyTorch's own CPU wheel index"


def _tox(ran: Ran) -> None:
    tox = read("tox.ini")
    envs = set(re.findall(r"^\[testenv:([\w-]+)\]", tox, flags=re.M))
    envs |= {e.strip() for e in re.search(r"^env_list\s*=\s*(.*)$", tox, flags=re.M).group(1).split(",")}
    args = shlex.split(ran.command)[1:]
    if "-e" in args:
        assert args[args.index("-e") + 1] in envs, f"tox.ini has no env {args}"


def _listing(ran: Ran) -> None:
    ran.ok()
    for slug in slugs():
        assert slug in ran.stdout


def _take(ran: Ran) -> None:
    ran.ok()
    assert "Score" in ran.output or "score" in ran.output, ran.output[-2000:]


def _json_run(ran: Ran) -> None:
    ran.ok()
    result = json.loads(ran.stdout)
    wanted = int(re.search(r"-n (\d+)", ran.command).group(1))
    verdicts = [q["verdict"] for quiz in result["quizzes"] for q in quiz["questions"]]
    assert result["total"] == wanted and result["answered"] == wanted, "every scripted answer was taken"
    assert verdicts == ["right"] * wanted and result["score"] == wanted, f"the scripted answers: {verdicts}"


def _validate(ran: Ran) -> None:
    ran.ok()
    assert "valid" in ran.stdout


def _export(ran: Ran) -> None:
    ran.ok()
    target = ran.cwd / shlex.split(ran.command)[-1]
    assert target.is_file() and target.stat().st_size > 0, f"{target.name} was not written"


def _exercises(ran: Ran) -> None:
    if NOT_YET in ran.output:
        pytest.xfail("lead adds exercise commands")
    ran.ok()
    assert "attention.sdpa" in ran.stdout


def _exercise(ran: Ran) -> None:
    if NOT_YET in ran.output:
        pytest.xfail("lead adds exercise commands")
    ran.ok()
    exercise_id = shlex.split(ran.command)[-1]
    starter = ran.cwd / (exercise_id.replace(".", "_").replace("-", "_") + ".py")
    assert "NotImplementedError" in starter.read_text(encoding="utf-8")


def _check(ran: Ran) -> None:
    if NOT_YET in ran.output:
        pytest.xfail("lead adds exercise commands")
    ran.ok(1)  # the starter as written raises NotImplementedError: its checks fail
    assert ran.stdout.strip(), "one line per check"


def _quiz(ran: Ran) -> None:
    ran.ok()


# First match wins; every command in the documents must match one rule.
RULES: list[tuple[str, Callable[[Ran], None]]] = [
    (r"^python3 -m venv ", _venv),
    (r"^pip install ", _pip),
    (r"^tox\b", _tox),
    (r"^printf .* \| python -m quiz .*--json", _json_run),
    (r"^python -m quiz$", _listing),
    (r"^python -m quiz validate\b", _validate),
    (r"^python -m quiz export\b", _export),
    (r"^python -m quiz exercises$", _exercises),
    (r"^python -m quiz exercise \S+$", _exercise),
    (r"^python -m quiz check \S+ \S+$", _check),
    (r"^python -m quiz (review|stats)\b", _quiz),
    (r"^python -m quiz [\w/.]+( [\w/.]+)*( --[\w-]+)*$", _take),
]
NOT_RUN = (_pip, _tox)  # offline they are checked against the files, not run


def rule(command: str) -> Callable[[Ran], None] | None:
    return next((check for pattern, check in RULES if re.match(pattern, command)), None)


def documented() -> list[tuple[str, int, list[str]]]:
    return [(name, i, block) for name in DOCUMENTS for i, block in enumerate(console_blocks(read(name))) if block]


def test_every_documented_command_has_a_check() -> None:
    unknown = [(name, c) for name, _, block in documented() for c in block if rule(c) is None]
    assert not unknown, f"commands with no check in tests/test_readme.py: {unknown}"


def _prepare(folder: Path) -> dict[str, str]:
    """A folder with the files the guide's commands name, and an environment that keeps to it."""
    for path in ("path/to/pca.json", "quiz/banks/pca.json"):
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(read("quiz/banks/pca.json"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_CONCEPTS", "PYTEST"))}
    env.update(
        INTERVIEW_CONCEPTS_DB=str(folder / "progress.sqlite3"),
        XDG_DATA_HOME=str(folder / "xdg"),
        HOME=str(folder),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        COLUMNS="80",
    )
    return env


@pytest.mark.parametrize(
    ("name", "index", "block"),
    [pytest.param(n, i, b, id=f"{n}-block{i}") for n, i, b in documented()],
)
def test_documented_commands_run(name: str, index: int, block: list[str], tmp_path: Path) -> None:
    env = _prepare(tmp_path)
    for command in block:
        check = rule(command)
        assert check is not None, f"no check for {command!r}"
        if check in NOT_RUN:
            check(Ran(command, 0, "", "", tmp_path))
            continue
        script = command
        if check is _venv:
            script = f"{command} && python -c 'import sys; print(sys.prefix)'"
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        ran = Ran(command, done.returncode, done.stdout, done.stderr, tmp_path)
        check(ran)
        if check is _venv:
            assert Path(done.stdout.strip()).resolve() == (tmp_path / ".venv").resolve()


def test_the_catalog_has_a_quiz_for_every_card() -> None:
    """The index's cards name ``python -m quiz <slug>`` for each concept; each is a real bank."""
    assert {c.slug for c in CATALOG} == set(slugs())
    for slug in slugs():
        assert (ROOT / "quiz" / "banks" / f"{slug}.json").is_file()
