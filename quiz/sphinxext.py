"""Sphinx extension: render a question bank into its concept page, and the catalog as cards.

Directives:

- ``{quiz-interview} <slug>``: stage 4, the bank's interview items grouped by level, each
  with its model answer and follow-ups behind a dropdown.
- ``{quiz-questions} <slug>``: stage 6, the auto-graded questions with their options; the
  answer, every option's explanation and the section to reread sit behind a dropdown.
- ``{quiz-exercises} <slug>``: the bank's ``exercises`` ("write it yourself"), each with
  its level, time, summary and the two commands that fetch and check it.
- ``{exercise-index}``: every concept's exercises, in catalog order (the exercises page).
- ``{reading-time}``: "About N min read", from the words of the page's own prose.
- ``{concept-catalog}``: the catalog by part, as cards linking to the pages.

Bank text is Markdown parsed like the page around it, then sanitised: raw HTML becomes
plain text and only http(s), mailto and in-site links survive, so a bank can never inject
markup. A missing or invalid bank, or a ``source`` that names no id on the page, fails the
build with the bank's own one-line error.
"""

from __future__ import annotations

import json
import re
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

__all__ = ["exercise_commands", "prose_word_count", "question_anchor", "reading_minutes", "setup"]

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
# What each part of the catalog is for, shown under its heading on the index.
PART_PURPOSES = {
    1: "The pieces every LLM is built from, from attention to decoding. Read them in order: "
    "each page builds on the ones before it.",
    2: "How the building blocks combine into the model families interviews name, and what each family is good at.",
    3: "What makes serving and long contexts affordable: memory, bandwidth and the quadratic cost of attention.",
    4: "How language models are pre-trained, fine-tuned and aligned, and what each step costs.",
    5: "The optimisation, initialisation and regularisation underneath every model.",
    6: "The methods still asked about outside deep learning; each page stands on its own.",
}
EXERCISE_LEVELS = {"warm-up": "warm-up", "interview": "interview depth"}
WORDS_PER_MINUTE = 200
# Fenced directives whose body is code, data or maths, not prose a reader reads word by word.
CODE_DIRECTIVES = {
    "code",
    "code-block",
    "code-cell",
    "sourcecode",
    "literalinclude",
    "plot",
    "doctest",
    "testcode",
    "testoutput",
    "math",
    "reading-time",
    "quiz-exercises",
    "quiz-questions",
    "quiz-interview",
    "concept-catalog",
    "exercise-index",
    "toctree",
    "raw",
}
_FENCE = re.compile(r"^ {0,3}(`{3,}|:{3,})\s*(\{([\w-]+)\})?(.*)$")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")


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


def prose_word_count(text: str) -> int:
    """Words a reader reads in a MyST page: fenced code, display math and markup left out.

    Fences that hold code (a language name, ``{code-block}``, ``{plot}``, ...) are skipped
    whole; fences that hold prose (``{admonition}``, ``{dropdown}``, ``:::{note}``) keep their
    body but lose their ``:option:`` lines. Inline math counts as one word.

    >>> prose_word_count("# Title\\n\\nTwo words.\\n\\n```python\\nx = 1 + 2\\n```\\n$$a+b$$\\n")
    3
    >>> prose_word_count(":::{note}\\n:class: tip\\nSoft $x_i$ lookup.\\n:::\\n")
    3
    """
    words = 0
    stack: list[tuple[str, bool]] = []  # (closing fence, is code)
    in_math = False
    for line in text.splitlines():
        stripped = line.strip()
        if stack and stack[-1][1]:
            close = stack[-1][0]
            if stripped.startswith(close) and set(stripped) == {close[0]} and len(stripped) >= len(close):
                stack.pop()
            continue
        if in_math:
            in_math = not stripped.endswith("$$")
            continue
        fence = _FENCE.match(line)
        if fence:
            marks, _, name, rest = fence.groups()
            closing = stack and not name and not rest.strip() and marks[0] == stack[-1][0][0]
            if closing and len(marks) >= len(stack[-1][0]):
                stack.pop()
                continue
            code = marks[0] == "`" and (name is None or name in CODE_DIRECTIVES)
            code = code or (name in CODE_DIRECTIVES)
            stack.append((marks, code))
            # A prose directive's argument (an admonition's title) is read too.
            if not code:
                words += len(_WORD.findall(rest))
            continue
        if stripped.startswith("$$"):
            in_math = not (len(stripped) > 2 and stripped.endswith("$$"))
            continue
        if re.match(r"^:[\w-]+:", stripped) or re.match(r"^\(.+\)=$", stripped) or stripped.startswith("<!--"):
            continue
        prose = re.sub(r"\$[^$]+\$", " x ", stripped)  # inline math: one word
        prose = re.sub(r"\]\([^)]*\)", "]", prose)  # link targets
        prose = re.sub(r"\{[\w:-]+\}`([^`<]*)(<[^>]*>)?`", r"\1", prose)  # roles: keep their text
        words += len(_WORD.findall(prose))
    return words


def reading_minutes(words: int) -> int:
    """Minutes to read ``words`` words at 200 a minute, rounded, never less than one.

    >>> reading_minutes(40), reading_minutes(4_700)
    (1, 24)
    """
    return max(1, round(words / WORDS_PER_MINUTE))


def exercise_commands(exercise_id: str) -> tuple[str, str]:
    """The commands that write an exercise's starter file and check a solution in it.

    >>> exercise_commands("attention.sdpa")
    ('python -m quiz exercise attention.sdpa', 'python -m quiz check attention.sdpa attention_sdpa.py')
    """
    filename = exercise_id.replace(".", "_").replace("-", "_") + ".py"
    return f"python -m quiz exercise {exercise_id}", f"python -m quiz check {exercise_id} {filename}"


class ReadingTimeDirective(SphinxDirective):
    """ "About N min read", computed from the prose of the page's source file."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        source = Path(self.env.doc2path(self.env.docname))
        minutes = reading_minutes(prose_word_count(source.read_text(encoding="utf-8")))
        return [nodes.paragraph("", f"About {minutes} min read", classes=["reading-time"])]


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
        # quiz.js rewrites the "how" once the questions become forms with a Check button.
        intro = self.paragraph(
            f"{len(bank['questions'])} questions. ",
            nodes.inline("", "Answer each before you open it", classes=["quiz-intro-how"]),
            ", or drill them in a terminal with feedback and a score: ",
            nodes.literal("", f"python -m quiz {slug}"),
            ".",
            classes=["quiz-intro"],
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
                    nodes.strong("", f"Answer: {q['answer']:.12g}{unit}"),
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
        if q.get("misconceptions"):
            body.append(self.misconceptions(q))
        body.append(nodes.container("", *self.markdown(q["explanation"]), classes=["quiz-explanation"]))
        reread = nodes.reference("", "the section that teaches it", internal=True, refuri=f"#{q['source']}")
        body.append(self.paragraph("Reread ", reread, ".", classes=["quiz-reread"]))
        block += _dropdown("Show the answer", body)
        return block

    def misconceptions(self, q: dict[str, Any]) -> nodes.container:
        """The classic wrong answers and why each tempts; quiz.js shows the one a learner gives."""
        out = nodes.container(classes=["quiz-misconceptions"])
        out += self.paragraph(nodes.strong("", "Common wrong answers:"))
        items = nodes.bullet_list()
        for i, m in enumerate(q["misconceptions"]):
            shown = f"{m['answer']:.12g}" if isinstance(m["answer"], int | float) else str(m["answer"])
            para = nodes.paragraph("", "", nodes.strong("", f"{shown}: "))
            para += nodes.inline("", "", *self.markdown(m["explain"], inline=True), classes=["quiz-misconception"])
            items += nodes.list_item("", para, ids=[f"{question_anchor(q['id'])}-m{i}"])
        out += items
        return out


def _exercise_list(directive: _BankDirective, bank: dict[str, Any], page: str | None = None) -> list[nodes.Node]:
    """The bank's exercises as a list: title, level and time, summary, the two commands.

    ``page`` is the address of the concept's page relative to this one (None on the page
    itself, where each ``source`` is also checked to be an id on the page).
    """
    exercises = bank.get("exercises") or []
    if not exercises:
        return [
            directive.paragraph(
                "Exercises for this concept are on their way; ",
                nodes.literal("", "python -m quiz exercises"),
                " lists the ones that exist.",
                classes=["quiz-exercises-none"],
            )
        ]
    items = nodes.bullet_list(classes=["quiz-exercise-list"])
    for ex in exercises:
        item = nodes.list_item("", classes=["quiz-exercise"], ids=[question_anchor(ex["id"])])
        level = EXERCISE_LEVELS.get(ex["level"], ex["level"])
        head = directive.paragraph(
            nodes.strong("", ex["title"]), f" · {level} · about {ex['minutes']} min", classes=["quiz-exercise-head"]
        )
        item += head
        item += directive.markdown(ex["summary"])
        commands = "\n".join(f"$ {line}" for line in exercise_commands(ex["id"]))
        block = nodes.literal_block(commands, commands, language="console")
        item += block
        if ex.get("source"):
            if page is None:
                pending = directive.env.temp_data.setdefault("quiz_sources", [])
                pending.append((ex["id"], ex["source"], directive.get_location()))
            link = nodes.reference("", "the section it practises", internal=True, refuri=f"{page or ''}#{ex['source']}")
            item += directive.paragraph("Reread ", link, ".", classes=["quiz-reread"])
        items += item
    return [items]


class ExercisesDirective(_BankDirective):
    """Code stage, "Try it yourself": the concept's exercises and the commands to do them."""

    def run(self) -> list[nodes.Node]:
        bank = self.load()
        if bank is None:
            return []
        out = nodes.container(classes=["quiz-exercises"])
        out.extend(_exercise_list(self, bank))
        return [out]


class ExerciseIndexDirective(_BankDirective):
    """Every concept's exercises in catalog order, each group linking to its page."""

    required_arguments = 0

    def run(self) -> list[nodes.Node]:
        import concepts
        from concepts import CATALOG

        self.env.note_dependency(str(Path(concepts.__file__).resolve()))
        out = nodes.container(classes=["quiz-exercise-index"])
        for concept in CATALOG:
            try:
                path = bank_path(concept.slug)
                self.env.note_dependency(str(path.resolve()))
                bank = load_bank(path)
            except BankError as exc:
                logger.warning("quiz bank: %s", exc, location=self.get_location())
                continue
            title = self.markdown(f"{{ref}}`{concept.title} <concept-{concept.slug}>`", inline=True)
            out += nodes.rubric("", "", *title, classes=["quiz-exercise-concept"])
            try:
                page = self.env.app.builder.get_relative_uri(self.env.docname, f"concepts/{concept.slug}")
            except Exception:  # a builder without pages (doctest, linkcheck)
                page = ""
            page = page or f"concepts/{concept.slug}.html"
            out.extend(_exercise_list(self, bank, page))
        return [out]


class CatalogDirective(SphinxDirective):
    """The catalog by part, each concept a card linking to its page."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        import concepts
        from concepts import CATALOG, PARTS

        self.env.note_dependency(str(Path(concepts.__file__).resolve()))  # rebuild when the catalog changes

        lines: list[str] = []
        for part, name in PARTS.items():
            concepts = [c for c in CATALOG if c.part == part]
            if not concepts:
                continue
            lines += [f"### Part {part}: {name}", ""]
            if part in PART_PURPOSES:
                lines += [":::{div} part-purpose", PART_PURPOSES[part], ":::", ""]
            lines += ["::::{grid} 1 2 2 3", ":gutter: 2", ""]
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
    fields = ("id", "type", "options", "answer", "abs_tol", "rel_tol", "unit", "accept", "regex", "misconceptions")
    questions = [{k: q[k] for k in fields if k in q} for q in bank["questions"]]
    for q in questions:
        if "options" in q:
            q["options"] = [{"id": o["id"], "correct": o["correct"]} for o in q["options"]]
        if "misconceptions" in q:  # the answers to match; the explanations are on the page
            q["misconceptions"] = [{"answer": m["answer"]} for m in q["misconceptions"]]
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


def _png_size(path: Path) -> tuple[int, int, float | None] | None:
    """Width and height in pixels of a PNG, and its dpi when the file records one (pHYs)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    at, dpi = 8, None
    while at + 8 <= len(data):
        length, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8]
        if kind == b"pHYs" and data[at + 16] == 1:  # unit 1: pixels per metre
            dpi = int.from_bytes(data[at + 8 : at + 12], "big") * 0.0254
            break
        if kind == b"IDAT":
            break
        at += 12 + length
    return width, height, dpi


def _figures(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Figures: alt text from the caption, and plots shown at ``plot_display_dpi``.

    The plot directive saves at ``plot_formats``' dpi; shown at that many pixels an inch a
    6.4 in figure would be far wider than the column and be shrunk, labels and all. Giving
    the image its width at ``plot_display_dpi`` keeps 10 pt text at 10 pt on the screen
    (and a 200 dpi file stays sharp on a high-density one).
    """
    for figure in doctree.findall(nodes.figure):
        caption = next(iter(figure.findall(nodes.caption)), None)
        if caption is None:
            continue
        text = " ".join(caption.astext().split())
        for image in figure.findall(nodes.image):
            if not image.get("alt") or image["alt"] == image.get("uri") or "/" in image["alt"]:
                image["alt"] = text
    display = app.config.plot_display_dpi
    if not display:
        return
    for image in doctree.findall(nodes.image):
        uri = image.get("candidates", {}).get("*", image.get("uri", ""))
        if "plot_directive" not in uri or not uri.endswith(".png") or image.get("width"):
            continue
        size = _png_size(Path(app.srcdir, uri))
        if size is None:
            continue
        width, _, dpi = size
        formats = getattr(app.config, "plot_formats", None) or []
        saved = dpi or next((f[1] for f in formats if isinstance(f, tuple | list) and f[0] == "png"), None)
        if saved:
            image["width"] = f"{round(width * display / saved)}px"


def _add_static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_design")
    app.add_directive("quiz-interview", InterviewDirective)
    app.add_directive("quiz-questions", QuestionsDirective)
    app.add_directive("quiz-exercises", ExercisesDirective)
    app.add_directive("exercise-index", ExerciseIndexDirective)
    app.add_directive("reading-time", ReadingTimeDirective)
    app.add_directive("concept-catalog", CatalogDirective)
    app.connect("builder-inited", _add_static)
    app.connect("doctree-read", _check_sources)
    app.connect("doctree-resolved", _figures)
    app.add_config_value("plot_display_dpi", 0, "html", types=frozenset({int, float}))
    app.add_css_file("quiz.css")
    app.add_js_file("quiz.js", loading_method="defer")
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
