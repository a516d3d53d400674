"""What reaches the terminal: no raw TeX from any bank, lines that fit, addresses a pip user can open."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from support import run_quiz as quiz

from quiz import terminal
from quiz.bank import BANK_DIR, available
from quiz.terminal import TexError, plain, section_address, tex_to_text, wrap

ACCENT = re.compile(r"\\(?:hat|widehat|bar|overline|tilde|widetilde|vec|dot|ddot|check|breve)(?![A-Za-z])")
MARKS = "\u0302\u0304\u0305\u0303\u20d7\u0307\u0308\u030c\u0306"


def bank_texts(bank: dict) -> list[tuple[str, str]]:
    """(where, Markdown) for everything the runner or the exercises listing can print."""
    out = []
    for q in bank["questions"]:
        out += [(f"{q['id']} prompt", q["prompt"]), (f"{q['id']} explanation", q["explanation"])]
        for o in q.get("options", []):
            out += [(f"{q['id']}/{o['id']} text", o["text"]), (f"{q['id']}/{o['id']} explain", o["explain"])]
        for i, m in enumerate(q.get("misconceptions", [])):
            out.append((f"{q['id']} misconception {i}", m["explain"]))
        # Accepted spellings (W_{O}, o_proj) are what a learner types, shown as typed.
    for it in bank["interview"]:
        out += [(f"{it['id']} question", it["question"]), (f"{it['id']} answer", it["answer"])]
        out += [(f"{it['id']} follow-up {i}", f) for i, f in enumerate(it["follow_ups"])]
    for ex in bank.get("exercises", []):
        out += [(f"{ex['id']} title", ex["title"]), (f"{ex['id']} summary", ex["summary"])]
    return out


def raw(slug: str) -> dict:
    # Read the file itself, not through load_bank: a bank mid-edit by its author may fail the
    # schema, and its text must render all the same.
    return json.loads((BANK_DIR / f"{slug}.json").read_text(encoding="utf-8"))


def tex_problems(source: str) -> list[str]:
    """Everything wrong with how ``source`` reaches the terminal."""
    prose = re.sub(r"(`+).+?\1", " ", source, flags=re.S)  # code is shown verbatim, backslashes and all
    try:
        out = plain(prose, strict=True)
    except TexError as exc:
        return [str(exc)]
    problems = []
    if m := re.search(r"\\[A-Za-z]+|\\[,;:!{}|]", out):
        problems.append(f"raw TeX command {m[0]!r}")
    braces = out.count("{") + out.count("}")
    if braces > prose.count(r"\{") + prose.count(r"\}"):  # set braces \{ \} are meant to show
        problems.append("a brace group survived")
    if "$" in out.replace("\\$", ""):
        problems.append("a dollar sign survived (unrendered math)")
    wanted = len(ACCENT.findall(prose))
    shown = sum(unicodedata.normalize("NFD", out).count(c) for c in MARKS)
    shown += len(re.findall(r"\b(?:hat|bar|tilde|vec|accent)\(", out))
    if shown < wanted:
        problems.append(f"{wanted} accents in the source, {shown} shown")
    if problems:
        problems.append(f"rendered: {out[:200]!r}")
    return problems


@pytest.mark.parametrize("slug", available())
def test_no_raw_tex_reaches_the_terminal_from_any_bank(slug: str) -> None:
    failures = [f"{where}: {'; '.join(p)}" for where, text in bank_texts(raw(slug)) if (p := tex_problems(text))]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("tex", "shown"),
    [
        (r"262{,}144", "262,144"),
        (r"\tfrac12 + \frac{1}{4}", "½ + ¼"),
        (r"\frac{a+b}{2}", "(a+b)/2"),
        (r"\lfloor x/2 \rfloor + \lceil y \rceil", "⌊x/2⌋ + ⌈y⌉"),
        (r"\Phi(x) = \tfrac12(1 + \operatorname{erf}(x/\sqrt2))", "Φ(x) = ½(1 + erf(x/√2))"),
        (r"\alpha\beta\gamma, \Sigma, \varepsilon", "αβγ, Σ, ε"),
        (r"\bar{x} + \hat{y}_i", "x̄ + ŷ_i"),
        (r"\hat{\sigma}^2", "σ̂²"),
        (r"\overline{xy}", "x̅y̅"),
        (r"\hat{x_i}", "hat(x_i)"),
        (r"\mathrm{softmax}(z)_i", "softmax(z)_i"),
        (r"d_{\text{model}}", "d_model"),
        (r"\operatorname*{arg\,max}_y", "arg max_y"),
        (r"\sqrt{d_k} \sqrt{a + b} \sqrt[3]{8}", "√d_k √(a + b) ∛8"),
        (r"x^2 + x^{-1} + 10^{4} + e^{-x} + W^\top x", "x² + x⁻¹ + 10⁴ + e^(-x) + Wᵀx"),
        (r"q^\top k", "qᵀk"),
        (r"x_1 + x_{t-1} + W_{O}", "x₁ + x_(t-1) + W_O"),
        (r"e^{s_j}", "e^(s_j)"),
        (r"\begin{pmatrix} 1 & -1 & 0 \\ 1 & 1 & -1 \end{pmatrix}", "[[1, -1, 0], [1, 1, -1]]"),
        (r"\begin{bmatrix} a \\ b \end{bmatrix}^\top", "[[a], [b]]ᵀ"),
        (r"\begin{vmatrix} a & b \\ c & d \end{vmatrix}", "det [[a, b], [c, d]]"),
        (r"\begin{aligned} a &= b + c \\ &= d \end{aligned}", "a = b + c; = d"),
        (r"|x| = \begin{cases} x & x \ge 0 \\ -x & \text{otherwise} \end{cases}", "|x| = x x ≥ 0; -x otherwise"),
        (r"\left( \frac{a}{b} \right) \big( c \big) \left. x \right|", "(a/b) (c) x |"),
        (r"\|v\|_2 \lVert w \rVert", "‖v‖₂ ‖ w ‖"),
        (r"\log\sigma(x) + \partial L/\partial h", "log σ(x) + ∂L/∂h"),
        (r"a \bmod b, \{1, 2\}, 50\%", "a mod b, {1, 2}, 50%"),
        (r"\mathbb{R}^{d \times d}, \mathcal{L}, \mathbb{E}", "ℝ^(d × d), ℒ, E"),
        (r"\binom{n}{2}, a \not= b, \ell_2", "C(n, 2), a ≠ b, ℓ₂"),
    ],
)
def test_tex_constructs(tex: str, shown: str) -> None:
    assert tex_to_text(tex, strict=True) == unicodedata.normalize("NFC", shown)


def test_display_aligned_keeps_its_rows_on_separate_lines() -> None:
    text = "The sum:\n\n$$\n\\begin{aligned} a &= b \\\\ &= c \\end{aligned}\n$$\n\nDone."
    assert plain(text) == "The sum:\n\n    a = b\n    = c\n\nDone."
    assert wrap(text, width=40) == "The sum:\n\n    a = b\n    = c\n\nDone."


@pytest.mark.parametrize("tex", [r"\frobnicate{x}", r"\begin{tikzpicture} x \end{tikzpicture}", r"{x", r"x}"])
def test_strict_mode_refuses_what_it_cannot_render(tex: str) -> None:
    with pytest.raises(TexError):
        tex_to_text(tex, strict=True)
    assert "\\" not in tex_to_text(tex)  # the lenient reader still drops the backslash


def test_markdown_is_made_plain_and_code_is_kept() -> None:
    md = "Use `x\\_y $a$`, **bold**, *em* and [the page](https://example.org/p) or [here](#the-math)."
    assert plain(md) == "Use x\\_y $a$, bold, em and the page (https://example.org/p) or here."
    assert plain("Cost: $5 and $6 later") == "Cost: $5 and $6 later"  # money is not math
    listing = "Three kinds:\n- **one**: $a_1$\n- two, a longer item that has to wrap onto a second line here"
    assert wrap(listing, width=40) == (
        "Three kinds:\n  • one: a₁\n  • two, a longer item that has to wrap\n    onto a second line here"
    )
    fenced = "Rows:\n\n```\n1 1 0 0\n1 1 1 0\n```\n\nEnd."
    assert wrap(fenced, width=20) == "Rows:\n\n    1 1 0 0\n    1 1 1 0\n\nEnd."


def columns(line: str) -> int:
    return sum(1 for c in line if not unicodedata.combining(c))


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("slug", available())
def test_wrap_fits_the_width_and_never_breaks_a_word(slug: str, width: int) -> None:
    for where, text in bank_texts(raw(slug)):
        flat = plain(text)
        out = wrap(text, "     ", first="  a) ", width=width)
        words = [w for w in flat.split() if w not in "-*+•"]
        got = [w for w in out.removeprefix("  a) ").split() if w != "•"]  # the text itself may say "(1 - a)"
        assert [w for w in got if w not in "-*+"] == [w for w in words if w not in "-*+"], where
        for line in out.splitlines():
            body = line.strip()
            if line.startswith("         ") or " " not in body:  # display blocks, or one unbreakable word
                continue
            assert columns(line) <= width, f"{where}: {line!r}"


@pytest.mark.parametrize("columns_env", ["80", "60"])
def test_the_runner_wraps_at_the_terminals_width(sample, write_bank, columns_env: str) -> None:
    sample["questions"][0]["prompt"] = " ".join(["Which scaling keeps dot products at unit variance?"] * 4)
    sample["questions"][2]["explanation"] = "One eighth is 0.125, " + "which is a long sentence " * 12 + "end."
    path = write_bank(sample)
    result = quiz(str(path), "--seed", "0", "--no-save", stdin="a\na\n1/8\nrms\n", env={"COLUMNS": columns_env})
    lines = result.stdout.splitlines()
    long = [line for line in lines if columns(line) > int(columns_env) and not line.startswith("Reread: ")]
    assert not long, long
    assert any(columns(line) > int(columns_env) - 15 for line in lines)  # it fills, not just breaks early
    assert "unit\nvariance" in result.stdout or "unit variance" in result.stdout
    for line in lines:
        assert not re.search(r"\w-$", line)  # no word split at the end of a line


def test_terminal_width_follows_columns_and_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert terminal.terminal_width() == 60
    monkeypatch.setenv("COLUMNS", "300")
    assert terminal.terminal_width() == terminal.MAX_WIDTH


def test_reread_address_is_the_site_the_local_build_or_the_published_default(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("INTERVIEW_CONCEPTS_SITE", "https://mirror.example/ic")
    assert section_address("attention", "attention-scaling") == (
        "https://mirror.example/ic/concepts/attention.html#attention-scaling"
    )
    monkeypatch.delenv("INTERVIEW_CONCEPTS_SITE")
    built = tmp_path / "html"
    (built / "concepts").mkdir(parents=True)
    (built / "index.html").write_text("<html></html>")
    monkeypatch.setattr(terminal, "_local_site", lambda: built)
    assert section_address("attention", "attention-scaling") == (
        built.as_uri() + "/concepts/attention.html#attention-scaling"
    )
    monkeypatch.setattr(terminal, "_local_site", lambda: None)
    assert section_address("attention", "attention-scaling") == (
        "https://interview-concepts.readthedocs.io/en/latest/concepts/attention.html#attention-scaling"
    )


def test_the_local_build_is_found_only_when_it_exists(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "quiz" / "terminal.py"
    monkeypatch.setattr(terminal, "__file__", str(fake))
    assert terminal._local_site() is None
    index = tmp_path / "docs" / "_build" / "html" / "index.html"
    index.parent.mkdir(parents=True)
    index.write_text("")
    assert terminal._local_site() == index.parent


def test_feedback_never_points_at_a_source_file(sample, write_bank) -> None:
    result = quiz(str(write_bank(sample)), "--seed", "0", "--no-save", "-n", "1", stdin="a\n")
    assert "docs/concepts/sample.md" not in result.stdout
    assert "Reread: https://site.example/docs/concepts/sample.html#the-math" in result.stdout


def test_every_shipped_page_anchor_is_addressable() -> None:
    """The address is built from the same slug and anchor the bank validator checks against the page."""
    for slug in available():
        for q in raw(slug)["questions"]:
            address = section_address(slug, q["source"])
            assert address.endswith(f"/concepts/{slug}.html#{q['source']}")
            assert Path(address.split("#")[0]).suffix == ".html"
