"""The sub-commands as a learner meets them: stats, review, tags, export, names and options."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fsrs
import pytest
from support import run_quiz as quiz

from quiz.progress import Store, rating_for, recall_now, retrievability

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("quiz: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def record(db: Path, outcomes: list[bool], when: datetime) -> None:
    with Store(db) as store:
        for i, right in enumerate(outcomes):
            store.record(
                f"sample.q{i}", "sample", kind="question", given="x", verdict="right" if right else "wrong",
                rating=rating_for(right), now=when,
            )  # fmt: skip


def stats(db: Path, now: datetime) -> dict:
    result = quiz("stats", "--json", "--db", str(db), "--now", now.isoformat())
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_recall_is_not_one_beside_poor_accuracy(tmp_path) -> None:
    """The issue: recall 1.00 beside 56% accuracy, because elapsed time was counted in whole days."""
    db = tmp_path / "p.sqlite3"
    record(db, [True] * 5 + [False] * 4, T0)
    soon = stats(db, T0 + timedelta(minutes=5))["total"]
    assert soon["accuracy"] == pytest.approx(5 / 9, abs=1e-4)
    assert soon["due"] == 4  # the lapses come back within minutes
    assert soon["retrievability"] is None and soon["recall_items"] == 0  # no figure within a day
    same_day = stats(db, T0 + timedelta(hours=6))["total"]
    assert same_day["retrievability"] is None
    later = stats(db, T0 + timedelta(days=1, hours=12))["total"]
    assert later["recall_items"] == 9
    assert 0.5 < later["retrievability"] < 0.95  # believable: the four lapses pull it down
    text = quiz("stats", "--db", str(db), "--now", (T0 + timedelta(hours=6)).isoformat()).stdout
    row = next(line for line in text.splitlines() if line.startswith("total"))
    assert row.split()[-2] == "-"  # the recall column
    flat = " ".join(text.split())
    assert "recall: FSRS's estimate of the chance you would recall an item now" in flat
    assert "'-' until a day has passed" in flat


def test_retrievability_counts_fractional_days() -> None:
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    card, _ = scheduler.review_card(fsrs.Card(card_id=1, due=T0), fsrs.Rating.Again, T0)
    whole_days = scheduler.get_card_retrievability(card, T0 + timedelta(hours=23))
    ours = retrievability(scheduler, card, T0 + timedelta(hours=23))
    assert whole_days == 1.0 and ours < 0.85
    at_two_days = retrievability(scheduler, card, T0 + timedelta(days=2))
    assert at_two_days == pytest.approx(scheduler.get_card_retrievability(card, T0 + timedelta(days=2)))
    assert recall_now(scheduler, [card], T0 + timedelta(hours=23)) is None
    assert recall_now(scheduler, [card], T0 + timedelta(days=2)) == pytest.approx(at_two_days)


def test_stats_help_says_what_recall_means() -> None:
    out = " ".join(quiz("stats", "--help").stdout.split())
    assert "recall is FSRS's estimate of the chance you would recall an item now" in out


def test_stats_on_a_new_path_creates_nothing(tmp_path) -> None:
    target = tmp_path / "new" / "folder" / "p.sqlite3"
    one_line_error(quiz("stats", "--db", str(target)), "no progress file there")
    assert not (tmp_path / "new").exists()
    flat = tmp_path / "p.sqlite3"
    one_line_error(quiz("stats", "--db", str(flat)), str(flat))
    assert list(tmp_path.iterdir()) == []


def test_stats_with_no_progress_file_at_the_default_path_says_so_and_creates_nothing(tmp_path) -> None:
    default = tmp_path / "data" / "progress.sqlite3"
    result = quiz("stats", env={"INTERVIEW_CONCEPTS_DB": str(default)})
    assert result.returncode == 0 and "No answers recorded yet" in result.stdout
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("fmt", ["--csv", "--anki"])
def test_export_into_a_missing_folder_is_one_line_and_creates_nothing(tmp_path, fmt: str) -> None:
    target = tmp_path / "missing" / "deeper" / "cards.out"
    one_line_error(quiz("export", "attention", fmt, str(target)), "no folder")
    assert list(tmp_path.iterdir()) == []
    one_line_error(quiz("export", "attention", fmt, str(tmp_path)), "is a folder")


def test_review_with_an_unknown_tag_says_no_item_has_it(sample, write_bank, tmp_path) -> None:
    bank = write_bank(sample)
    db = tmp_path / "p.sqlite3"
    one_line_error(
        quiz("review", str(bank), "--tag", "nosuchtag", "--db", str(db)), "no question has the tag 'nosuchtag'"
    )
    one_line_error(quiz("review", str(bank), "--tag", "scalin", "--db", str(db)), "did you mean scaling?")
    ok = quiz("review", str(bank), "--tag", "scaling", "--list", "--db", str(db))
    assert ok.returncode == 0 and "sample.pick" in ok.stdout


def test_tags_lists_every_tag_with_its_concepts(sample, write_bank) -> None:
    result = quiz("tags", str(write_bank(sample)))
    assert result.returncode == 0
    assert result.stdout.split() == ["scaling", "1", "question", "(sample)"]
    every = quiz("tags")
    assert every.returncode == 0 and every.stdout.strip(), every.stderr


def test_after_a_first_quiz_review_says_why_no_new_items(sample, write_bank, tmp_path) -> None:
    bank = write_bank(sample)
    db = tmp_path / "p.sqlite3"
    now = ("--db", str(db), "--now", T0.isoformat())
    quiz(str(bank), "--seed", "0", *now, stdin="?\n?\n?\n?\n")  # four items first seen today
    listing = quiz("review", str(bank), "--new", "4", "--list", *now)
    flat = " ".join(listing.stdout.split())
    assert "New today (0): none" in flat
    assert "New items are limited to 4 a day (UTC), and 4 item(s) were first seen today, quizzes included" in flat
    assert "raise the limit with --new N" in flat
    data = json.loads(quiz("review", str(bank), "--new", "4", "--list", "--json", *now).stdout)
    assert (data["new_limit"], data["first_seen_today"], data["new"]) == (4, 4, [])


def test_the_guide_documents_the_daily_new_limit() -> None:
    guide = " ".join((Path(__file__).resolve().parents[2] / "docs" / "guide.md").read_text(encoding="utf-8").split())
    assert "Items first seen in a quiz count towards the limit too" in guide and "--new N" in guide


def test_review_shows_each_questions_concept(sample, write_bank, tmp_path) -> None:
    result = quiz("review", str(write_bank(sample)), "--db", str(tmp_path / "p.sqlite3"), "-n", "1", stdin="?\n")
    assert "Question 1 of 1 [sample; level 1: recall; choose one]" in result.stdout


@pytest.mark.parametrize("name", ["Attention", "ATTENTION", "attention"])
def test_concept_names_are_case_insensitive(name: str) -> None:
    result = quiz(name, "-n", "1", "--no-save", stdin="?\n")
    assert result.returncode == 0, result.stderr
    assert "(attention)" in result.stdout


@pytest.mark.parametrize(("typed", "meant"), [("reveiw", "review"), ("stat", "stats"), ("valdate", "validate")])
def test_misspelt_commands_get_did_you_mean(typed: str, meant: str) -> None:
    one_line_error(quiz(typed), f"did you mean the command {meant!r}?")


def test_confidence_with_interview_is_an_error() -> None:
    one_line_error(quiz("attention", "--interview", "--confidence"), "--confidence", "interview")


def test_review_help_lists_only_options_review_has() -> None:
    out = quiz("review", "--help").stdout
    assert "--no-save" not in out and "--shuffle" not in out and "from each quiz" not in out
    assert "--new" in out and "--tag" in out
    one_line_error(quiz("review", "--no-save"), "unrecognized arguments: --no-save")


def test_export_shows_numbers_as_asked_and_lists_misconceptions(sample, write_bank, tmp_path) -> None:
    import csv

    sample["questions"][2].update(answer=2359296, decimals=0, rel_tol=0.01)
    sample["questions"][2]["misconceptions"] = [{"answer": 2621440, "explain": "That counts biases too."}]
    target = tmp_path / "cards.csv"
    result = quiz("export", str(write_bank(sample)), "--csv", str(target))
    assert result.returncode == 0, result.stderr
    rows = {r["id"]: r for r in csv.DictReader(target.open(encoding="utf-8"))}
    back = rows["sample.number"]["back"]
    assert back.startswith("2,359,296\n") and "e+06" not in back
    assert "Common mistakes:\n- 2621440: That counts biases too." in back
    assert "Common mistakes:\n- LayerNorm: " in rows["sample.word"]["back"]


@pytest.mark.parametrize(
    ("args", "meant"), [(("review", "--tga", "x"), "--tag"), (("attention", "--shufle"), "--shuffle")]
)
def test_misspelt_options_get_did_you_mean(args: tuple[str, ...], meant: str) -> None:
    one_line_error(quiz(*args), "unrecognized arguments", f"did you mean {meant}?")


def test_the_stats_table_fits_80_columns(tmp_path) -> None:
    db = tmp_path / "p.sqlite3"
    with Store(db) as store:
        store.record(
            "grouped_query_attention.q", "grouped_query_attention", kind="question", given="x", verdict="right",
            rating=rating_for(True), now=T0,
        )  # fmt: skip
    out = quiz("stats", "--db", str(db), "--now", (T0 + timedelta(days=2)).isoformat()).stdout
    assert "grouped_query_attention" in out
    assert max(len(line) for line in out.splitlines()) <= 80, out


def test_the_dont_know_hint_shows_for_graded_questions_only() -> None:
    graded = quiz("attention", "-n", "1", "--no-save", stdin="?\n").stdout
    assert graded.startswith("Type ? or skip when you do not know")
    drill = quiz("attention", "--interview", "-n", "1", "--no-save", stdin="\n3\n").stdout
    assert "Type ? or skip" not in drill


def test_a_retired_exercise_keeps_its_attempts_but_is_not_counted_solved(tmp_path) -> None:
    """regularization.adam-decay left the bank; a learner who passed it sees 1/2 solved, never 2/2 or 3/2."""
    db = tmp_path / "p.sqlite3"
    with Store(db) as store:
        for exercise_id in ("regularization.adam-decay", "regularization.dropout"):
            store.record_exercise(
                exercise_id, "regularization", passed=True, checks_passed=3, checks_total=3, now=T0
            )  # fmt: skip
    stats = json.loads(quiz("stats", "--json", "--db", str(db)).stdout)
    assert stats["exercises"] == [{"concept": "regularization", "solved": 1, "exercises": 2, "attempts": 2}]
