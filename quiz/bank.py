"""Finding, loading and checking question banks.

A bank is ``quiz/banks/<slug>.json``, valid against ``quiz/schema.json`` and the authoring
rules below. Every problem is reported as one line, ``file: $.json.path: message``, so an
editor or a terminal can jump to it.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from quiz.grading import AnswerFormatError, grade, key_as_typed, normalize_text, parse_number

__all__ = [
    "BANK_DIR",
    "BankError",
    "available",
    "bank_path",
    "check_rules",
    "load_bank",
    "page_ids",
    "read_json",
    "validate_files",
]

PACKAGE_DIR = Path(__file__).resolve().parent
BANK_DIR = PACKAGE_DIR / "banks"
SCHEMA_PATH = PACKAGE_DIR / "schema.json"


class BankError(Exception):
    """A bank that cannot be used; the message is one line naming file and JSON path."""


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def available() -> list[str]:
    """Slugs of the banks that ship with the package, sorted."""
    return sorted(p.stem for p in BANK_DIR.glob("*.json"))


def bank_path(name: str) -> Path:
    """Resolve a slug (in any case) or a path to a ``.json`` bank; unknown names suggest near ones."""
    if name.endswith(".json") or "/" in name or "\\" in name:
        path = Path(name)
        if not path.is_file():
            raise BankError(f"{name}: no such file")
        return path
    slug = name.strip().lower().replace("-", "_")  # Attention, KV-cache and kv_cache name one bank
    path = BANK_DIR / f"{slug}.json"
    if slug in available():
        return path
    near = difflib.get_close_matches(slug, available(), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    raise BankError(f"unknown quiz {name!r}{hint} (python -m quiz lists them)")


@lru_cache(maxsize=1)
def _validator() -> Any:
    # Imported here, not at module level, so listing quizzes stays fast.
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


#: A shipped bank is about 50 KB; anything this large is not a bank, and reading it whole
#: (and validating it) would take the learner's memory and minutes.
MAX_BYTES = 2 * 1024 * 1024
#: A bank is an object of arrays of objects (of arrays of objects): five levels. Deeper
#: nesting is refused before the schema sees it, which would recurse once per level.
MAX_DEPTH = 20
MAX_DIGITS = 300  # more digits than a float can hold (1.8e308) is not a number a bank needs
_SURROGATE = re.compile("[\ud800-\udfff]")
_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


def _read_text(path: Path) -> str:
    """The file's text, refusing what cannot be a bank: not a regular file, too large, not UTF-8."""
    shown = _display(path)
    try:
        if not path.is_file():  # a folder, or a FIFO that would block the read forever
            kind = "a folder" if path.is_dir() else "not a regular file" if path.exists() else "no such file"
            raise BankError(f"{shown}: cannot read: {kind}")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise BankError(f"{shown}: {size:,} bytes; a bank is at most {MAX_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise BankError(f"{shown}: cannot read: {exc.strerror}") from None
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise BankError(f"{shown}: {name} text; save the bank as UTF-8")
    head = data[:64]
    if len(head) >= 4 and (not head[0::2].strip(b"\x00") or not head[1::2].strip(b"\x00")):
        raise BankError(f"{shown}: looks like UTF-16 or UTF-32 text (NUL bytes); save the bank as UTF-8")
    try:
        return data.decode("utf-8-sig")  # a UTF-8 byte-order mark, as some editors write, is harmless
    except UnicodeDecodeError as exc:
        raise BankError(f"{shown}: not UTF-8 text (invalid byte at offset {exc.start})") from None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a float")
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-')):,} digits (at most {MAX_DIGITS})")
    return int(text)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key[:40]!r} in one object")
        seen[key] = value
    return seen


def _shape_problem(data: Any) -> str | None:
    """Too deep, or a string that is not Unicode text; checked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep; a bank is an object of arrays of objects"
        if isinstance(value, dict):
            stack += [(k, depth) for k in value] + [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            stack += [(v, depth + 1) for v in value]
        elif isinstance(value, str) and _SURROGATE.search(value):
            return "a string holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode text"
    return None


def _parse(text: str, path: Path) -> Any:
    shown = _display(path)
    try:
        data = json.loads(
            text, parse_float=_finite, parse_int=_integer, parse_constant=_constant, object_pairs_hook=_unique_keys
        )
    except json.JSONDecodeError as exc:
        raise BankError(f"{shown}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise BankError(f"{shown}: nested too deeply to read; a bank is at most {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # from the hooks above, or Python's own limit on integer digits
        raise BankError(f"{shown}: invalid JSON: {str(exc).splitlines()[0][:200]}") from None
    problem = _shape_problem(data)
    if problem:
        raise BankError(f"{shown}: {problem}")
    return data


def _read_json(path: Path) -> Any:
    return _parse(_read_text(path), path)


def read_json(path: Path) -> Any:
    """A bank file's JSON, or :class:`BankError` in one line (size, encoding, syntax, depth)."""
    return _read_json(path)


# Importing jsonschema costs more than the rest of start-up together, so a bank that passed
# the schema once is remembered by the hash of its bytes and of the schema's: an unchanged
# bank skips the import, and any edit to either is validated again.
def _valid_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "interview-concepts" / "schema-valid-banks.txt"


def _fingerprint(text: str) -> str:
    return hashlib.sha256(SCHEMA_PATH.read_bytes() + b"\0" + text.encode("utf-8")).hexdigest()


def _known_valid(fingerprint: str) -> bool:
    try:
        return fingerprint in _valid_cache().read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return False


def _remember_valid(fingerprint: str) -> None:
    try:
        path = _valid_cache()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="ascii") as f:
            f.write(fingerprint + "\n")
    except OSError:
        pass  # a read-only home only costs the next start-up the schema import


def _schema_problems(data: Any) -> Iterator[tuple[str, str]]:
    """(json path, message) for every schema violation, most specific first."""
    import jsonschema.exceptions

    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    for error in errors:
        # An if/then failure wraps the useful detail; report the deepest one.
        best = jsonschema.exceptions.best_match([error])
        while best.context:
            best = jsonschema.exceptions.best_match(best.context)
        message = best.message if len(best.message) <= 240 else best.message[:200] + " … (shortened)"
        yield best.json_path, " ".join(message.split())


def check_rules(bank: dict[str, Any], stem: str | None = None) -> Iterator[tuple[str, str]]:
    """(json path, message) for each authoring rule a schema-valid bank breaks."""
    slug = bank["concept"]
    if stem is not None and slug != stem:
        yield "$.concept", f"must equal the file name {stem!r}; got {slug!r}"
    seen: dict[str, str] = {}
    items = [("questions", q) for q in bank["questions"]]
    items += [("interview", q) for q in bank["interview"]]
    counts = {"questions": 0, "interview": 0}
    for key, item in items:
        path = f"$.{key}[{counts[key]}]"
        counts[key] += 1
        qid = item["id"]
        if not qid.startswith(slug + "."):
            yield f"{path}.id", f"must start with {slug + '.'!r}; got {qid!r}"
        if qid in seen:
            yield f"{path}.id", f"duplicate id {qid!r} (first at {seen[qid]})"
        seen.setdefault(qid, path)
        if key == "interview":
            continue
        if item["type"] in ("single", "multi"):
            options = item["options"]
            ids = [o["id"] for o in options]
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                yield f"{path}.options", f"duplicate option id {dup!r}"
            n_right = sum(o["correct"] for o in options)
            if item["type"] == "single" and n_right != 1:
                yield f"{path}.options", f"a single question needs exactly one correct option; got {n_right}"
            if item["type"] == "multi" and n_right < 1:
                yield f"{path}.options", "a multi question needs at least one correct option"
        if item["type"] == "text" and "regex" in item:
            try:
                re.compile(item["regex"])
            except re.error as exc:
                yield f"{path}.regex", f"not a valid regular expression: {exc}"
                continue
        if item["type"] == "numeric":
            yield from _numeric_rules(item, path)
        if item["type"] == "text":
            yield from _text_rules(item, path)
    for i, ex in enumerate(bank.get("exercises", [])):
        path = f"$.exercises[{i}].id"
        if not ex["id"].startswith(slug + "."):
            yield path, f"must start with {slug + '.'!r}; got {ex['id']!r}"
        if ex["id"] in seen:
            yield (
                path,
                f"duplicate id {ex['id']!r} (first at {seen[ex['id']]}); exercise ids must differ from question ids",
            )
        seen.setdefault(ex["id"], f"$.exercises[{i}]")
    singles = [q for q in bank["questions"] if q["type"] == "single"]
    positions = {next(i for i, o in enumerate(q["options"]) if o["correct"]) for q in singles}
    if len(singles) >= 4 and len(positions) == 1:
        yield "$.questions", "the correct option sits in the same place in every single question"


def _numeric_rules(q: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    """The key written as the prompt asks is right; every misconception is wrong."""
    key = q["answer"]
    if not math.isfinite(float(key)):
        yield f"{path}.answer", f"must be a finite number; got {key!r}"
        return
    for typed in key_as_typed(key, q["decimals"]):
        try:
            right = grade(q, parse_number(typed, q.get("unit")))
        except AnswerFormatError:
            right = False
        if not right:
            yield (
                f"{path}.decimals",
                f"the key {key!r} written to {q['decimals']} decimal place(s) as {typed!r} is graded wrong: "
                "widen the tolerance or ask for more decimals",
            )
            break
    for j, m in enumerate(q["misconceptions"]):
        wrong = m["answer"]
        forms = [float(wrong)] if math.isfinite(float(wrong)) else []
        for typed in key_as_typed(wrong, q["decimals"]) if forms else ():
            with contextlib.suppress(AnswerFormatError):
                forms.append(parse_number(typed, q.get("unit")))
        if any(grade(q, value) for value in forms):
            yield (
                f"{path}.misconceptions[{j}].answer",
                f"{wrong!r} is within the tolerance of the key {key!r}: "
                "a learner with this misconception is graded right",
            )


def _text_rules(q: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    """Every misconception is rejected by ``accept`` and ``regex``."""
    for j, m in enumerate(q["misconceptions"]):
        given = normalize_text(m["answer"])
        if not given:
            yield f"{path}.misconceptions[{j}].answer", "is blank once normalised"
        elif grade(q, given):
            yield (
                f"{path}.misconceptions[{j}].answer",
                f"{m['answer']!r} is accepted by accept/regex: a learner with this misconception is graded right",
            )


def load_bank(name: str | Path) -> dict[str, Any]:
    """Load a bank by slug or path, raising :class:`BankError` on the first problem."""
    path = name if isinstance(name, Path) else bank_path(name)
    text = _read_text(path)
    data = _parse(text, path)
    fingerprint = _fingerprint(text)
    if not _known_valid(fingerprint):
        for json_path, message in _schema_problems(data):
            raise BankError(f"{_display(path)}: {json_path}: {message}")
        _remember_valid(fingerprint)
    for json_path, message in check_rules(data, path.stem):
        raise BankError(f"{_display(path)}: {json_path}: {message}")
    return data


_TARGET = re.compile(r"^\(([A-Za-z0-9_.:-]+)\)=\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def _make_id(text: str) -> str:
    """The id docutils gives a section title or a target name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def page_ids(page: Path) -> set[str]:
    """The section and target ids a MyST page will have once built (read statically)."""
    ids: set[str] = set()
    fence = None
    for line in page.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        marker = re.match(r"^(`{3,}|~{3,})", stripped)
        if marker:
            if fence is None:
                fence = marker.group(1)
            elif stripped.startswith(fence) and stripped == fence[0] * len(stripped):
                fence = None
            continue
        if fence is not None:
            continue
        if (m := _TARGET.match(stripped)) or (m := _HEADING.match(line)):
            ids.add(_make_id(m.group(1)))
    return ids


def _page_for(path: Path, slug: str) -> Path | None:
    """The concept page in a source checkout (banks live in quiz/banks/, pages in docs/)."""
    page = path.resolve().parent.parent.parent / "docs" / "concepts" / f"{slug}.md"
    return page if page.is_file() else None


def validate_files(paths: Iterable[Path]) -> list[str]:
    """Every problem in the given banks, one line each, including ids repeated across banks."""
    problems: list[str] = []
    owner: dict[str, str] = {}
    for path in paths:
        shown = _display(path)
        try:
            data = _read_json(path)
        except BankError as exc:
            problems.append(str(exc))
            continue
        schema = list(_schema_problems(data))
        problems += [f"{shown}: {p}: {m}" for p, m in schema]
        if schema:
            continue
        problems += [f"{shown}: {p}: {m}" for p, m in check_rules(data, path.stem)]
        for key in ("questions", "interview", "exercises"):
            for i, item in enumerate(data.get(key, [])):
                first = owner.setdefault(item["id"], shown)
                if first != shown:
                    problems.append(f"{shown}: $.{key}[{i}].id: id {item['id']!r} is used in {first} too")
        page = _page_for(path, data["concept"])
        if page is not None:
            ids = page_ids(page)
            for key in ("questions", "exercises"):
                for i, q in enumerate(data.get(key, [])):
                    if q["source"] not in ids:
                        problems.append(
                            f"{shown}: $.{key}[{i}].source: no section or target {q['source']!r} on {_display(page)}"
                        )
    return problems
