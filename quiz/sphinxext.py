"""Sphinx extension: render a question bank into its concept page, and the catalog as cards.

Directives:

- ``{quiz-interview} <slug>``: stage 4, the bank's interview items grouped by level, each
  with its model answer and follow-ups behind a dropdown.
- ``{quiz-questions} <slug>``: stage 6, the auto-graded questions with their options; the
  answer, every option's explanation and the section to reread sit behind a dropdown.
- ``{concept-catalog}``: the catalog by part, as cards linking to the pages.

Bank text is Markdown parsed like the page around it, then sanitised: raw HTML becomes
plain text and only http(s), mailto and in-site links survive, so a bank can never inject
markup. A missing or invalid bank, or a ``source`` that names no id on the page, fails the
build with the bank's own one-line error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx_design.shared import create_component

from quiz.bank import BankError, bank_path, load_bank
from quiz.grading import fold_table

__all__ = ["question_anchor", "setup"]

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
INTERVIEW_LEVELS = {"screen": "Screen", "onsite": "Onsite", "deep-dive": "Deep dive"}
QUESTION_LEVELS = {1: "recall", 2: "apply", 3: "analyse"}
KIND_HINTS = {
    "single": "Choose one.",
    "multi": "Choose all that apply.",
    "numeric": "Answer with a number.",
    "text": "Answer with a word or a short phrase.",
}
SAFE_SCHEMES = {"http", "https", "mailto"}


def question_anchor(item_id: str) -> str:
    """The HTML id of a rendered bank item; the ``q-`` prefix keeps it clear of page targets.

    >>> question_anchor("positional_encoding.extrapolation")
    'q-positional-encoding-extrapolation'
    """
    return "q-" + nodes.make_id(item_id)


def _sanitise(root: nodes.Element) -> None:
    """Turn raw markup into visible text and drop links with unsafe schemes."""
    for raw in list(root.findall(nodes.raw)):
        text = nodes.Text(raw.astext())
        parent = raw.parent
        raw.replace_self(text if isinstance(parent, nodes.TextElement) else nodes.paragraph("", "", text))
    for ref in list(root.findall(nodes.reference)):
        uri = ref.get("refuri")
        if uri is not None and urlsplit(uri).scheme and urlsplit(uri).scheme.lower() not in SAFE_SCHEMES:
            ref.replace_self(nodes.Text(ref.astext()))


def _dropdown(title: str, body: list[nodes.Node], *, classes: list[str] | None = None) -> nodes.container:
    """A sphinx-design dropdown (a ``<details>`` element, so it works without JavaScript)."""
    node = create_component(
        "dropdown",
        opened=False,
        type="dropdown",
        has_title=True,
        icon=None,
        chevron=None,
        container_classes=["sd-mb-3", *(classes or [])],
        title_classes=[],
        body_classes=[],
    )
    node += nodes.rubric(title, title)
    node.extend(body)
    return node


class _BankDirective(SphinxDirective):
    """Shared plumbing: load the bank named by the argument and parse its Markdown."""

    required_arguments = 1
    has_content = False

    def load(self) -> dict[str, Any] | None:
        try:
            path = bank_path(self.arguments[0])
            self.env.note_dependency(str(path.resolve()))
            return load_bank(path)
        except BankError as exc:
            logger.warning("quiz bank: %s", exc, location=self.get_location())
            return None

    def markdown(self, text: str, *, inline: bool = False) -> list[nodes.Node]:
        holder = nodes.Element()
        self.state.nested_parse(StringList(text.splitlines(), source="bank"), self.content_offset, holder)
        _sanitise(holder)
        children = list(holder.children)
        if inline and len(children) == 1 and isinstance(children[0], nodes.paragraph):
            return list(children[0].children)
        return children

    def paragraph(self, *parts: str | nodes.Node, classes: list[str] | None = None) -> nodes.paragraph:
        para = nodes.paragraph(classes=classes or [])
        for part in parts:
            para += nodes.Text(part) if isinstance(part, str) else part
        return para


class InterviewDirective(_BankDirective):
    """Stage 4: interview items by level, model answers and follow-ups in dropdowns."""

    def run(self) -> list[nodes.Node]:
        bank = self.load()
        if bank is None:
            return []
        out = nodes.container(classes=["quiz-interview"])
        for level, label in INTERVIEW_LEVELS.items():
            items = [item for item in bank["interview"] if item["level"] == level]
            if not items:
                continue
            out += nodes.rubric(label, label, classes=["quiz-level"])
            for item in items:
                block = nodes.container(classes=["quiz-interview-item"], ids=[question_anchor(item["id"])])
                block += self.markdown(item["question"])
                body = [*self.markdown(item["answer"])]
                if item["follow_ups"]:
                    body.append(self.paragraph(nodes.strong("", "Follow-ups an interviewer asks next:")))
                    follow = nodes.bullet_list()
                    for text in item["follow_ups"]:
                        follow += nodes.list_item("", nodes.paragraph("", "", *self.markdown(text, inline=True)))
                    body.append(follow)
                block += _dropdown("Model answer", body)
                out += block
        return [out]


class QuestionsDirective(_BankDirective):
    """Stage 6: the retrieval check, with answers and explanations behind dropdowns."""

    def run(self) -> list[nodes.Node]:
        bank = self.load()
        if bank is None:
            return []
        slug = bank["concept"]
        out = nodes.container(classes=["quiz-questions"], ids=[f"quiz-{nodes.make_id(slug)}"])
        intro = self.paragraph(
            f"{len(bank['questions'])} questions. Answer each before you open it, or drill them in a terminal "
            "with feedback and a score: ",
            nodes.literal("", f"python -m quiz {slug}"),
            ".",
        )
        out += intro
        out += nodes.raw("", _data_script(bank), format="html")
        pending = self.env.temp_data.setdefault("quiz_sources", [])
        for number, q in enumerate(bank["questions"], start=1):
            pending.append((q["id"], q["source"], self.get_location()))
            out += self.question(number, q)
        return [out]

    def question(self, number: int, q: dict[str, Any]) -> nodes.container:
        block = nodes.container(classes=["quiz-question", f"quiz-{q['type']}"], ids=[question_anchor(q["id"])])
        level = QUESTION_LEVELS[q["level"]]
        block += self.paragraph(f"Question {number} · level {q['level']} ({level})", classes=["quiz-meta"])
        block += self.markdown(q["prompt"])
        hint = KIND_HINTS[q["type"]]
        if q["type"] == "numeric" and "unit" in q:
            hint = f"Answer with a number, in {q['unit']}."
        block += self.paragraph(hint, classes=["quiz-hint"])
        body: list[nodes.Node] = []
        if q["type"] in ("single", "multi"):
            options = nodes.enumerated_list(enumtype="loweralpha", prefix="", suffix=")", classes=["quiz-options"])
            for opt in q["options"]:
                options += nodes.list_item("", nodes.paragraph("", "", *self.markdown(opt["text"], inline=True)))
            block += options
            right = [chr(ord("a") + i) for i, o in enumerate(q["options"]) if o["correct"]]
            body.append(self.paragraph(nodes.strong("", f"Answer: {', '.join(right)}"), classes=["quiz-key"]))
            why = nodes.bullet_list(classes=["quiz-explains"])
            for i, opt in enumerate(q["options"]):
                verdict = "right" if opt["correct"] else "wrong"
                para = nodes.paragraph("", "", nodes.strong("", f"{chr(ord('a') + i)}) {verdict}: "))
                para += nodes.inline("", "", *self.markdown(opt["explain"], inline=True), classes=["quiz-explain"])
                why += nodes.list_item("", para)
            body.append(why)
        elif q["type"] == "numeric":
            tol = [f"±{q['abs_tol']:g}" if "abs_tol" in q else "", f"±{q['rel_tol']:.0%}" if "rel_tol" in q else ""]
            unit = f" {q['unit']}" if "unit" in q else ""
            body.append(
                self.paragraph(
                    nodes.strong("", f"Answer: {q['answer']:g}{unit}"),
                    f" (accepted {' or '.join(filter(None, tol))})",
                    classes=["quiz-key"],
                )
            )
        else:
            accepted = ", ".join(q["accept"])
            body.append(
                self.paragraph(
                    nodes.strong("", f"Answer: {q['accept'][0]}"), f" (accepted: {accepted})", classes=["quiz-key"]
                )
            )
        body.append(nodes.container("", *self.markdown(q["explanation"]), classes=["quiz-explanation"]))
        reread = nodes.reference("", "the section that teaches it", internal=True, refuri=f"#{q['source']}")
        body.append(self.paragraph("Reread ", reread, ".", classes=["quiz-reread"]))
        block += _dropdown("Show the answer", body)
        return block


class CatalogDirective(SphinxDirective):
    """The catalog by part, each concept a card linking to its page."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from concepts import CATALOG, PARTS

        lines: list[str] = []
        for part, name in PARTS.items():
            concepts = [c for c in CATALOG if c.part == part]
            if not concepts:
                continue
            lines += [f"### Part {part}: {name}", "", "::::{grid} 1 2 2 3", ":gutter: 2", ""]
            for c in concepts:
                lines += [f":::{{grid-item-card}} {c.title}", f":link: concept-{c.slug}", ":link-type: ref", ""]
                lines += [c.summary, "", f"`python -m quiz {c.slug}`", ":::", ""]
            lines += ["::::", ""]
        # The sidebar follows the catalog's reading order, not the file names.
        lines += ["```{toctree}", ":hidden:", ":caption: Concepts", ""]
        lines += [f"concepts/{c.slug}" for c in CATALOG]
        lines += ["```", ""]
        holder = nodes.section()
        self.state.nested_parse(StringList(lines, source="catalog"), self.content_offset, holder, match_titles=True)
        return list(holder.children)


def _data_script(bank: dict[str, Any]) -> str:
    """The grading data the page's script needs, as JSON that cannot close its own element."""
    fields = ("id", "type", "options", "answer", "abs_tol", "rel_tol", "unit", "accept", "regex")
    questions = [{k: q[k] for k in fields if k in q} for q in bank["questions"]]
    for q in questions:
        if "options" in q:
            q["options"] = [{"id": o["id"], "correct": o["correct"]} for o in q["options"]]
    payload = json.dumps({"concept": bank["concept"], "questions": questions, "fold": fold_table()})
    safe = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" class="quiz-data">{safe}</script>'


def _check_sources(app: Sphinx, doctree: nodes.document) -> None:
    """Every question's ``source`` must be an id on the page that renders it."""
    for qid, source, location in app.env.temp_data.pop("quiz_sources", []):
        if source not in doctree.ids:
            logger.warning(
                "quiz bank: question %s: source %r is not a section or target id on this page",
                qid,
                source,
                location=location,
            )


def _add_static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_design")
    app.add_directive("quiz-interview", InterviewDirective)
    app.add_directive("quiz-questions", QuestionsDirective)
    app.add_directive("concept-catalog", CatalogDirective)
    app.connect("builder-inited", _add_static)
    app.connect("doctree-read", _check_sources)
    app.add_css_file("quiz.css")
    app.add_js_file("quiz.js", loading_method="defer")
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
