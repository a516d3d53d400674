"""Taking a quiz in a terminal: show an item, read an answer, explain, keep score.

The runner talks only through ``ask(prompt) -> str`` and ``say(text)``, so the same code
serves a person at a prompt, a pipe, an answers file and the tests. An optional
``record`` callback receives every answer the moment it is graded (the progress store
commits it there).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from quiz.feedback import feedback, render_question
from quiz.grading import (
    AnswerFormatError,
    correct_answer,
    dont_know,
    find_misconception,
    grade,
    parse_answer,
)
from quiz.terminal import section_address, wrap

__all__ = [
    "EndOfAnswers",
    "Item",
    "Outcome",
    "QuizResult",
    "Session",
    "display_order",
    "run_items",
    "run_quiz",
    "section_address",
]

CONFIDENCE = {"1": 1, "2": 2, "3": 3, "guess": 1, "unsure": 1, "fair": 2, "fairly": 2, "sure": 3, "certain": 3}
RATINGS = {"1": "again", "2": "hard", "3": "good", "4": "easy", "a": "again", "h": "hard", "g": "good", "e": "easy"}
RATINGS.update({name: name for name in ("again", "hard", "good", "easy")})
DONT_KNOW_HINT = "Type ? or skip when you do not know: the item then comes back soon."


class EndOfAnswers(Exception):
    """The learner stopped (end of input or Ctrl-C); ``result`` holds what was answered."""

    def __init__(self, reason: str, result: QuizResult) -> None:
        super().__init__(reason)
        self.result = result


@dataclass(frozen=True)
class Item:
    """One thing to ask: an auto-graded question or an interview item of a concept."""

    concept: str
    kind: str  # "question" or "interview"
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data["id"]


@dataclass
class Outcome:
    """One answered item.

    ``dont_know`` is set when the learner said so (``?`` or ``skip``): graded wrong, a lapse
    for the scheduler. ``misconception`` is the bank's entry a wrong answer matched.
    ``rejected`` lists the inputs that could not be read as an answer, with the reason.
    """

    id: str
    given: str
    answer: Any
    correct: Any
    right: bool
    verdict: str
    confidence: int | None = None
    seconds: float | None = None
    dont_know: bool = False
    misconception: dict[str, Any] | None = None
    rejected: list[dict[str, str]] = field(default_factory=list)
    concept: str | None = None

    @property
    def confidently_wrong(self) -> bool:
        return not self.right and self.confidence == 3

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "concept": self.concept,
            "given": self.given,
            "answer": self.answer,
            "correct": self.correct,
            "verdict": self.verdict,
            "dont_know": self.dont_know,
            "misconception": self.misconception,
            "confidence": self.confidence,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "rejected": self.rejected,
        }


@dataclass
class QuizResult:
    """The outcomes of one run, and how many items were planned."""

    concept: str
    title: str
    planned: int
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(o.right for o in self.outcomes)

    @property
    def rejected(self) -> int:
        return sum(len(o.rejected) for o in self.outcomes)

    def as_json(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "title": self.title,
            "score": self.score,
            "answered": len(self.outcomes),
            "total": self.planned,
            "rejected": self.rejected,
            "questions": [o.as_json() for o in self.outcomes],
        }


def display_order(question: dict[str, Any], seed: int | str | None) -> list[str]:
    """Option ids in the order shown; stable for a given seed and question id.

    >>> q = {"id": "x.y", "options": [{"id": "aa"}, {"id": "bb"}, {"id": "cc"}]}
    >>> display_order(q, 0) == display_order(q, 0)
    True
    """
    ids = [o["id"] for o in question["options"]]
    rng = random.Random(f"{seed}/{question['id']}" if seed is not None else None)
    rng.shuffle(ids)
    return ids


@dataclass
class Session:
    """How items are asked: the input and output, the seed, and what happens to answers.

    ``warn`` (when given) hears of every input that was rejected, as one line; the command
    line sends it to stderr for piped and ``--answers`` runs.
    """

    ask: Callable[[str], str]
    say: Callable[[str], None]
    seed: int | str | None = None
    confidence: bool = False
    record: Callable[[Item, Outcome], None] | None = None
    show_concept: bool = False
    warn: Callable[[str], None] | None = None
    _rejected: list[dict[str, str]] = field(default_factory=list, repr=False)

    def _read(self, prompt: str, parse: Callable[[str], Any], item_id: str = "") -> tuple[str, Any]:
        while True:
            given = self.ask(prompt)
            try:
                return given, parse(given)
            except AnswerFormatError as exc:
                self._rejected.append({"given": given, "reason": str(exc)})
                if self.warn is not None:
                    self.warn(f"rejected {given!r} for {item_id}: {exc}")
                self.say(f"Not an answer: {exc}. Try again.")

    def _confidence(self, text: str) -> int:
        value = CONFIDENCE.get(text.strip().lower())
        if value is None:
            raise AnswerFormatError("expected 1 (guessing), 2 (fairly sure) or 3 (certain)")
        return value

    def question(self, item: Item, header: str) -> Outcome:
        q = item.data
        order = display_order(q, self.seed) if q["type"] in ("single", "multi") else None
        self.say("\n" + render_question(q, header, order, item.concept if self.show_concept else None))
        self._rejected = []
        start = time.monotonic()

        def parse(text: str) -> Any:
            return None if dont_know(text) else parse_answer(q, text, order)

        given, answer = self._read("> ", parse, q["id"])
        seconds = time.monotonic() - start
        skipped = answer is None
        confidence = None
        if self.confidence and not skipped:
            _, confidence = self._read(
                "How sure are you? 1 guessing, 2 fairly sure, 3 certain > ", self._confidence, q["id"]
            )
        right = not skipped and grade(q, answer)
        outcome = Outcome(
            q["id"],
            given.strip(),
            answer,
            correct_answer(q),
            right,
            "right" if right else "wrong",
            confidence,
            seconds,
            dont_know=skipped,
            misconception=None if right or skipped else find_misconception(q, answer),
            rejected=self._rejected,
            concept=item.concept,
        )
        if self.record:
            self.record(item, outcome)
        self.say(feedback(item, answer, outcome, order))
        return outcome

    def interview(self, item: Item, header: str) -> Outcome:
        it = item.data
        level = it["level"].replace("-", " ")
        where = f"{item.concept}; " if self.show_concept else ""
        self.say(f"\n{header} [{where}interview, {level}]\n" + wrap(it["question"]))
        self._rejected = []
        self.say("Answer aloud or on paper, then press Enter to see the model answer.")
        start = time.monotonic()
        self.ask("> ")
        seconds = time.monotonic() - start
        shown = ["Model answer:", wrap(it["answer"], "  ")]
        if it["follow_ups"]:
            shown.append("Follow-ups an interviewer asks next:")
            shown += [wrap(f, "    ", first="  - ") for f in it["follow_ups"]]
        self.say("\n".join(shown))

        def rating(text: str) -> str:
            value = RATINGS.get(text.strip().lower())
            if value is None:
                raise AnswerFormatError("expected 1 again, 2 hard, 3 good or 4 easy")
            return value

        given, verdict = self._read("How did you do? 1 again, 2 hard, 3 good, 4 easy > ", rating, it["id"])
        outcome = Outcome(
            it["id"],
            given.strip(),
            verdict,
            None,
            verdict != "again",
            verdict,
            None,
            seconds,
            rejected=self._rejected,
            concept=item.concept,
        )
        if self.record:
            self.record(item, outcome)
        return outcome


def run_items(
    session: Session, items: Sequence[Item], result: QuizResult, *, offset: int = 0, total: int
) -> QuizResult:
    """Ask ``items`` in turn, appending to ``result``; stopping raises :class:`EndOfAnswers`."""
    for i, item in enumerate(items, start=offset + 1):
        header = f"Question {i} of {total}"
        try:
            ask = session.interview if item.kind == "interview" else session.question
            result.outcomes.append(ask(item, header))
        except (EOFError, KeyboardInterrupt) as exc:
            raise EndOfAnswers(type(exc).__name__, result) from None
    return result


def run_quiz(
    bank: dict[str, Any],
    session: Session,
    *,
    shuffle: bool = False,
    limit: int | None = None,
    interview: bool = False,
    offset: int = 0,
    total: int | None = None,
) -> QuizResult:
    """Ask a bank's questions (or, with ``interview``, its interview items) in turn."""
    kind = "interview" if interview else "question"
    items = [Item(bank["concept"], kind, q) for q in bank["interview" if interview else "questions"]]
    if shuffle:
        seed = session.seed
        random.Random(f"{seed}/order/{bank['concept']}" if seed is not None else None).shuffle(items)
    if limit is not None:
        items = items[:limit]
    result = QuizResult(bank["concept"], bank["title"], len(items))
    return run_items(session, items, result, offset=offset, total=total if total is not None else len(items))
