"""Taking a quiz in a terminal: show a question, read an answer, explain, keep score.

The runner only talks through two callables, ``ask(prompt) -> str`` and ``say(text)``, so
the same code serves a person at a prompt, a pipe, an answers file and the tests.
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quiz.grading import LETTERS, AnswerFormatError, correct_answer, grade, parse_answer

__all__ = ["Outcome", "QuizResult", "display_order", "run_quiz"]

LEVELS = {1: "recall", 2: "apply", 3: "analyse"}
KINDS = {
    "single": "choose one",
    "multi": "choose all that apply",
    "numeric": "a number",
    "text": "a word or short phrase",
}
WIDTH = 88


class EndOfAnswers(Exception):
    """The learner stopped: end of input or Ctrl-C; the score so far still counts."""


@dataclass
class Outcome:
    """One answered question."""

    id: str
    given: str
    answer: Any
    correct: Any
    right: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "given": self.given,
            "answer": self.answer,
            "correct": self.correct,
            "verdict": "right" if self.right else "wrong",
        }


@dataclass
class QuizResult:
    """The outcomes of one bank, and how many questions were planned."""

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


def _wrap(text: str, indent: str = "", first: str | None = None) -> str:
    """Fill each paragraph to the terminal width; ``first`` prefixes the first line."""
    filled = [
        textwrap.fill(" ".join(p.split()), WIDTH, initial_indent=indent, subsequent_indent=indent)
        for p in text.strip().split("\n\n")
    ]
    if first is not None:
        filled[0] = first + filled[0][len(indent) :]
    return "\n\n".join(filled)


def _format_number(x: float) -> str:
    return f"{x:,}" if float(x).is_integer() and abs(x) >= 10_000 else f"{x:g}"


def _render_question(q: dict[str, Any], number: int, total: int, order: list[str] | None) -> str:
    kind = KINDS[q["type"]]
    if q["type"] == "numeric" and "unit" in q:
        kind += f", in {q['unit']}"
    lines = [f"Question {number} of {total}  [level {q['level']}: {LEVELS[q['level']]}; {kind}]"]
    lines.append(_wrap(q["prompt"]))
    if order is not None:
        options = {o["id"]: o for o in q["options"]}
        for letter, oid in zip(LETTERS, order, strict=False):
            lines.append(_wrap(options[oid]["text"], "     ", first=f"  {letter}) "))
    return "\n".join(lines)


def _feedback(q: dict[str, Any], answer: Any, right: bool, order: list[str] | None, page: str) -> str:
    lines = ["Right." if right else "Wrong."]
    if order is not None:
        options = {o["id"]: o for o in q["options"]}
        letter = {oid: LETTERS[i] for i, oid in enumerate(order)}
        for oid in answer:
            opt = options[oid]
            verdict = "right" if opt["correct"] else "wrong"
            lines.append(_wrap(f"You chose {letter[oid]}) ({verdict}): {opt['explain']}"))
        if not right:
            key = [oid for oid in order if options[oid]["correct"]]
            shown = "; ".join(f"{letter[oid]}) {options[oid]['text']}" for oid in key)
            lines.append(_wrap(f"The right answer: {shown}"))
            for oid in key:
                if oid not in answer:
                    lines.append(_wrap(f"Why {letter[oid]}): {options[oid]['explain']}"))
    elif q["type"] == "numeric":
        unit = f" {q['unit']}" if "unit" in q else ""
        tol = " or ".join(
            f"{name} {q[key]:g}" for key, name in (("abs_tol", "within"), ("rel_tol", "relative")) if key in q
        )
        lines.append(f"The answer: {_format_number(q['answer'])}{unit} (accepted {tol}); you gave {answer:g}.")
    else:
        accepted = ", ".join(repr(a) for a in q["accept"])
        lines.append(f"Accepted: {accepted}; you gave {answer!r}.")
    lines.append(_wrap(f"Explanation: {q['explanation']}"))
    lines.append(f"Reread: {page}#{q['source']}")
    return "\n".join(lines)


def run_quiz(
    bank: dict[str, Any],
    *,
    ask: Callable[[str], str],
    say: Callable[[str], None],
    seed: int | str | None = None,
    shuffle: bool = False,
    limit: int | None = None,
    number_offset: int = 0,
    total: int | None = None,
) -> QuizResult:
    """Ask the bank's questions in turn and return what happened.

    ``ask`` raises ``EOFError`` or ``KeyboardInterrupt`` when the learner stops; the
    outcomes so far are kept on the :class:`EndOfAnswers` raised in turn
    (``exc.result``).
    """
    questions = list(bank["questions"])
    if shuffle:
        random.Random(f"{seed}/order/{bank['concept']}" if seed is not None else None).shuffle(questions)
    if limit is not None:
        questions = questions[:limit]
    result = QuizResult(bank["concept"], bank["title"], len(questions))
    page = f"docs/concepts/{bank['concept']}.md"
    shown_total = total if total is not None else len(questions)
    for i, q in enumerate(questions, start=1):
        order = display_order(q, seed) if q["type"] in ("single", "multi") else None
        say("\n" + _render_question(q, number_offset + i, shown_total, order))
        while True:
            try:
                given = ask("> ")
            except (EOFError, KeyboardInterrupt) as exc:
                stop = EndOfAnswers(type(exc).__name__)
                stop.result = result  # type: ignore[attr-defined]
                raise stop from None
            try:
                answer = parse_answer(q, given, order)
                break
            except AnswerFormatError as exc:
                say(f"Not an answer: {exc}. Try again.")
        right = grade(q, answer)
        result.outcomes.append(Outcome(q["id"], given.strip(), answer, correct_answer(q), right))
        say(_feedback(q, answer, right, order, page))
    return result
