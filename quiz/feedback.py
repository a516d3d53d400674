"""What the learner reads: a question as shown, and the feedback after an answer.

Feedback names the verdict once; for a choice, which chosen options were right, which
were wrong and which were missed, each with its explain; for a number or a phrase, the
key and, when the answer matches one of the bank's misconceptions, why that answer is
tempting; then the explanation and the address of the section to reread.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from quiz.grading import LETTERS
from quiz.terminal import section_address, wrap

if TYPE_CHECKING:
    from quiz.runner import Item, Outcome

__all__ = ["feedback", "format_number", "render_question"]

LEVELS = {1: "recall", 2: "apply", 3: "analyse"}
KINDS = {
    "single": "choose one",
    "multi": "choose all that apply",
    "numeric": "a number",
    "text": "a word or short phrase",
}
# Option explains often open with their own verdict; the feedback already says it.
_VERDICT_LEAD = re.compile(r"^(?:right|wrong|correct|incorrect)\s*[:.,;!-]\s*", re.I)


def format_number(x: float) -> str:
    """2,359,296 and 0.125 as a person writes them (no 2.3593e+06).

    >>> format_number(2359296.0), format_number(0.125), format_number(1234567.5), format_number(3e-9)
    ('2,359,296', '0.125', '1234567.5', '3e-09')
    """
    if float(x).is_integer() and abs(x) < 1e16:
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
    return f"{x:.10g}"


def render_question(q: dict[str, Any], header: str, order: list[str] | None, concept: str | None = None) -> str:
    kind = KINDS[q["type"]]
    if q["type"] == "numeric" and "unit" in q:
        kind += f", in {q['unit']}"
    where = f"{concept}; " if concept else ""
    lines = [wrap(f"{header} [{where}level {q['level']}: {LEVELS[q['level']]}; {kind}]"), wrap(q["prompt"])]
    if order is not None:
        options = {o["id"]: o for o in q["options"]}
        for letter, oid in zip(LETTERS, order, strict=False):
            lines.append(wrap(options[oid]["text"], "     ", first=f"  {letter}) "))
    return "\n".join(lines)


def _option_block(letter: str, option: dict[str, Any]) -> str:
    explain = _VERDICT_LEAD.sub("", option["explain"], count=1)
    explain = explain[:1].upper() + explain[1:]
    return wrap(option["text"], "     ", first=f"  {letter}) ") + "\n" + wrap(explain, "     ")


def _them(n: int) -> str:
    return "it" if n == 1 else "them"


def _choice_feedback(q: dict[str, Any], chosen: list[str], order: list[str], outcome: Outcome) -> list[str]:
    options = {o["id"]: o for o in q["options"]}
    letter = {oid: LETTERS[i] for i, oid in enumerate(order)}
    good = [o for o in order if o in chosen and options[o]["correct"]]
    bad = [o for o in order if o in chosen and not options[o]["correct"]]
    missed = [o for o in order if options[o]["correct"] and o not in chosen]
    lines: list[str] = []
    if q["type"] == "single":
        if outcome.dont_know:
            lines.append("The answer:")
        elif outcome.right:
            lines.append("You chose:")
        else:
            lines.append("You chose:")
            lines += [_option_block(letter[o], options[o]) for o in bad]
            lines.append("The answer:")
        lines += [_option_block(letter[o], options[o]) for o in good + missed]
        return lines
    sections = [
        ("Right, and you chose " + _them(len(good)) + ":", good),
        ("Wrong, but you chose " + _them(len(bad)) + ":", bad),
        (("The right options:" if outcome.dont_know else "Right, and you missed " + _them(len(missed)) + ":"), missed),
    ]
    for title, ids in sections:
        if ids:
            lines.append(title)
            lines += [_option_block(letter[o], options[o]) for o in ids]
    return lines


def _partly(q: dict[str, Any], chosen: list[str]) -> str:
    """The verdict on a wrong multi-select: how many choices were right, wrong, missed."""
    right = {o["id"] for o in q["options"] if o["correct"]}
    good, bad, missed = len(right & set(chosen)), len(set(chosen) - right), len(right - set(chosen))
    if not good:
        return "Wrong: none of your choices is right."
    n = len(chosen)
    if not bad:
        mine = "your choice is" if n == 1 else f"all {n} of your choices are"
        return f"Partly right: {mine} right, but you missed {missed}."
    text = f"Partly right: {good} of your {n} choices {'is' if good == 1 else 'are'} right"
    text += f", {bad} {'is' if bad == 1 else 'are'} wrong"
    return text + (f", and you missed {missed}." if missed else ".")


def _tolerance(q: dict[str, Any]) -> str:
    parts = []
    if q.get("abs_tol"):
        parts.append(f"±{format_number(q['abs_tol'])}")
    if q.get("rel_tol"):
        parts.append(f"±{q['rel_tol'] * 100:.10g}%")
    return f" (accepted within {' or '.join(parts)})" if parts else " (exactly)"


def feedback(item: Item, answer: Any, outcome: Outcome, order: list[str] | None) -> str:
    q = item.data
    if outcome.dont_know:
        verdict = "Not answered: you said you don't know, so it will come back soon."
    elif outcome.right:
        verdict = "Right."
        if outcome.confidence == 1:
            verdict = "Right, though you were unsure: it will come back sooner."
    elif outcome.confidently_wrong:
        verdict = "Wrong, and you were certain: a confident error is the one most worth fixing."
    elif q["type"] == "multi":
        verdict = _partly(q, answer)
    else:
        verdict = "Wrong."
    lines = [wrap(verdict)]
    if order is not None:
        lines += _choice_feedback(q, [] if outcome.dont_know else answer, order, outcome)
    elif q["type"] == "numeric":
        unit = f" {q['unit']}" if "unit" in q else ""
        gave = "" if outcome.dont_know or outcome.right else f"You gave {format_number(answer)}{unit}. "
        lines.append(wrap(f"{gave}The answer: {format_number(q['answer'])}{unit}{_tolerance(q)}."))
    else:
        gave = "" if outcome.dont_know or outcome.right else f"You gave “{answer}”. "
        also = q["accept"][1:4]
        also_text = f" (also accepted: {'; '.join(also)})" if also else ""
        lines.append(wrap(f"{gave}The answer: {q['accept'][0]}{also_text}."))
    if outcome.misconception is not None:
        lines.append(wrap("A common mistake: " + outcome.misconception["explain"]))
    lines.append(wrap(f"Explanation: {q['explanation']}"))
    lines.append(f"Reread: {section_address(item.concept, q['source'])}")
    return "\n".join(lines)
