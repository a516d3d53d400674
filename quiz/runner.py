"""Taking a quiz in a terminal: show an item, read an answer, explain, keep score.

The runner talks only through ``ask(prompt) -> str`` and ``say(text)``, so the same code
serves a person at a prompt, a pipe, an answers file and the tests. An optional
``record`` callback receives every answer the moment it is graded (the progress store
commits it there).
"""

from __future__ import annotations

import random
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from quiz.grading import LETTERS, AnswerFormatError, correct_answer, grade, parse_answer
from quiz.terminal import plain

__all__ = ["EndOfAnswers", "Item", "Outcome", "QuizResult", "Session", "display_order", "run_items", "run_quiz"]

LEVELS = {1: "recall", 2: "apply", 3: "analyse"}
KINDS = {
    "single": "choose one",
    "multi": "choose all that apply",
    "numeric": "a number",
    "text": "a word or short phrase",
}
CONFIDENCE = {"1": 1, "2": 2, "3": 3, "guess": 1, "unsure": 1, "fair": 2, "fairly": 2, "sure": 3, "certain": 3}
RATINGS = {"1": "again", "2": "hard", "3": "good", "4": "easy", "a": "again", "h": "hard", "g": "good", "e": "easy"}
RATINGS.update({name: name for name in ("again", "hard", "good", "easy")})
WIDTH = 88


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
    """One answered item."""

    id: str
    given: str
    answer: Any
    correct: Any
    right: bool
    verdict: str
    confidence: int | None = None
    seconds: float | None = None

    @property
    def confidently_wrong(self) -> bool:
        return not self.right and self.confidence == 3

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "given": self.given,
            "answer": self.answer,
            "correct": self.correct,
            "verdict": self.verdict,
            "confidence": self.confidence,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
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

    def as_json(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "title": self.title,
            "score": self.score,
            "answered": len(self.outcomes),
            "total": self.planned,
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


def wrap(text: str, indent: str = "", first: str | None = None) -> str:
    """Fill each paragraph to the terminal width (TeX made plain); ``first`` prefixes the first line."""
    text = plain(text)
    filled = [
        textwrap.fill(" ".join(p.split()), WIDTH, initial_indent=indent, subsequent_indent=indent)
        for p in text.strip().split("\n\n")
    ]
    if first is not None:
        filled[0] = first + filled[0][len(indent) :]
    return "\n\n".join(filled)


def _format_number(x: float) -> str:
    return f"{x:,}" if float(x).is_integer() and abs(x) >= 10_000 else f"{x:g}"


def _render_question(q: dict[str, Any], header: str, order: list[str] | None) -> str:
    kind = KINDS[q["type"]]
    if q["type"] == "numeric" and "unit" in q:
        kind += f", in {q['unit']}"
    lines = [f"{header}  [level {q['level']}: {LEVELS[q['level']]}; {kind}]", wrap(q["prompt"])]
    if order is not None:
        options = {o["id"]: o for o in q["options"]}
        for letter, oid in zip(LETTERS, order, strict=False):
            lines.append(wrap(options[oid]["text"], "     ", first=f"  {letter}) "))
    return "\n".join(lines)


def _feedback(item: Item, answer: Any, outcome: Outcome, order: list[str] | None) -> str:
    q = item.data
    verdict = "Right." if outcome.right else "Wrong."
    if outcome.right and outcome.confidence == 1:
        verdict = "Right, though you were unsure: it will come back sooner."
    if outcome.confidently_wrong:
        verdict = "Wrong, and you were certain: a confident error is the one most worth fixing."
    lines = [verdict]
    if order is not None:
        options = {o["id"]: o for o in q["options"]}
        letter = {oid: LETTERS[i] for i, oid in enumerate(order)}
        for oid in answer:
            opt = options[oid]
            lines.append(wrap(f"You chose {letter[oid]}) ({'right' if opt['correct'] else 'wrong'}): {opt['explain']}"))
        if not outcome.right:
            key = [oid for oid in order if options[oid]["correct"]]
            lines.append(wrap("The right answer: " + "; ".join(f"{letter[o]}) {options[o]['text']}" for o in key)))
            lines += [wrap(f"Why {letter[o]}): {options[o]['explain']}") for o in key if o not in answer]
    elif q["type"] == "numeric":
        unit = f" {q['unit']}" if "unit" in q else ""
        tol = " or ".join(
            f"{name} {q[key]:g}" for key, name in (("abs_tol", "within"), ("rel_tol", "relative")) if key in q
        )
        lines.append(f"The answer: {_format_number(q['answer'])}{unit} (accepted {tol}); you gave {answer:g}.")
    else:
        lines.append(f"Accepted: {', '.join(repr(a) for a in q['accept'])}; you gave {answer!r}.")
    lines.append(wrap(f"Explanation: {q['explanation']}"))
    lines.append(f"Reread: docs/concepts/{item.concept}.md#{q['source']}")
    return "\n".join(lines)


@dataclass
class Session:
    """How items are asked: the input and output, the seed, and what happens to answers."""

    ask: Callable[[str], str]
    say: Callable[[str], None]
    seed: int | str | None = None
    confidence: bool = False
    record: Callable[[Item, Outcome], None] | None = None

    def _read(self, prompt: str, parse: Callable[[str], Any]) -> tuple[str, Any]:
        while True:
            given = self.ask(prompt)
            try:
                return given, parse(given)
            except AnswerFormatError as exc:
                self.say(f"Not an answer: {exc}. Try again.")

    def _confidence(self, text: str) -> int:
        value = CONFIDENCE.get(text.strip().lower())
        if value is None:
            raise AnswerFormatError("expected 1 (guessing), 2 (fairly sure) or 3 (certain)")
        return value

    def question(self, item: Item, header: str) -> Outcome:
        q = item.data
        order = display_order(q, self.seed) if q["type"] in ("single", "multi") else None
        self.say("\n" + _render_question(q, header, order))
        start = time.monotonic()
        given, answer = self._read("> ", lambda text: parse_answer(q, text, order))
        seconds = time.monotonic() - start
        confidence = None
        if self.confidence:
            _, confidence = self._read("How sure are you? 1 guessing, 2 fairly sure, 3 certain > ", self._confidence)
        right = grade(q, answer)
        outcome = Outcome(
            q["id"], given.strip(), answer, correct_answer(q), right, "right" if right else "wrong", confidence, seconds
        )
        if self.record:
            self.record(item, outcome)
        self.say(_feedback(item, answer, outcome, order))
        return outcome

    def interview(self, item: Item, header: str) -> Outcome:
        it = item.data
        level = it["level"].replace("-", " ")
        self.say(f"\n{header}  [interview, {level}]\n" + wrap(it["question"]))
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

        given, verdict = self._read("How did you do? 1 again, 2 hard, 3 good, 4 easy > ", rating)
        outcome = Outcome(it["id"], given.strip(), verdict, None, verdict != "again", verdict, None, seconds)
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
