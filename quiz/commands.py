"""The commands that ask questions or read progress: a quiz, review, stats, tags, export.

:mod:`quiz.cli` parses the command line and hands each command its arguments here; every
failure the user can cause is raised as :class:`UsageError` (or a ``BankError``) and
becomes one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quiz.bank import BankError, available, bank_path, load_bank
from quiz.runner import DONT_KNOW_HINT, EndOfAnswers, Item, Outcome, QuizResult, Session, run_items, run_quiz
from quiz.terminal import wrap

if TYPE_CHECKING:  # the store (and fsrs) load only when answers are saved
    from quiz.progress import Store

__all__ = ["UsageError", "export", "review", "stats", "tags", "take"]


class UsageError(Exception):
    """Bad command-line input; reported in one line with exit status 2."""


def _answer_source(path: Path | None, echo: Callable[[str], None]) -> Callable[[str], str]:
    """``ask(prompt)``: from a file, a pipe, or a person at the terminal (then it is ``input`` itself)."""
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
    if not getattr(args, "interview", False):  # interview drills take no typed answer to skip
        session.say(wrap(DONT_KNOW_HINT))
    return session


def take(args: argparse.Namespace) -> int:
    if args.confidence and args.interview:
        raise UsageError(
            "--confidence applies to graded questions; interview items are rated 1-4 after the model answer"
        )
    banks = [load_bank(bank_path(name)) for name in args.quizzes]
    progress = _Progress(args)
    session = _session(args, progress)
    key = "interview" if args.interview else "questions"
    plan = [min(len(b[key]), args.n or len(b[key])) for b in banks]
    results: list[QuizResult] = []
    status = 0
    try:
        for bank, n in zip(banks, plan, strict=True):
            noun = ("interview item" if args.interview else "question") + "s" * (n != 1)
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


def _all_tags(banks: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Each tag and the concepts whose questions carry it."""
    found: dict[str, list[str]] = {}
    for bank in banks:
        for tag in sorted({t for q in bank["questions"] for t in q["tags"]}):
            found.setdefault(tag, []).append(bank["concept"])
    return dict(sorted(found.items()))


def _check_tags(banks: Sequence[dict[str, Any]], tags: set[str]) -> None:
    known = _all_tags(banks)
    for tag in sorted(tags - known.keys()):
        near = difflib.get_close_matches(tag, list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise UsageError(f"no question has the tag {tag!r}{hint} ('python -m quiz tags' lists them)")


def _new_limit_note(limit: int, first_today: int, unseen: int, offered: int) -> str:
    """Why fewer new items are offered than are left, or an empty string."""
    if offered >= min(limit, unseen) or unseen == 0:
        return ""
    if limit == 0:
        return "No new items: --new 0."
    return (
        f"New items are limited to {limit} a day (UTC), and {first_today} item(s) were first seen today, "
        f"quizzes included, so {offered} new are offered of {unseen} not yet seen; "
        "more tomorrow, or raise the limit with --new N."
    )


def tags(args: argparse.Namespace) -> int:
    banks = [load_bank(bank_path(name)) for name in (args.quizzes or available())]
    counts: dict[str, int] = {}
    for bank in banks:
        for q in bank["questions"]:
            for tag in q["tags"]:
                counts[tag] = counts.get(tag, 0) + 1
    found = _all_tags(banks)
    if not found:
        print("No question has a tag.")
        return 0
    width = max(len(t) for t in found) + 2
    for tag, concepts in found.items():
        print(f"{tag:<{width}}{counts[tag]:>4} question{'s' * (counts[tag] != 1)}  ({', '.join(concepts)})")
    return 0


def review(args: argparse.Namespace) -> int:
    banks = [load_bank(bank_path(name)) for name in (args.quizzes or available())]
    progress = _Progress(args)
    store = progress.require()
    tags = set(args.tag)
    _check_tags(banks, tags)
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
    first_today = store.new_today(now)
    room = max(0, args.new - first_today)
    new = _interleave(_by_concept([it for i, it in items.items() if i not in seen]))[:room]
    queue = (_interleave(_by_concept(due)) + new)[: args.n]
    upcoming = store.next_due(items)
    unseen = sum(i not in seen for i in items)
    why_no_new = _new_limit_note(args.new, first_today, unseen, len(new))
    if args.list:
        listing = {
            "due": [it.id for it in queue if it not in new],
            "new": [it.id for it in queue if it in new],
            "new_limit": args.new,
            "first_seen_today": first_today,
            "next_due": upcoming.isoformat() if upcoming else None,
        }
        if args.json:
            print(json.dumps(listing, indent=2))
        else:
            print(wrap(f"Due now ({len(listing['due'])}): " + (", ".join(listing["due"]) or "none")))
            print(wrap(f"New today ({len(listing['new'])}): " + (", ".join(listing["new"]) or "none")))
            if why_no_new:
                print(wrap(why_no_new))
        return 0
    if not queue:
        when = f"the next falls due at {upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else "nothing is scheduled yet"
        message = f"Nothing is due now ({len(seen.keys() & items.keys())} seen); {when}."
        if args.json:
            print(json.dumps({"due": 0, "new": 0, "next_due": upcoming.isoformat() if upcoming else None}))
        else:
            print(wrap(message + (f" {why_no_new}" if why_no_new else "")))
        return 0
    session = _session(args, progress, show_concept=True)
    session.say(f"\n== Review: {len(queue) - len(new)} due, {len(new)} new ==")
    if why_no_new:
        session.say(wrap(why_no_new))
    result = QuizResult("review", "Review", len(queue))
    status = 0
    try:
        run_items(session, queue, result, total=len(queue))
    except EndOfAnswers as stop:
        status = 130 if str(stop) == "KeyboardInterrupt" else 0
        session.say("")
    return _finish(args, [result], len(queue), status)


def stats(args: argparse.Namespace) -> int:
    from concepts import CATALOG
    from quiz.progress import LEECH_FAILURES, default_db_path, stats_table

    path = args.db or default_db_path()
    if not path.exists():  # stats only reads: it never creates a progress file or its folder
        if args.db is not None:
            raise UsageError(f"{path}: no progress file there (a quiz or a review creates one when it saves)")
        print("No answers recorded yet. Take a quiz (python -m quiz attention) or review (python -m quiz review).")
        return 0
    progress = _Progress(args)
    store = progress.require()
    now = progress.now()
    sizes, exercise_ids = {}, {}
    for slug in available():
        try:
            bank = load_bank(slug)
            sizes[slug] = len(bank["questions"]) + len(bank["interview"])
            exercise_ids[slug] = {ex["id"] for ex in bank.get("exercises", [])}
        except BankError:
            sizes[slug], exercise_ids[slug] = 0, set()
    table = stats_table(store, sizes, [c.slug for c in CATALOG], now)
    table["exercises"] = _exercise_table(store, exercise_ids, [c.slug for c in CATALOG])
    rows, total = table["concepts"], table["total"]
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    if table["exercises"]:
        solved = ", ".join(f"{e['concept']} {e['solved']}/{e['exercises']}" for e in table["exercises"])
        print(wrap(f"Exercises solved (python -m quiz exercises lists them): {solved}") + "\n")
    if not rows:
        if not table["exercises"]:
            print("No answers recorded yet. Take a quiz (python -m quiz attention) or review (python -m quiz review).")
        return 0
    wide = max(len(r["concept"]) for r in rows) + 2  # 25 for grouped_query_attention: 78 columns in all
    head = f"{'concept':<{wide}}{'seen':>8}{'answers':>9}{'accuracy':>10}{'due now':>9}{'recall':>8}{'leeches':>9}"
    print(head)
    for r in [*rows, total]:
        if r is total:
            print("-" * len(head))
        accuracy = "-" if r["accuracy"] is None else f"{r['accuracy']:.0%}"
        recall = "-" if r["retrievability"] is None else f"{r['retrievability']:.2f}"
        seen = f"{r['seen']}/{r['items']}"
        print(
            f"{r['concept']:<{wide}}{seen:>8}{r['answers']:>9}{accuracy:>10}{r['due']:>9}{recall:>8}"
            f"{len(r['leeches']):>9}"
        )
    if total["leeches"]:
        print(wrap(f"Leeches (failed {LEECH_FAILURES} times or more): " + ", ".join(total["leeches"])))
    print(
        wrap(
            "recall: FSRS's estimate of the chance you would recall an item now, averaged over the items "
            "last reviewed a day or more ago; '-' until a day has passed, since right after a review it "
            "would read 1.00 whatever your answer was. accuracy: the share of all your answers that were right."
        )
    )
    return 0


def _exercise_table(store: Any, ids: dict[str, set[str]], order: list[str]) -> list[dict[str, Any]]:
    """Per concept with at least one ``quiz check`` run: exercises solved, of how many, and attempts.

    An exercise a bank no longer lists keeps its attempts in the history but is not counted
    as solved, so "solved" never exceeds the exercises there are.
    """
    per: dict[str, dict[str, Any]] = {}
    for ex in store.exercise_stats().values():
        current = ids.get(ex.concept, set())
        row = per.setdefault(ex.concept, {"concept": ex.concept, "solved": 0, "exercises": len(current)})
        row["solved"] += ex.first_pass is not None and ex.exercise_id in current
        row["attempts"] = row.get("attempts", 0) + ex.attempts
    return [per[slug] for slug in order if slug in per]


def export(args: argparse.Namespace) -> int:
    from quiz.export import write_anki, write_csv

    banks = [load_bank(bank_path(name)) for name in (args.quizzes or available())]
    target = args.anki or args.csv
    if not target.parent.is_dir():  # never create folders on the user's behalf
        raise UsageError(f"{target}: no folder {str(target.parent)!r} to write into")
    if target.is_dir():
        raise UsageError(f"{target}: is a folder; give a file name")
    try:
        count = write_anki(banks, target) if args.anki else write_csv(banks, target)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write: {exc.strerror}") from None
    print(f"Wrote {count} cards from {len(banks)} banks to {target}")
    return 0
