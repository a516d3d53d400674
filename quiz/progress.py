"""The learner's progress: every answer, and an FSRS card per question, in one SQLite file.

Each answer is committed the moment it is given, so a killed process loses nothing that
was already answered. The file runs in WAL mode, so two terminals can drill at once. It
carries an application id and a schema version: a file that is not ours, or is corrupt,
is reported and never written to.

Scheduling is the ``fsrs`` package's (FSRS-6); we only map verdicts to ratings:

- a wrong answer is Again; a right answer is Good, or Hard when given with low confidence;
- an interview item is rated by the learner: Again, Hard, Good or Easy.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fsrs

__all__ = [
    "APP_NAME",
    "LEECH_FAILURES",
    "ProgressError",
    "Store",
    "card_id",
    "default_db_path",
    "rating_for",
    "recall_now",
    "retrievability",
    "stats_table",
]

APP_NAME = "interview-concepts"
DB_ENV = "INTERVIEW_CONCEPTS_DB"
APPLICATION_ID = 0x51435054  # "QCPT": marks the file as ours
SCHEMA_VERSION = 2
LEECH_FAILURES = 8

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        answered_at TEXT NOT NULL,          -- ISO 8601, UTC
        item_id TEXT NOT NULL,              -- <slug>.<short-name>
        concept TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('question', 'interview')),
        given TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('right', 'wrong', 'again', 'hard', 'good', 'easy')),
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        confidence INTEGER CHECK (confidence BETWEEN 1 AND 3),
        seconds REAL
    );
    CREATE INDEX answers_item ON answers (item_id);
    CREATE TABLE cards (
        item_id TEXT PRIMARY KEY,
        concept TEXT NOT NULL,
        kind TEXT NOT NULL,
        card TEXT NOT NULL,                 -- fsrs.Card as JSON
        due TEXT NOT NULL,                  -- copy of card.due for queries
        first_seen TEXT NOT NULL
    );
    CREATE INDEX cards_due ON cards (due);
    """,
    2: """
    CREATE TABLE exercise_attempts (
        id INTEGER PRIMARY KEY,
        attempted_at TEXT NOT NULL,         -- ISO 8601, UTC
        exercise_id TEXT NOT NULL,          -- <slug>.<short-name>
        concept TEXT NOT NULL,
        passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
        checks_passed INTEGER NOT NULL,
        checks_total INTEGER NOT NULL
    );
    CREATE INDEX exercise_attempts_id ON exercise_attempts (exercise_id);
    """,
}


class ProgressError(Exception):
    """The progress file cannot be used; the message says why and that it was left alone."""


def default_db_path() -> Path:
    """``$INTERVIEW_CONCEPTS_DB``, else ``$XDG_DATA_HOME/interview-concepts/progress.sqlite3``."""
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / APP_NAME / "progress.sqlite3"


def card_id(item_id: str) -> int:
    """A stable positive 63-bit FSRS card id derived from the question id.

    >>> card_id("attention.sqrt-dk") == card_id("attention.sqrt-dk")
    True
    """
    return int.from_bytes(hashlib.sha256(item_id.encode()).digest()[:8], "big") >> 1


def rating_for(right: bool, confidence: int | None = None) -> fsrs.Rating:
    """Again when wrong; Hard when right with low confidence (1 of 3); Good otherwise."""
    if not right:
        return fsrs.Rating.Again
    return fsrs.Rating.Hard if confidence == 1 else fsrs.Rating.Good


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ItemStats:
    """What the store knows of one item."""

    item_id: str
    concept: str
    kind: str
    answers: int
    failures: int
    card: fsrs.Card


@dataclass(frozen=True)
class ExerciseStats:
    """What the store knows of one exercise: how often it was checked and when it first passed."""

    exercise_id: str
    concept: str
    attempts: int
    first_pass: datetime | None


class Store:
    """The progress file. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path, *, scheduler: fsrs.Scheduler | None = None) -> None:
        self.path = path
        self.scheduler = scheduler or fsrs.Scheduler(enable_fuzzing=False)
        existed = path.exists() and path.stat().st_size > 0
        if path.exists() and not path.is_file():
            raise ProgressError(f"{path}: not a file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ProgressError(f"{path}: cannot open the progress file: {exc}") from None
        try:
            self._check(existed)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise ProgressError(
                f"{path}: not a readable progress file ({exc}); it was left untouched: "
                "move it away or choose another with --db"
            ) from None

    def _check(self, existed: bool) -> None:
        app_id = self.db.execute("PRAGMA application_id").fetchone()[0]
        tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if existed and (app_id != APPLICATION_ID or tables == 0):
            self.db.close()
            raise ProgressError(
                f"{self.path}: an SQLite file that is not a progress file of this tool; it was left "
                "untouched: choose another with --db"
            )
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self.db.close()
            raise ProgressError(
                f"{self.path}: written by a newer version (schema {version}, this one reads up to "
                f"{SCHEMA_VERSION}); upgrade the package"
            )

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for target in range(version + 1, SCHEMA_VERSION + 1):
            # One script, one transaction: the tables and the version move together or not at all.
            script = f"BEGIN IMMEDIATE;{MIGRATIONS[target]};PRAGMA application_id = {APPLICATION_ID};"
            try:
                self.db.executescript(script + f"PRAGMA user_version = {target}; COMMIT;")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def card(self, item_id: str) -> fsrs.Card | None:
        row = self.db.execute("SELECT card FROM cards WHERE item_id = ?", (item_id,)).fetchone()
        return fsrs.Card.from_json(row[0]) if row else None

    def record(
        self,
        item_id: str,
        concept: str,
        *,
        kind: str,
        given: str,
        verdict: str,
        rating: fsrs.Rating,
        now: datetime,
        confidence: int | None = None,
        seconds: float | None = None,
    ) -> fsrs.Card:
        """Log one answer and move its card on, in one committed transaction."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            card = self.card(item_id) or fsrs.Card(card_id=card_id(item_id), due=now)
            card, _ = self.scheduler.review_card(card, rating, now)
            self.db.execute(
                "INSERT INTO answers (answered_at, item_id, concept, kind, given, verdict, rating, confidence, seconds)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_iso(now), item_id, concept, kind, given, verdict, int(rating), confidence, seconds),
            )
            self.db.execute(
                "INSERT INTO cards (item_id, concept, kind, card, due, first_seen) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (item_id) DO UPDATE SET card = excluded.card, due = excluded.due",
                (item_id, concept, kind, card.to_json(), _iso(card.due), _iso(now)),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return card

    def seen(self) -> dict[str, fsrs.Card]:
        """Every item that has a card, with its card."""
        return {item: fsrs.Card.from_json(card) for item, card in self.db.execute("SELECT item_id, card FROM cards")}

    def due(self, now: datetime, items: Iterable[str] | None = None) -> list[tuple[str, datetime]]:
        """(item id, due time) of the cards due at ``now``, earliest first."""
        rows = self.db.execute("SELECT item_id, due FROM cards WHERE due <= ? ORDER BY due, item_id", (_iso(now),))
        wanted = None if items is None else set(items)
        return [(i, datetime.fromisoformat(d)) for i, d in rows if wanted is None or i in wanted]

    def next_due(self, items: Iterable[str] | None = None) -> datetime | None:
        wanted = None if items is None else set(items)
        for item, due in self.db.execute("SELECT item_id, due FROM cards ORDER BY due"):
            if wanted is None or item in wanted:
                return datetime.fromisoformat(due)
        return None

    def new_today(self, now: datetime) -> int:
        """How many items were seen for the first time on ``now``'s UTC day."""
        day = _iso(now)[:10]
        return self.db.execute("SELECT count(*) FROM cards WHERE substr(first_seen, 1, 10) = ?", (day,)).fetchone()[0]

    def item_stats(self) -> list[ItemStats]:
        rows = self.db.execute(
            "SELECT c.item_id, c.concept, c.kind, c.card, count(a.id),"
            " sum(a.verdict IN ('wrong', 'again')) FROM cards c JOIN answers a USING (item_id)"
            " GROUP BY c.item_id ORDER BY c.item_id"
        )
        return [ItemStats(i, c, k, n, f or 0, fsrs.Card.from_json(card)) for i, c, k, card, n, f in rows]

    def record_exercise(
        self, exercise_id: str, concept: str, *, passed: bool, checks_passed: int, checks_total: int, now: datetime
    ) -> None:
        """Log one ``quiz check`` run of an exercise (exercises are never scheduled for review)."""
        self.db.execute(
            "INSERT INTO exercise_attempts (attempted_at, exercise_id, concept, passed, checks_passed, checks_total)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (_iso(now), exercise_id, concept, int(passed), checks_passed, checks_total),
        )

    def exercise_stats(self) -> dict[str, ExerciseStats]:
        """Attempts and first pass of every exercise tried, by exercise id."""
        rows = self.db.execute(
            "SELECT exercise_id, concept, count(*), min(CASE WHEN passed THEN attempted_at END)"
            " FROM exercise_attempts GROUP BY exercise_id ORDER BY exercise_id"
        )
        return {
            i: ExerciseStats(i, c, n, None if first is None else datetime.fromisoformat(first))
            for i, c, n, first in rows
        }

    def answers(self) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT * FROM answers ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]


# ---- stats: what the learner sees of their progress ------------------------------------

#: FSRS models long-term memory; within a day of a review an item is in short-term memory
#: (the learning steps handle it), so no recall figure is given for it until then.
RECALL_AFTER = timedelta(days=1)


def retrievability(scheduler: fsrs.Scheduler, card: fsrs.Card, now: datetime) -> float | None:
    """FSRS's probability of recalling ``card`` at ``now``, counting elapsed time in fractional days.

    ``fsrs.Scheduler.get_card_retrievability`` counts whole days, so every item reviewed
    less than a day ago reads 1.0 whatever happened to it. None for a card never reviewed.
    """
    if card.last_review is None or card.stability is None:
        return None
    decay = -scheduler.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    elapsed = max(0.0, (now - card.last_review).total_seconds() / 86400)
    return float((1 + factor * elapsed / card.stability) ** decay)


def recall_now(scheduler: fsrs.Scheduler, cards: list[fsrs.Card], now: datetime) -> float | None:
    """Mean retrievability at ``now`` of the cards last reviewed at least a day ago (None if none)."""
    values = [
        r
        for c in cards
        if c.last_review is not None
        and now - c.last_review >= RECALL_AFTER
        and (r := retrievability(scheduler, c, now)) is not None
    ]
    return sum(values) / len(values) if values else None


def stats_table(store: Store, sizes: dict[str, int], order: list[str], now: datetime) -> dict[str, Any]:
    """Per concept (in ``order``, then any others) and in total: seen, answers, accuracy, due, recall, leeches."""
    per: dict[str, dict[str, Any]] = {}
    for s in store.item_stats():
        row = per.setdefault(s.concept, {"seen": 0, "answers": 0, "failures": 0, "due": 0, "cards": [], "leeches": []})
        row["seen"] += 1
        row["answers"] += s.answers
        row["failures"] += s.failures
        row["due"] += s.card.due <= now
        row["cards"].append(s.card)
        if s.failures >= LEECH_FAILURES:
            row["leeches"].append(s.item_id)

    def summary(name: str, items: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
        answers = sum(r["answers"] for r in rows)
        cards = [c for r in rows for c in r["cards"]]
        recall = recall_now(store.scheduler, cards, now)
        return {
            "concept": name,
            "items": items,
            "seen": sum(r["seen"] for r in rows),
            "answers": answers,
            "accuracy": round(sum(r["answers"] - r["failures"] for r in rows) / answers, 4) if answers else None,
            "due": sum(r["due"] for r in rows),
            "retrievability": None if recall is None else round(recall, 4),
            "recall_items": sum(c.last_review is not None and now - c.last_review >= RECALL_AFTER for c in cards),
            "leeches": [x for r in rows for x in r["leeches"]],
        }

    ordered = [slug for slug in order if slug in per] + sorted(set(per) - set(order))
    rows = [summary(slug, sizes.get(slug, 0), [per[slug]]) for slug in ordered]
    total = summary("total", sum(sizes.values()), list(per.values()))
    return {"now": now.isoformat(), "concepts": rows, "total": total}
