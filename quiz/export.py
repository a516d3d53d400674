"""Export banks as flashcards: an Anki package (through ``genanki``) or a CSV file.

Note GUIDs derive from the question ids, so importing a newer export into Anki updates
the existing notes instead of duplicating them.
"""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["cards", "write_anki", "write_csv"]

# Fixed ids: Anki recognises the note type and the deck across exports by them.
MODEL_ID = 1_734_211_905
DECK_ID = 1_734_211_906


def _answer(q: dict[str, Any]) -> str:
    if q["type"] in ("single", "multi"):
        right = [o for o in q["options"] if o["correct"]]
        key = "\n".join(f"- {o['text']}: {o['explain']}" for o in right)
    elif q["type"] == "numeric":
        value = q["answer"]
        # 2359296, not 2.3593e+06; to the precision the prompt asks for
        shown = f"{value:,.{q.get('decimals', 0)}f}" if "decimals" in q else f"{value:.12g}"
        key = shown + (f" {q['unit']}" if "unit" in q else "")
    else:
        key = q["accept"][0]
    back = f"{key}\n\n{q['explanation']}"
    mistakes = q.get("misconceptions") or []
    if mistakes:
        back += "\n\nCommon mistakes:\n" + "\n".join(f"- {m['answer']}: {m['explain']}" for m in mistakes)
    return back


def cards(banks: Sequence[dict[str, Any]]) -> Iterator[dict[str, str]]:
    """One card per question and interview item: id, concept, kind, level, front, back (Markdown)."""
    for bank in banks:
        for q in bank["questions"]:
            front = q["prompt"]
            if q["type"] in ("single", "multi"):
                front += "\n\n" + "\n".join(f"- {o['text']}" for o in q["options"])
            yield {
                "id": q["id"],
                "concept": bank["concept"],
                "kind": q["type"],
                "level": str(q["level"]),
                "front": front,
                "back": _answer(q),
            }
        for it in bank["interview"]:
            back = it["answer"]
            if it["follow_ups"]:
                back += "\n\nFollow-ups:\n" + "\n".join(f"- {f}" for f in it["follow_ups"])
            yield {
                "id": it["id"],
                "concept": bank["concept"],
                "kind": "interview",
                "level": it["level"],
                "front": it["question"],
                "back": back,
            }


def _html(markdown: str) -> str:
    """Escape, keep line breaks, and hand math to Anki's MathJax (\\( \\) and \\[ \\])."""
    text = html.escape(markdown, quote=False)
    text = re.sub(r"\$\$(.+?)\$\$", r"\\[\1\\]", text, flags=re.S)
    text = re.sub(r"\$(.+?)\$", r"\\(\1\\)", text)
    return text.replace("\n", "<br>")


def write_csv(banks: Sequence[dict[str, Any]], path: Path) -> int:
    rows = list(cards(banks))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "concept", "kind", "level", "front", "back"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def write_anki(banks: Sequence[dict[str, Any]], path: Path) -> int:
    import genanki

    model = genanki.Model(
        MODEL_ID,
        "Interview concepts",
        fields=[{"name": "Id"}, {"name": "Front"}, {"name": "Back"}, {"name": "Concept"}],
        templates=[
            {
                "name": "Card",
                "qfmt": "<div class=concept>{{Concept}}</div>{{Front}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Back}}",
            }
        ],
        sort_field_index=0,
    )
    deck = genanki.Deck(DECK_ID, "Interview concepts")
    rows = list(cards(banks))
    for row in rows:
        deck.add_note(
            genanki.Note(
                model=model,
                fields=[row["id"], _html(row["front"]), _html(row["back"]), row["concept"]],
                guid=genanki.guid_for(row["id"]),
                tags=[row["concept"], f"level-{row['level']}"],
            )
        )
    genanki.Package(deck).write_to_file(str(path))
    return len(rows)
