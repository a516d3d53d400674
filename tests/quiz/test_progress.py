"""The learning loop: answers persist at once, FSRS decides what is due, files are never clobbered."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fsrs
import pytest
from support import run_quiz as quiz

from quiz.progress import LEECH_FAILURES, ProgressError, Store, card_id, rating_for
from quiz.runner import display_order

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def letter(q: dict, option_id: str, seed: str = "0") -> str:
    return "abcdefgh"[display_order(q, seed).index(option_id)]


def stats(db: Path, now: datetime) -> dict:
    result = quiz("stats", "--json", "--db", str(db), "--now", now.isoformat())
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_review_tomorrow_shows_exactly_what_fsrs_says_is_due(sample, write_bank, tmp_path) -> None:
    """Answer two questions right and two wrong today; tomorrow, FSRS's own replay decides what is due."""
    bank = write_bank(sample)
    db = tmp_path / "p.sqlite3"
    q = sample["questions"]
    answers = [letter(q[0], "sqrt-dk"), "a,b,c", "1/8", "layernorm"]  # right, wrong, right, wrong
    result = quiz(str(bank), "--seed", "0", "--db", str(db), "--now", T0.isoformat(), stdin="\n".join(answers))
    assert "Score: 2 of 4 answered" in result.stdout
    # A second pass an hour later moves the right ones on to review state.
    later = T0 + timedelta(hours=1)
    quiz(str(bank), "--seed", "0", "--db", str(db), "--now", later.isoformat(), stdin="\n".join(answers))

    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    expected_due: dict[str, datetime] = {}
    for qq, right in zip(q, [True, False, True, False], strict=True):
        card = fsrs.Card(card_id=card_id(qq["id"]), due=T0)
        for moment in (T0, later):
            card, _ = scheduler.review_card(card, fsrs.Rating.Good if right else fsrs.Rating.Again, moment)
        expected_due[qq["id"]] = card.due
    tomorrow = T0 + timedelta(days=1)
    listing = quiz("review", str(bank), "--list", "--json", "--db", str(db), "--now", tomorrow.isoformat())
    got = json.loads(listing.stdout)
    assert sorted(got["due"]) == sorted(i for i, due in expected_due.items() if due <= tomorrow)
    assert 0 < len(got["due"]) < 4, "the case must separate due from not due"
    assert got["new"] == ["sample.why"], "the unseen interview item is offered as new"

    s = stats(db, tomorrow)
    row = s["concepts"][0]
    assert (row["concept"], row["seen"], row["answers"], row["due"]) == ("sample", 4, 8, len(got["due"]))
    assert row["accuracy"] == 0.5
    assert s["total"]["answers"] == 8


def test_sigkill_mid_quiz_loses_no_answer(sample, write_bank, tmp_path) -> None:
    bank = write_bank(sample)
    db = tmp_path / "p.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "quiz", str(bank), "--seed", "0", "--db", str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write(letter(sample["questions"][0], "sqrt-dk") + "\nlayernorm\n")
    proc.stdin.flush()
    seen = ""
    deadline = time.monotonic() + 30
    while "Question 3 of 4" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    assert "Question 3 of 4" in seen
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    s = stats(db, datetime.now(UTC))
    assert s["total"]["answers"] == 2 and s["total"]["seen"] == 2
    with Store(db) as store:
        assert [(a["item_id"], a["verdict"]) for a in store.answers()] == [
            ("sample.pick", "right"),
            ("sample.several", "wrong"),
        ]


@pytest.mark.parametrize("content", [b"this is not a database" * 50, b"SQLite format 3\x00" + b"\x07" * 2000])
def test_corrupt_file_is_reported_and_left_untouched(sample, write_bank, tmp_path, content: bytes) -> None:
    db = tmp_path / "p.sqlite3"
    db.write_bytes(content)
    result = quiz(str(write_bank(sample)), "--db", str(db), stdin="b\n")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "left untouched" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == content
    assert not (tmp_path / "p.sqlite3-wal").exists() or (tmp_path / "p.sqlite3-wal").stat().st_size == 0


def test_foreign_sqlite_file_is_refused(tmp_path) -> None:
    db = tmp_path / "other.sqlite3"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(ProgressError, match="not a progress file of this tool"):
        Store(db)
    assert db.read_bytes() == before


def test_newer_schema_is_refused(tmp_path) -> None:
    db = tmp_path / "p.sqlite3"
    Store(db).close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(ProgressError, match="newer version"):
        Store(db)


def test_schema_version_and_wal(tmp_path) -> None:
    with Store(tmp_path / "p.sqlite3") as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == 2  # 2 added exercise attempts
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_two_terminals_can_record_at_once(tmp_path) -> None:
    db = tmp_path / "p.sqlite3"
    with Store(db) as a, Store(db) as b:
        for i in range(20):
            store = a if i % 2 else b
            store.record(
                f"x.q{i % 3}",
                "x",
                kind="question",
                given="a",
                verdict="right",
                rating=fsrs.Rating.Good,
                now=T0 + timedelta(minutes=i),
            )
        assert len(a.answers()) == len(b.answers()) == 20
        assert len(a.seen()) == 3


def test_no_save_writes_nothing(sample, write_bank, tmp_path) -> None:
    db = tmp_path / "p.sqlite3"
    result = quiz(str(write_bank(sample)), "--no-save", "--db", str(db), stdin="b\n")
    assert result.returncode == 0 and not db.exists()


def test_confidence_maps_to_ratings_and_flags_confident_errors(sample, write_bank, tmp_path) -> None:
    db = tmp_path / "p.sqlite3"
    q = sample["questions"]
    lines = [letter(q[0], "sqrt-dk"), "1", "layernorm", "maybe", "3", "1/8", "2"]
    result = quiz(
        str(write_bank(sample)), "--seed", "0", "--confidence", "-n", "3", "--db", str(db), stdin="\n".join(lines)
    )
    out = result.stdout
    assert "Right, though you were unsure" in out
    assert "Wrong, and you were certain" in out
    assert "expected 1 (guessing), 2 (fairly sure) or 3 (certain)" in out
    assert "Confidently wrong (worth rereading first): sample.several" in out
    with Store(db) as store:
        rows = [(a["item_id"], a["rating"], a["confidence"]) for a in store.answers()]
    assert rows == [
        ("sample.pick", int(fsrs.Rating.Hard), 1),
        ("sample.several", int(fsrs.Rating.Again), 3),
        ("sample.number", int(fsrs.Rating.Good), 2),
    ]
    assert rating_for(True) == fsrs.Rating.Good and rating_for(False, 3) == fsrs.Rating.Again


def test_interview_drill_reveals_and_records_self_rating(sample, write_bank, tmp_path) -> None:
    db = tmp_path / "p.sqlite3"
    result = quiz(
        str(write_bank(sample)), "--interview", "--db", str(db), "--now", T0.isoformat(), stdin="\nsuper\neasy\n"
    )
    out = result.stdout
    assert "Why scale by" in out and "Model answer:" in out and "keep the logits at unit variance" in out
    assert "What happens to the gradients" in out
    assert "expected 1 again, 2 hard, 3 good or 4 easy" in out
    with Store(db) as store:
        (row,) = store.answers()
        assert (row["item_id"], row["kind"], row["verdict"], row["rating"]) == ("sample.why", "interview", "easy", 4)
        assert store.card("sample.why").due > T0 + timedelta(days=1)


def test_review_respects_the_daily_new_limit_and_says_when_next(sample, write_bank, tmp_path) -> None:
    bank = write_bank(sample)
    db = tmp_path / "p.sqlite3"
    args = ("review", str(bank), "--new", "2", "--db", str(db), "--now", T0.isoformat())
    first = quiz(*args, stdin="sqrt-dk\nlayernorm rmsnorm\n")
    assert "Review: 0 due, 2 new" in first.stdout and "Score: 2 of 2 answered" in first.stdout
    again = quiz(*args)
    assert again.returncode == 0
    flat = " ".join(again.stdout.split())
    assert "Nothing is due now (2 seen); the next falls due at 2026-11-23 09:" in flat
    assert "New items are limited to 2 a day (UTC), and 2 item(s) were first seen today" in flat


def test_review_interleaves_concepts(sample, write_bank, tmp_path) -> None:
    other = json.loads(json.dumps(sample).replace("sample.", "other.").replace('"sample"', '"other"'))
    a, b = write_bank(sample), write_bank(other, "other")
    got = json.loads(
        quiz("review", str(a), str(b), "--list", "--json", "--new", "6", "--db", str(tmp_path / "p.sqlite3")).stdout
    )
    assert [i.split(".")[0] for i in got["new"]] == ["sample", "other"] * 3


def test_leeches_are_counted(tmp_path) -> None:
    db = tmp_path / "p.sqlite3"
    with Store(db) as store:
        for i in range(LEECH_FAILURES):
            store.record(
                "x.hard",
                "x",
                kind="question",
                given="a",
                verdict="wrong",
                rating=fsrs.Rating.Again,
                now=T0 + timedelta(days=i),
            )
        store.record("x.easy", "x", kind="question", given="b", verdict="right", rating=fsrs.Rating.Good, now=T0)
    s = stats(db, T0 + timedelta(days=10))
    assert s["concepts"][0]["leeches"] == ["x.hard"] and s["total"]["leeches"] == ["x.hard"]
    assert s["concepts"][0]["accuracy"] == round(1 / (LEECH_FAILURES + 1), 4)
    text = quiz("stats", "--db", str(db), "--now", (T0 + timedelta(days=10)).isoformat()).stdout
    assert "Leeches (failed 8 times or more): x.hard" in text and text.splitlines()[0].startswith("concept")


def test_export_csv_and_anki_with_stable_guids(sample, write_bank, tmp_path) -> None:
    import csv

    import genanki

    bank = write_bank(sample)
    out_csv = tmp_path / "cards.csv"
    assert quiz("export", str(bank), "--csv", str(out_csv)).returncode == 0
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["id"] for r in rows] == [q["id"] for q in sample["questions"]] + ["sample.why"]
    guids = []
    for name in ("one.apkg", "two.apkg"):
        path = tmp_path / name
        assert quiz("export", str(bank), "--anki", str(path)).returncode == 0
        with zipfile.ZipFile(path) as z:
            z.extract("collection.anki2", tmp_path / name[:-5])
        con = sqlite3.connect(tmp_path / name[:-5] / "collection.anki2")
        guids.append(sorted(g for (g,) in con.execute("SELECT guid FROM notes")))
        con.close()
    assert guids[0] == guids[1] == sorted(genanki.guid_for(r["id"]) for r in rows)
