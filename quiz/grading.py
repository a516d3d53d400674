"""Reading a learner's answer and grading it: the rules the terminal and the page share.

Parsing and grading are separate steps. :func:`parse_answer` turns what was typed into a
canonical answer or raises :class:`AnswerFormatError` with a hint, so the runner can ask
again; :func:`grade` then decides right or wrong and never fails.

- ``single``: a displayed letter (``b``, ``b)``) or an option id (``sqrt-dk``).
- ``multi``: letters or option ids separated by commas, semicolons, spaces or "and"
  (``a, c``, ``a, d e``), or letters run together (``ac``); all or nothing. A letter may
  be typed as printed (``a)``, ``(a)``, ``a.``).
- ``numeric``: ``0.125``, ``1e-3``, ``1/8``, ``2,359,296``, ``12.5%``; the question's unit
  may follow the number. Right when within ``abs_tol`` or within ``rel_tol`` of the key.
- ``text``: compared after normalisation (Unicode NFKC, case folding, whitespace
  squeezed) with every accepted form, or matched in full by ``regex``.
"""

from __future__ import annotations

import decimal
import math
import re
import string
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

__all__ = [
    "AnswerFormatError",
    "correct_answer",
    "dont_know",
    "find_misconception",
    "fold_table",
    "grade",
    "key_as_typed",
    "normalize_text",
    "parse_answer",
    "parse_number",
]

LETTERS = string.ascii_lowercase


class AnswerFormatError(ValueError):
    """The input cannot be read as an answer of this type; the message is the hint."""


def fold_table() -> dict[str, str]:
    """Characters whose full case folding differs from lower-casing, lower-cased form to folded.

    JavaScript has ``toLowerCase`` but no ``casefold``; the page applies this table after
    lower-casing so that both graders normalise text identically.

    >>> fold_table()["ß"], fold_table()["ς"]
    ('ss', 'σ')
    """
    if not _FOLD:
        for cp in range(sys.maxunicode + 1):
            ch = chr(cp)
            if ch.casefold() != ch.lower():
                _FOLD.setdefault(ch.lower(), ch.casefold())
    return _FOLD


_FOLD: dict[str, str] = {}


def normalize_text(text: str) -> str:
    """Unicode NFKC, case-folded, with runs of whitespace squeezed to one space.

    >>> normalize_text("  Layer\\tNorm ")
    'layer norm'
    >>> normalize_text("ＲＭＳ")  # full-width letters fold to ASCII under NFKC
    'rms'
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?")


def parse_number(text: str, unit: str | None = None) -> float:
    """Read a number as a person types it.

    >>> parse_number("1/8")
    0.125
    >>> parse_number("2,359,296")
    2359296.0
    >>> parse_number("1e-3")
    0.001
    >>> parse_number("12.5%")
    0.125
    >>> parse_number("0.5 MiB", unit="MiB")
    0.5
    """
    s = normalize_text(text).replace("\u2212", "-")
    if unit and s.endswith(normalize_text(unit)):
        s = s[: -len(normalize_text(unit))].strip()
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", s):
        s = s.replace(",", "")
    try:
        if "/" in s:
            num, _, den = s.partition("/")
            if not (_NUMBER.fullmatch(num.strip()) and _NUMBER.fullmatch(den.strip())):
                raise ValueError
            value = float(num) / float(den)
        else:
            if not _NUMBER.fullmatch(s):
                raise ValueError
            value = float(s)
    except (ValueError, ZeroDivisionError):
        raise AnswerFormatError(
            "expected a number such as 0.125, 1/8, 1e-3 or 2,359,296"
            + (f" (optionally followed by {unit})" if unit else "")
        ) from None
    if not math.isfinite(value):
        raise AnswerFormatError("expected a finite number")
    return value / 100 if percent else value


def key_as_typed(value: float, decimals: int) -> list[str]:
    """``value`` written to ``decimals`` places as a learner might: half up, half even, or as floats print.

    >>> key_as_typed(0.125, 2)
    ['0.13', '0.12']
    >>> key_as_typed(2359296, 0)
    ['2359296']
    """
    exact = decimal.Decimal(value) if isinstance(value, int) else decimal.Decimal(repr(float(value)))
    step = decimal.Decimal(1).scaleb(-decimals)
    context = decimal.Context(prec=max(28, exact.adjusted() + decimals + 3))
    forms = [
        format(exact.quantize(step, rounding=mode, context=context), "f")
        for mode in (decimal.ROUND_HALF_UP, decimal.ROUND_HALF_EVEN)
    ]
    if not isinstance(value, int):
        forms.append(f"{float(value):.{decimals}f}")
    return list(dict.fromkeys(forms))


def _choices(text: str, option_ids: Sequence[str], *, several: bool) -> list[str]:
    """Map typed letters or option ids to option ids, in display order ``option_ids``."""
    s = normalize_text(text)
    n = len(option_ids)
    letters = LETTERS[:n]
    hint = f"letters a-{letters[-1]}" if several else f"one letter from a to {letters[-1]}"
    if several:
        hint += " separated by commas or spaces (for example: a, c)"
    # "a)", "(a)" and "a." are letters as printed; commas, semicolons, spaces and "and" separate.
    s = re.sub(r"(?<![\w-])\(?([a-z])[).](?=[\s,;]|$)", r"\1", s.replace("(", " ("))
    tokens = [t for t in re.split(r"[,;\s]+", s) if t and t != "and"]
    run_together = len(tokens) == 1 and len(tokens[0]) > 1 and set(tokens[0]) <= set(letters)
    if several and run_together and tokens[0] not in option_ids:
        tokens = list(tokens[0])
    if not tokens:
        raise AnswerFormatError(f"expected {hint}")
    chosen: list[str] = []
    for token in tokens:
        if len(token) == 1 and token in letters:
            chosen.append(option_ids[letters.index(token)])
        elif token in option_ids:
            chosen.append(token)
        else:
            raise AnswerFormatError(f"{token!r} is not an option; expected {hint}")
    if not several and len(chosen) != 1:
        raise AnswerFormatError(f"expected {hint}")
    return sorted(set(chosen), key=list(option_ids).index)


def parse_answer(question: dict[str, Any], text: str, order: Sequence[str] | None = None) -> Any:
    """The canonical answer for ``text``: a list of option ids, a float, or a string.

    ``order`` is the display order of the option ids (letters follow it); by default the
    bank's order.

    >>> q = {"type": "multi", "options": [{"id": "xx"}, {"id": "yy"}, {"id": "zz"}]}
    >>> parse_answer(q, "c, A")
    ['xx', 'zz']
    """
    kind = question["type"]
    if kind in ("single", "multi"):
        ids = list(order) if order is not None else [o["id"] for o in question["options"]]
        return _choices(text, ids, several=kind == "multi")
    if kind == "numeric":
        return parse_number(text, question.get("unit"))
    normalized = normalize_text(text)
    if not normalized:
        raise AnswerFormatError("expected a word or a short phrase")
    return normalized


def grade(question: dict[str, Any], answer: Any) -> bool:
    """Whether a parsed answer is right.

    >>> grade({"type": "numeric", "answer": 0.5, "rel_tol": 0.01}, 0.504)
    True
    >>> grade({"type": "text", "accept": ["RMSNorm"], "regex": "rms ?norm"}, "rms norm")
    True
    """
    kind = question["type"]
    if kind in ("single", "multi"):
        right = {o["id"] for o in question["options"] if o["correct"]}
        return set(answer) == right
    if kind == "numeric":
        key = float(question["answer"])
        return math.isclose(
            answer,
            key,
            rel_tol=float(question.get("rel_tol", 0.0)),
            abs_tol=float(question.get("abs_tol", 0.0)),
        )
    if answer in {normalize_text(a) for a in question["accept"]}:
        return True
    pattern = question.get("regex")
    return bool(pattern and re.fullmatch(pattern, answer))


def correct_answer(question: dict[str, Any]) -> Any:
    """The key in the same form :func:`parse_answer` returns (for ``--json`` and feedback)."""
    kind = question["type"]
    if kind in ("single", "multi"):
        return [o["id"] for o in question["options"] if o["correct"]]
    if kind == "numeric":
        return question["answer"]
    return question["accept"][0]


DONT_KNOW = frozenset(
    {"?", "??", "skip", "idk", "dont know", "don't know", "don’t know", "i don't know", "i dont know"}
)


def dont_know(text: str) -> bool:
    """Whether the learner said they do not know (``?``, ``skip``, ...): a lapse, not a bad input.

    >>> dont_know(" Skip "), dont_know("?"), dont_know("b")
    (True, True, False)
    """
    return normalize_text(text) in DONT_KNOW


def find_misconception(question: dict[str, Any], answer: Any) -> dict[str, Any] | None:
    """The listed misconception a wrong parsed answer matches, or None.

    A number matches within the question's own tolerance of the misconception's answer (the
    nearest one wins); a text matches when both normalise to the same string.

    >>> q = {"type": "numeric", "answer": 0.125, "abs_tol": 0.001,
    ...      "misconceptions": [{"answer": 8, "explain": "Upside down."}]}
    >>> find_misconception(q, 8.0005)["explain"], find_misconception(q, 7.5)
    ('Upside down.', None)
    """
    listed = question.get("misconceptions") or []
    if question["type"] == "numeric":
        near = [
            (abs(answer - m["answer"]), i, m)
            for i, m in enumerate(listed)
            if math.isclose(
                answer,
                float(m["answer"]),
                rel_tol=float(question.get("rel_tol", 0.0)),
                abs_tol=float(question.get("abs_tol", 0.0)),
            )
        ]
        return min(near, key=lambda t: t[:2])[2] if near else None
    if question["type"] == "text":
        return next((m for m in listed if normalize_text(m["answer"]) == answer), None)
    return None
