"""``python -m quiz``: take quizzes, review what is due, see progress, export, validate.

Every failure the user can cause (an unknown slug, a malformed bank, a bad option, an
unusable progress file) is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, NoReturn

from quiz import commands
from quiz.bank import BANK_DIR, BankError, available, bank_path, read_json, validate_files
from quiz.commands import UsageError

__all__ = ["UsageError", "main"]

EXIT_USAGE = 2
COMMANDS = ("validate", "review", "stats", "export", "tags")
EXERCISE_COMMANDS = ("exercises", "exercise", "check")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments: "):
            options = [o for action in self._actions for o in action.option_strings if o.startswith("--")]
            for word in message.split(": ", 1)[1].split():
                near = difflib.get_close_matches(word.split("=")[0], options, n=1, cutoff=0.6)
                if word.startswith("--") and near:
                    raise UsageError(f"{message}; did you mean {near[0]}? ({self.prog} --help)")
        raise UsageError(f"{message} ({self.prog} --help)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1; got {text!r}")
    return value


def _count(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number; got {text!r}")
    return value


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date or time such as 2026-11-24T09:00; got {text!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _progress_options(p: argparse.ArgumentParser, *, saving: bool) -> None:
    p.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="the progress file (default: $INTERVIEW_CONCEPTS_DB, "
        "else $XDG_DATA_HOME/interview-concepts/progress.sqlite3)",
    )
    p.add_argument("--now", type=_moment, metavar="WHEN", help="pretend it is this time (ISO 8601, UTC if no offset)")
    if saving:
        p.add_argument("--no-save", action="store_true", help="do not record the answers")


def _session_options(p: argparse.ArgumentParser, *, review: bool = False) -> None:
    """The options of a run that asks questions; a review lacks --shuffle, per-quiz limits and --no-save."""
    if review:
        p.add_argument("--seed", help="fix the option order")
        p.add_argument("-n", type=_positive, metavar="N", help="ask at most N items")
    else:
        p.add_argument("--seed", help="fix the option order (and the question order with --shuffle)")
        p.add_argument("-n", type=_positive, metavar="N", help="ask at most N items (from each quiz)")
    p.add_argument(
        "--confidence",
        action="store_true",
        help="rate your confidence before each graded answer is revealed (not with --interview)"
        if not review
        else "rate your confidence before each graded answer is revealed (interview items are rated after)",
    )
    p.add_argument("--answers", type=Path, metavar="FILE", help="read answers from FILE, one per line")
    p.add_argument("--json", action="store_true", help="print only a JSON result (per question: id, given, verdict)")
    _progress_options(p, saving=not review)


def _parsers() -> dict[str, _Parser]:
    run = _Parser(
        prog="python -m quiz",
        description="Retrieval practice for the concept reference. With no quiz named, list them.",
        epilog="Commands: 'review' (what is due), 'stats' (progress), 'export' (Anki or CSV), "
        "'validate' (check banks), 'tags' (the tags review --tag takes); 'python -m quiz COMMAND --help' for each. "
        "Answer ? or skip when you do not know.",
    )
    run.add_argument("quizzes", nargs="*", metavar="QUIZ", help="a concept slug (attention) or a path to a .json bank")
    run.add_argument("--shuffle", action="store_true", help="ask the questions in a random order")
    run.add_argument("--interview", action="store_true", help="drill the open interview items and rate yourself")
    _session_options(run)

    review = _Parser(
        prog="python -m quiz review",
        description="The items due now across concepts, then new ones. New items are limited per UTC day, "
        "and items first seen in a quiz that day count towards the limit. Every answer is saved.",
    )
    review.add_argument("quizzes", nargs="*", metavar="SLUG", help="limit to these concepts")
    review.add_argument("--tag", action="append", default=[], help="limit to questions with this tag (repeatable)")
    review.add_argument(
        "--new", type=_count, default=10, metavar="N", help="new items a day, quizzes included (default 10)"
    )
    review.add_argument("--list", action="store_true", help="show what is due and new, without asking")
    _session_options(review, review=True)

    stats = _Parser(
        prog="python -m quiz stats",
        description="Progress per concept: items seen, answers, accuracy, items due now, recall and leeches. "
        "recall is FSRS's estimate of the chance you would recall an item now, averaged over the items last "
        "reviewed a day or more ago; it shows '-' until a day has passed, because within a day of a review "
        "the item is still in short-term memory and the estimate would read 1.00 whatever the answer was.",
    )
    stats.add_argument("--json", action="store_true", help="print JSON")
    _progress_options(stats, saving=False)

    export = _Parser(prog="python -m quiz export", description="Export banks as flashcards.")
    export.add_argument("quizzes", nargs="*", metavar="SLUG", help="limit to these concepts (default: all)")
    fmt = export.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--anki", type=Path, metavar="FILE.apkg", help="an Anki package; re-importing updates notes")
    fmt.add_argument("--csv", type=Path, metavar="FILE.csv", help="a CSV file: id, concept, kind, level, front, back")

    validate = _Parser(prog="python -m quiz validate", description="Check banks against the schema and the rules.")
    validate.add_argument("banks", nargs="*", metavar="BANK", help="slugs, .json files or folders (default: all)")

    tags = _Parser(prog="python -m quiz tags", description="The question tags, for review --tag.")
    tags.add_argument("quizzes", nargs="*", metavar="SLUG", help="limit to these concepts (default: all)")
    return {"run": run, "review": review, "stats": stats, "export": export, "validate": validate, "tags": tags}


def _list(out: IO[str]) -> int:
    from concepts import CATALOG, PARTS

    counts: dict[str, int | None] = {}
    for slug in available():
        try:
            counts[slug] = len(read_json(BANK_DIR / f"{slug}.json")["questions"])
        except (BankError, KeyError, TypeError):
            counts[slug] = None
    print("Quizzes (python -m quiz SLUG [SLUG ...]; python -m quiz review for what is due):", file=out)
    for part, name in PARTS.items():
        concepts = [c for c in CATALOG if c.part == part and c.slug in counts]
        if concepts:
            print(f"\nPart {part}: {name}", file=out)
        for c in concepts:
            n = counts[c.slug]
            size = f"{n:>3} questions" if n is not None else "  (unreadable: run 'python -m quiz validate')"
            print(f"  {c.slug:<26}{size}  {c.title}", file=out)
    return 0


def _validate(args: argparse.Namespace) -> int:
    paths: list[Path] = []
    for name in args.banks or [str(BANK_DIR)]:
        p = Path(name)
        paths += sorted(p.glob("*.json")) if p.is_dir() else [bank_path(name)]
    problems = validate_files(paths)
    for line in problems:
        print(line, file=sys.stderr)
    noun = "bank" if len(paths) == 1 else "banks"
    if problems:
        print(f"{len(problems)} problem(s) in {len(paths)} {noun}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{len(paths)} {noun} valid")
    return 0


def _reject_misspelt_command(argv: Sequence[str]) -> None:
    """``python -m quiz reveiw`` means a command, not a quiz: say so instead of "unknown quiz"."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None or first == "list" or first.lower() in available() or "/" in first or first.endswith(".json"):
        return
    near = difflib.get_close_matches(first.lower(), [*COMMANDS, *EXERCISE_COMMANDS], n=1, cutoff=0.7)
    if near and argv[0] == first:
        raise UsageError(f"unknown command or quiz {first!r}; did you mean the command {near[0]!r}?")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parsers = _parsers()
    try:
        if argv[:1] and argv[0] in EXERCISE_COMMANDS:  # exercises, exercise, check: their own parser
            from quiz.exercises import main as exercises_main

            return exercises_main(argv)
        if argv[:1] and argv[0] in COMMANDS:
            command = argv[0]
            args = parsers[command].parse_args(argv[1:])
            handler = {
                "validate": _validate,
                "review": commands.review,
                "stats": commands.stats,
                "export": commands.export,
                "tags": commands.tags,
            }
            return handler[command](args)
        _reject_misspelt_command(argv)
        args = parsers["run"].parse_args(argv)
        if args.quizzes in ([], ["list"]):
            return _list(sys.stdout)
        return commands.take(args)
    except (UsageError, BankError) as exc:
        print(f"quiz: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\nquiz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
