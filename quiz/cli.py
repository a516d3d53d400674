"""``python -m quiz``: list the quizzes, take them, or validate banks.

Every failure the user can cause (an unknown slug, a malformed bank, a bad option) is one
line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, NoReturn

from quiz.bank import BANK_DIR, BankError, available, bank_path, load_bank, validate_files
from quiz.runner import EndOfAnswers, QuizResult, run_quiz

__all__ = ["main"]

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line input; reported in one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (python -m quiz --help)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1; got {text!r}")
    return value


def _run_parser() -> _Parser:
    p = _Parser(
        prog="python -m quiz",
        description="Retrieval practice for the concept reference. With no quiz named, list them.",
        epilog="Other commands: 'python -m quiz validate [BANK ...]' checks banks.",
    )
    p.add_argument("quizzes", nargs="*", metavar="QUIZ", help="a concept slug (attention) or a path to a .json bank")
    p.add_argument("--seed", help="fix the option order (and the question order with --shuffle)")
    p.add_argument("--shuffle", action="store_true", help="ask the questions in a random order")
    p.add_argument("-n", type=_positive, metavar="N", help="ask at most N questions from each quiz")
    p.add_argument(
        "--answers", type=Path, metavar="FILE", help="read answers from FILE, one per line, instead of the terminal"
    )
    p.add_argument("--json", action="store_true", help="print only a JSON result (per question: id, given, verdict)")
    return p


def _validate_parser() -> _Parser:
    p = _Parser(prog="python -m quiz validate", description="Check banks against the schema and the authoring rules.")
    p.add_argument("banks", nargs="*", metavar="BANK", help="slugs, .json files or folders (default: every bank)")
    return p


def _list(out: IO[str]) -> int:
    from concepts import CATALOG, PARTS

    counts = {}
    for slug in available():
        try:
            counts[slug] = len(json.loads((BANK_DIR / f"{slug}.json").read_text(encoding="utf-8"))["questions"])
        except (OSError, ValueError, KeyError, TypeError):
            counts[slug] = None
    print("Quizzes (python -m quiz SLUG [SLUG ...]):", file=out)
    for part, name in PARTS.items():
        concepts = [c for c in CATALOG if c.part == part and c.slug in counts]
        if not concepts:
            continue
        print(f"\nPart {part}: {name}", file=out)
        for c in concepts:
            n = counts[c.slug]
            size = f"{n:>3} questions" if n is not None else "  (unreadable: run 'python -m quiz validate')"
            print(f"  {c.slug:<26}{size}  {c.title}", file=out)
    return 0


def _answer_source(path: Path | None, echo: Callable[[str], None]) -> Callable[[str], str]:
    """``ask(prompt)``: from a file, a pipe, or a person at the terminal."""
    if path is not None:
        try:
            lines: Iterator[str] = iter(path.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read answers: {exc}") from None
    elif not sys.stdin.isatty():
        lines = (line.rstrip("\n") for line in sys.stdin)
    else:

        def interactive(prompt: str) -> str:
            return input(prompt)

        return interactive

    def scripted(prompt: str) -> str:
        line = next(lines, None)
        if line is None:
            raise EOFError
        echo(prompt + line)
        return line

    return scripted


def _summary(results: Sequence[QuizResult]) -> str:
    answered = sum(len(r.outcomes) for r in results)
    planned = sum(r.planned for r in results)
    score = sum(r.score for r in results)
    pct = f" ({100 * score / answered:.0f}%)" if answered else ""
    head = f"Score: {score} of {answered} answered{pct}"
    if answered < planned:
        head += f"; stopped after {answered} of {planned} questions"
    if len(results) > 1:
        head += "\n" + "\n".join(f"  {r.concept}: {r.score} of {len(r.outcomes)}" for r in results)
    return head


def _take(args: argparse.Namespace) -> int:
    banks = [load_bank(bank_path(name)) for name in args.quizzes]
    quiet = args.json
    say: Callable[[str], None] = (lambda text: None) if quiet else print
    ask = _answer_source(args.answers, say)
    plan = [min(len(b["questions"]), args.n or len(b["questions"])) for b in banks]
    results: list[QuizResult] = []
    status = 0
    try:
        for bank, n in zip(banks, plan, strict=True):
            say(f"\n== {bank['title']} ({bank['concept']}): {n} questions ==")
            results.append(
                run_quiz(
                    bank,
                    ask=ask,
                    say=say,
                    seed=args.seed,
                    shuffle=args.shuffle,
                    limit=args.n,
                    number_offset=sum(len(r.outcomes) for r in results),
                    total=sum(plan),
                )
            )
    except EndOfAnswers as stop:
        results.append(stop.result)  # type: ignore[attr-defined]
        results += [
            QuizResult(b["concept"], b["title"], n)
            for b, n in zip(banks[len(results) :], plan[len(results) :], strict=True)
        ]
        status = 130 if str(stop) == "KeyboardInterrupt" else 0
        say("")
    if quiet:
        payload = {
            "score": sum(r.score for r in results),
            "answered": sum(len(r.outcomes) for r in results),
            "total": sum(plan),
            "quizzes": [r.as_json() for r in results],
        }
        print(json.dumps(payload, indent=2))
    else:
        print("\n" + _summary(results))
    return status


def _validate(args: argparse.Namespace) -> int:
    paths: list[Path] = []
    for name in args.banks or [str(BANK_DIR)]:
        p = Path(name)
        if p.is_dir():
            paths += sorted(p.glob("*.json"))
        else:
            paths.append(bank_path(name))
    problems = validate_files(paths)
    for line in problems:
        print(line, file=sys.stderr)
    noun = "bank" if len(paths) == 1 else "banks"
    if problems:
        print(f"{len(problems)} problem(s) in {len(paths)} {noun}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{len(paths)} {noun} valid")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["validate"]:
            return _validate(_validate_parser().parse_args(argv[1:]))
        args = _run_parser().parse_args(argv)
        if args.quizzes == ["list"] or not args.quizzes:
            return _list(sys.stdout)
        return _take(args)
    except (UsageError, BankError) as exc:
        print(f"quiz: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\nquiz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
