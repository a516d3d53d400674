"""``python -m quiz``: take quizzes, review what is due, see progress, export, validate.

Every failure the user can cause (an unknown slug, a malformed bank, a bad option, an
unusable progress file) is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from quiz.bank import BANK_DIR, BankError, available, bank_path, load_bank, validate_files
from quiz.runner import DONT_KNOW_HINT, EndOfAnswers, Item, Outcome, QuizResult, Session, run_items, run_quiz
from quiz.terminal import wrap

if TYPE_CHECKING:  # the store (and fsrs) load only when answers are saved
    from quiz.progress import Store

__all__ = ["main"]

EXIT_USAGE = 2
COMMANDS = ("validate", "review", "stats", "export")
EXERCISE_COMMANDS = ("exercises", "exercise", "check")


class UsageError(Exception):
    """Bad command-line input; reported in one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (python -m quiz --help)")


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


def _session_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", help="fix the option order (and the question order with --shuffle)")
    p.add_argument("-n", type=_positive, metavar="N", help="ask at most N items (from each quiz)")
    p.add_argument("--confidence", action="store_true", help="rate your confidence before each answer is revealed")
    p.add_argument("--answers", type=Path, metavar="FILE", help="read answers from FILE, one per line")
    p.add_argument("--json", action="store_true", help="print only a JSON result (per question: id, given, verdict)")
    _progress_options(p, saving=True)


def _parsers() -> dict[str, _Parser]:
    run = _Parser(
        prog="python -m quiz",
        description="Retrieval practice for the concept reference. With no quiz named, list them.",
        epilog="Commands: 'review' (what is due), 'stats' (progress), 'export' (Anki or CSV), "
        "'validate' (check banks); 'python -m quiz COMMAND --help' for each.",
    )
    run.add_argument("quizzes", nargs="*", metavar="QUIZ", help="a concept slug (attention) or a path to a .json bank")
    run.add_argument("--shuffle", action="store_true", help="ask the questions in a random order")
    run.add_argument("--interview", action="store_true", help="drill the open interview items and rate yourself")
    _session_options(run)

    review = _Parser(prog="python -m quiz review", description="The items due now across concepts, then new ones.")
    review.add_argument("quizzes", nargs="*", metavar="SLUG", help="limit to these concepts")
    review.add_argument("--tag", action="append", default=[], help="limit to questions with this tag (repeatable)")
    review.add_argument("--new", type=_count, default=10, metavar="N", help="new items a day (default 10)")
    review.add_argument("--list", action="store_true", help="show what is due and new, without asking")
    _session_options(review)

    stats = _Parser(prog="python -m quiz stats", description="Progress per concept.")
    stats.add_argument("--json", action="store_true", help="print JSON")
    _progress_options(stats, saving=False)

    export = _Parser(prog="python -m quiz export", description="Export banks as flashcards.")
    export.add_argument("quizzes", nargs="*", metavar="SLUG", help="limit to these concepts (default: all)")
    fmt = export.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--anki", type=Path, metavar="FILE.apkg", help="an Anki package; re-importing updates notes")
    fmt.add_argument("--csv", type=Path, metavar="FILE.csv", help="a CSV file: id, concept, kind, level, front, back")

    validate = _Parser(prog="python -m quiz validate", description="Check banks against the schema and the rules.")
    validate.add_argument("banks", nargs="*", metavar="BANK", help="slugs, .json files or folders (default: all)")
    return {"run": run, "review": review, "stats": stats, "export": export, "validate": validate}


def _list(out: IO[str]) -> int:
    from concepts import CATALOG, PARTS

    counts: dict[str, int | None] = {}
    for slug in available():
        try:
            counts[slug] = len(json.loads((BANK_DIR / f"{slug}.json").read_text(encoding="utf-8"))["questions"])
        except (OSError, ValueError, KeyError, TypeError):
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


def _answer_source(path: Path | None, echo: Callable[[str], None]) -> Callable[[str], str]:
    """``ask(prompt)``: from a file, a pipe, or a person at the terminal (``ask.scripted`` says which)."""
    if path is not None:
        try:
            lines: Iterator[str] = iter(path.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read answers: {exc}") from None
    elif sys.stdin.isatty():
        return input
    else:
        lines = (line.rstrip("\n") for line in sys.stdin)

    def scripted(prompt: str) -> str:
        line = next(lines, None)
        if line is None:
            raise EOFError
        echo(prompt + line)
        return line

    return scripted


class _Progress:
    """Opens the store only when answers are to be saved; the clock for scheduling."""

    def __init__(self, args: argparse.Namespace) -> None:
        from quiz.progress import ProgressError, Store, default_db_path

        self.fixed_now: datetime | None = args.now
        self.store = None
        if not getattr(args, "no_save", False):
            try:
                self.store = Store(args.db or default_db_path())
            except ProgressError as exc:
                raise UsageError(str(exc)) from None

    def require(self) -> Store:
        if self.store is None:
            raise UsageError("this command reads your saved progress; it cannot run with --no-save")
        return self.store

    def now(self) -> datetime:
        return self.fixed_now or datetime.now(UTC)

    def record(self, item: Item, outcome: Outcome) -> None:
        import fsrs

        from quiz.progress import rating_for

        if self.store is None:
            return
        if item.kind == "interview":
            rating = fsrs.Rating[outcome.verdict.capitalize()]
        else:
            rating = rating_for(outcome.right, outcome.confidence)
        self.store.record(
            item.id,
            item.concept,
            kind=item.kind,
            given=outcome.given,
            verdict=outcome.verdict,
            rating=rating,
            now=self.now(),
            confidence=outcome.confidence,
            seconds=outcome.seconds,
        )


def _summary(results: Sequence[QuizResult]) -> str:
    answered = sum(len(r.outcomes) for r in results)
    planned = sum(r.planned for r in results)
    score = sum(r.score for r in results)
    pct = f" ({100 * score / answered:.0f}%)" if answered else ""
    lines = [f"Score: {score} of {answered} answered{pct}"]
    if answered < planned:
        lines[0] += f"; stopped after {answered} of {planned} questions"
    if len(results) > 1:
        lines += [f"  {r.concept}: {r.score} of {len(r.outcomes)}" for r in results]
    sure_but_wrong = [o.id for r in results for o in r.outcomes if o.confidently_wrong]
    if sure_but_wrong:
        lines.append("Confidently wrong (worth rereading first): " + ", ".join(sure_but_wrong))
    return "\n".join(lines)


def _finish(args: argparse.Namespace, results: list[QuizResult], planned: int, status: int) -> int:
    if args.json:
        payload = {
            "score": sum(r.score for r in results),
            "answered": sum(len(r.outcomes) for r in results),
            "total": planned,
            "rejected": sum(r.rejected for r in results),
            "quizzes": [r.as_json() for r in results],
        }
        print(json.dumps(payload, indent=2))
    else:
        print("\n" + _summary(results))
    return status


def _warn(message: str) -> None:
    print(f"quiz: {message}", file=sys.stderr)


def _session(args: argparse.Namespace, progress: _Progress, *, show_concept: bool = False) -> Session:
    say: Callable[[str], None] = (lambda text: None) if args.json else print
    ask = _answer_source(args.answers, say)
    # A person at a prompt sees "Not an answer" and retypes; a pipe or a file cannot, so
    # every rejected line is also reported on stderr (and counted in the JSON).
    warn = None if ask is input else _warn
    session = Session(ask, say, args.seed, args.confidence, progress.record, show_concept=show_concept, warn=warn)
    session.say(wrap(DONT_KNOW_HINT))
    return session


def _take(args: argparse.Namespace) -> int:
    banks = [load_bank(bank_path(name)) for name in args.quizzes]
    progress = _Progress(args)
    session = _session(args, progress)
    key = "interview" if args.interview else "questions"
    plan = [min(len(b[key]), args.n or len(b[key])) for b in banks]
    results: list[QuizResult] = []
    status = 0
    try:
        for bank, n in zip(banks, plan, strict=True):
            noun = "interview items" if args.interview else "questions"
            session.say(f"\n== {bank['title']} ({bank['concept']}): {n} {noun} ==")
            offset = sum(len(r.outcomes) for r in results)
            results.append(
                run_quiz(
                    bank,
                    session,
                    shuffle=args.shuffle,
                    limit=args.n,
                    interview=args.interview,
                    offset=offset,
                    total=sum(plan),
                )
            )
    except EndOfAnswers as stop:
        results.append(stop.result)
        rest = zip(banks[len(results) :], plan[len(results) :], strict=True)
        results += [QuizResult(b["concept"], b["title"], n) for b, n in rest]
        status = 130 if str(stop) == "KeyboardInterrupt" else 0
        session.say("")
    return _finish(args, results, sum(plan), status)


def _interleave(groups: Sequence[Sequence[Item]]) -> list[Item]:
    """One from each concept in turn, so a review never drills one topic in a block."""
    return [item for row in zip_longest(*groups) for item in row if item is not None]


def _by_concept(items: Sequence[Item]) -> list[list[Item]]:
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.concept, []).append(item)
    return list(groups.values())


def _review(args: argparse.Namespace) -> int:
    banks = [load_bank(bank_path(name)) for name in (args.quizzes or available())]
    progress = _Progress(args)
    store = progress.require()
    tags = set(args.tag)
    items: dict[str, Item] = {}
    for bank in banks:
        for q in bank["questions"]:
            if not tags or tags & set(q["tags"]):
                items[q["id"]] = Item(bank["concept"], "question", q)
        if not tags:
            items.update({it["id"]: Item(bank["concept"], "interview", it) for it in bank["interview"]})
    now = progress.now()
    due = [items[i] for i, _ in store.due(now, items)]
    seen = store.seen()
    room = max(0, args.new - store.new_today(now))
    new = _interleave(_by_concept([it for i, it in items.items() if i not in seen]))[:room]
    queue = (_interleave(_by_concept(due)) + new)[: args.n]
    upcoming = store.next_due(items)
    if args.list:
        listing = {
            "due": [it.id for it in queue if it not in new],
            "new": [it.id for it in queue if it in new],
            "next_due": upcoming.isoformat() if upcoming else None,
        }
        if args.json:
            print(json.dumps(listing, indent=2))
        else:
            print(f"Due now ({len(listing['due'])}): " + (", ".join(listing["due"]) or "none"))
            print(f"New today ({len(listing['new'])}): " + (", ".join(listing["new"]) or "none"))
        return 0
    session = _session(args, progress)
    if not queue:
        when = f"the next falls due at {upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else "nothing is scheduled yet"
        reason = f"the daily limit of {args.new} new items is reached" if args.new and not room else "none are new"
        message = f"Nothing is due now ({len(seen.keys() & items.keys())} seen; {reason}); {when}."
        if args.json:
            print(json.dumps({"due": 0, "new": 0, "next_due": upcoming.isoformat() if upcoming else None}))
        else:
            print(message)
        return 0
    session.say(f"\n== Review: {len(queue) - len(new)} due, {len(new)} new ==")
    result = QuizResult("review", "Review", len(queue))
    status = 0
    try:
        run_items(session, queue, result, total=len(queue))
    except EndOfAnswers as stop:
        status = 130 if str(stop) == "KeyboardInterrupt" else 0
        session.say("")
    return _finish(args, [result], len(queue), status)


def _stats(args: argparse.Namespace) -> int:
    from concepts import CATALOG
    from quiz.progress import LEECH_FAILURES

    progress = _Progress(args)
    store = progress.require()
    now = progress.now()
    sizes = {}
    for slug in available():
        try:
            bank = load_bank(slug)
            sizes[slug] = len(bank["questions"]) + len(bank["interview"])
        except BankError:
            sizes[slug] = 0
    per: dict[str, dict[str, Any]] = {}
    for s in store.item_stats():
        row = per.setdefault(s.concept, {"seen": 0, "answers": 0, "failures": 0, "due": 0, "r": [], "leeches": []})
        row["seen"] += 1
        row["answers"] += s.answers
        row["failures"] += s.failures
        row["due"] += s.card.due <= now
        row["r"].append(store.scheduler.get_card_retrievability(s.card, now))
        if s.failures >= LEECH_FAILURES:
            row["leeches"].append(s.item_id)
    order = [c.slug for c in CATALOG] + sorted(set(per) - {c.slug for c in CATALOG})
    rows = []
    for slug in order:
        if slug not in per:
            continue
        r = per[slug]
        rows.append(
            {
                "concept": slug,
                "items": sizes.get(slug, 0),
                "seen": r["seen"],
                "answers": r["answers"],
                "accuracy": round((r["answers"] - r["failures"]) / r["answers"], 4),
                "due": r["due"],
                "retrievability": round(sum(r["r"]) / len(r["r"]), 4),
                "leeches": r["leeches"],
            }
        )
    answers = sum(r["answers"] for r in rows)
    all_r = [x for r in per.values() for x in r["r"]]
    total = {
        "concept": "total",
        "items": sum(sizes.values()),
        "seen": sum(r["seen"] for r in rows),
        "answers": answers,
        "accuracy": round(sum(r["answers"] - r["failures"] for r in per.values()) / answers, 4) if answers else None,
        "due": sum(r["due"] for r in rows),
        "retrievability": round(sum(all_r) / len(all_r), 4) if all_r else None,
        "leeches": [x for r in rows for x in r["leeches"]],
    }
    if args.json:
        print(json.dumps({"now": now.isoformat(), "concepts": rows, "total": total}, indent=2))
        return 0
    if not rows:
        print("No answers recorded yet. Take a quiz (python -m quiz attention) or review (python -m quiz review).")
        return 0
    head = f"{'concept':<26}{'seen':>10}{'answers':>9}{'accuracy':>10}{'due now':>9}{'recall':>8}{'leeches':>9}"
    print(head)
    for r in [*rows, total]:
        if r is total:
            print("-" * len(head))
        accuracy = "-" if r["accuracy"] is None else f"{r['accuracy']:.0%}"
        recall = "-" if r["retrievability"] is None else f"{r['retrievability']:.2f}"
        seen = f"{r['seen']}/{r['items']}"
        print(
            f"{r['concept']:<26}{seen:>10}{r['answers']:>9}{accuracy:>10}{r['due']:>9}{recall:>8}{len(r['leeches']):>9}"
        )
    if total["leeches"]:
        print(f"Leeches (failed {LEECH_FAILURES} times or more): " + ", ".join(total["leeches"]))
    print("recall: the mean probability, by FSRS, that you would recall a seen item now.")
    return 0


def _export(args: argparse.Namespace) -> int:
    from quiz.export import write_anki, write_csv

    banks = [load_bank(bank_path(name)) for name in (args.quizzes or available())]
    target = args.anki or args.csv
    try:
        count = write_anki(banks, target) if args.anki else write_csv(banks, target)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write: {exc.strerror}") from None
    print(f"Wrote {count} cards from {len(banks)} banks to {target}")
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
            return {"validate": _validate, "review": _review, "stats": _stats, "export": _export}[command](args)
        args = parsers["run"].parse_args(argv)
        if args.quizzes in ([], ["list"]):
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
