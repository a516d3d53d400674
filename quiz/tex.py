"""TeX math as Unicode text: the small reader behind :func:`quiz.terminal.plain`.

It reads the TeX that banks use (commands, groups, sub- and superscripts, accents,
fractions, roots, matrices, aligned and cases environments) with a recursive reader that
renders as it parses, and writes Unicode: ``√d_k``, ``x̄`` with a combining bar, ``⌊x⌋``,
a matrix as its rows. It is not a TeX engine; with ``strict=True`` a command or environment
it does not know raises :class:`TexError`, which is how the tests keep every shipped bank
free of raw TeX.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["TexError", "base_chars", "tex_to_text"]


class TexError(ValueError):
    """TeX this module cannot render (raised only with ``strict=True``)."""


GREEK = (
    "alpha α beta β gamma γ delta δ epsilon ϵ varepsilon ε zeta ζ eta η theta θ vartheta ϑ iota ι "
    "kappa κ lambda λ mu μ nu ν xi ξ omicron ο pi π varpi ϖ rho ρ varrho ϱ sigma σ varsigma ς tau τ "
    "upsilon υ phi ϕ varphi φ chi χ psi ψ omega ω Gamma Γ Delta Δ Theta Θ Lambda Λ Xi Ξ Pi Π "
    "Sigma Σ Upsilon Υ Phi Φ Psi Ψ Omega Ω"
)
OPERATORS = (
    "cdot · times × div ÷ pm ± mp ∓ ast ∗ star ⋆ circ ∘ bullet • odot ⊙ otimes ⊗ oplus ⊕ "
    "le ≤ leq ≤ ge ≥ geq ≥ ne ≠ neq ≠ ll ≪ gg ≫ approx ≈ sim ∼ simeq ≃ cong ≅ equiv ≡ propto ∝ "
    "to → rightarrow → leftarrow ← gets ← Rightarrow ⇒ Leftarrow ⇐ leftrightarrow ↔ "
    "Leftrightarrow ⇔ iff ⟺ implies ⟹ mapsto ↦ uparrow ↑ downarrow ↓ "
    "in ∈ notin ∉ ni ∋ subset ⊂ subseteq ⊆ supset ⊃ cup ∪ cap ∩ setminus ∖ emptyset ∅ varnothing ∅ "
    "forall ∀ exists ∃ neg ¬ lnot ¬ land ∧ wedge ∧ lor ∨ vee ∨ "
    "infty ∞ partial ∂ nabla ∇ sum Σ prod Π int ∫ oint ∮ ell ℓ hbar ℏ Re ℜ Im ℑ aleph ℵ prime ′ "
    "ldots … dots … cdots ⋯ vdots ⋮ ddots ⋱ "
    "mid | vert | Vert ‖ lvert | rvert | lVert ‖ rVert ‖ langle ⟨ rangle ⟩ "
    "lfloor ⌊ rfloor ⌋ lceil ⌈ rceil ⌉ top ᵀ perp ⊥ parallel ∥ angle ∠ triangle △ checkmark ✓ "
    "lbrace { rbrace } colon : vartriangle △ dagger † S §"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SYMBOLS = dict(zip(*[iter((GREEK + " " + OPERATORS).split())] * 2, strict=True))
SYMBOLS.update(quad="  ", qquad="    ", bmod=" mod ", mod=" mod ")
FUNCTIONS = _words(
    "arg max min sup inf lim liminf limsup log ln lg exp sin cos tan sinh cosh tanh arcsin "
    "arccos arctan det dim ker deg gcd Pr softmax sigmoid sgn"
)
IGNORED = _words(
    "displaystyle textstyle scriptstyle limits nolimits left right big Big bigg Bigg bigl "
    "bigr Bigl Bigr biggl biggr Biggl Biggr bigm Bigm middle nonumber notag strut"
)
FONTS = _words(
    "mathrm text textrm textnormal textit textbf textsf texttt mathbf mathit mathsf mathtt "
    "mathnormal boldsymbol bm emph operatorname boxed mbox hbox textup mathrel mathbin mathop"
)
ACCENTS = {
    "hat": "\u0302",
    "widehat": "\u0302",
    "bar": "\u0304",
    "overline": "\u0305",
    "tilde": "\u0303",
    "widetilde": "\u0303",
    "vec": "\u20d7",
    "dot": "\u0307",
    "ddot": "\u0308",
    "check": "\u030c",
    "breve": "\u0306",
    "acute": "\u0301",
    "grave": "\u0300",
}
ACCENT_WORDS = {"\u0302": "hat", "\u0304": "bar", "\u0305": "bar", "\u0303": "tilde", "\u20d7": "vec"}
VULGAR = {"1/2": "½", "1/3": "⅓", "2/3": "⅔", "1/4": "¼", "3/4": "¾", "1/5": "⅕", "1/8": "⅛", "3/8": "⅜"}
DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "P": "ℙ", "H": "ℍ", "1": "𝟙"}
SCRIPT = {"B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ", "I": "ℐ", "L": "ℒ", "M": "ℳ", "R": "ℛ"}
SUPERSCRIPT = str.maketrans("0123456789+-−=()niT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵀ")
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
MATRICES = {"matrix": "{}", "pmatrix": "{}", "bmatrix": "{}", "Bmatrix": "{}", "smallmatrix": "{}"}
MATRICES.update({"vmatrix": "det {}", "Vmatrix": "‖{}‖"})
ROWS = {"aligned", "align", "align*", "gathered", "gather", "gather*", "split", "array", "eqnarray", "alignedat"}
ROWS |= {"cases", "dcases", "equation", "equation*", "multline", "multline*"}

_TOKEN = re.compile(r"\\([A-Za-z]+)|\\(.)|(\s+)|(.)", re.S)


def base_chars(text: str) -> list[str]:
    return [c for c in text if not unicodedata.combining(c)]


def _simple(text: str) -> bool:
    """One thing that needs no parentheses: a number, a name, a symbol with its marks."""
    return bool(re.fullmatch(r"[\w.′ᵀ√∛∜\u0300-\u036f\u20d7]+|.[\u0300-\u036f\u20d7]*", text))


class _Tex:
    """A recursive reader of one math span; renders as it parses."""

    def __init__(self, source: str, *, strict: bool, display: bool) -> None:
        self.tokens = [(m[1], m[2], m[3], m[4], m[0]) for m in _TOKEN.finditer(source)]
        self.i = 0
        self.strict = strict
        self.display = display
        self.source = source

    def fail(self, message: str) -> str:
        if self.strict:
            raise TexError(f"{message} in {self.source!r}")
        return ""

    def peek(self) -> tuple[str | None, str | None, str | None, str | None, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def skip_space(self) -> None:
        while (tok := self.peek()) and tok[2]:
            self.i += 1

    def glue_letter(self) -> None:
        """Drop the spaces before a following letter or digit."""
        j = self.i
        while j < len(self.tokens) and self.tokens[j][2]:
            j += 1
        if j < len(self.tokens) and ((self.tokens[j][3] or "").isalnum() or self.tokens[j][0] in SYMBOLS):
            self.i = j

    def peek_char(self, ch: str) -> bool:
        tok = self.peek()
        return bool(tok and tok[3] == ch)

    def arg(self) -> str:
        """One argument: a braced group or a single token."""
        self.skip_space()
        tok = self.peek()
        if tok is None:
            return self.fail("a command is missing its argument")
        if tok[3] == "{":
            self.i += 1
            return self.seq("}")
        return self.atom()

    def raw_arg(self) -> str:
        """A braced argument's source text (environment names, column specs)."""
        self.skip_space()
        if not self.peek_char("{"):
            return self.fail("expected a braced argument")
        self.i += 1
        out = []
        while (tok := self.peek()) and tok[3] != "}":
            out.append(tok[4])
            self.i += 1
        self.i += 1
        return "".join(out)

    def optional(self) -> str | None:
        """``[...]`` after a command, or None."""
        if not self.peek_char("["):
            return None
        self.i += 1
        out = []
        while (tok := self.peek()) and tok[3] != "]":
            out.append(self.atom())
        self.i += 1
        return "".join(out)

    def seq(self, end: str | None = None, env: str | None = None) -> str:
        out: list[str] = []
        while (tok := self.peek()) is not None:
            if end is not None and tok[3] == end:
                self.i += 1
                return "".join(out)
            if env is not None and (tok[3] == "&" or tok[1] == "\\" or tok[0] == "end"):
                return "".join(out)
            out.append(self.atom())
        if end is not None:
            self.fail("an unclosed brace")
        return "".join(out)

    def atom(self) -> str:
        name, escaped, space, ch, _ = self.tokens[self.i]
        self.i += 1
        if space:
            return " "
        if name:
            return self.command(name)
        if escaped is not None:
            return {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "|": "‖", "\\": "; "}.get(escaped, escaped)
        if ch == "{":
            return self.seq("}")
        if ch == "}":
            return self.fail("an unmatched closing brace")
        if ch in "^_":
            self.skip_space()
            body = self.arg().strip()
            if ch == "_":
                return _subscript(body)
            if body == "ᵀ":  # q^\top k reads qᵀk, but W^\top + b keeps its spaces
                self.glue_letter()
            return _superscript(body)
        if ch == "&":
            return " "
        if ch == "~":
            return " "
        if ch == "'":
            return "′"
        return ch

    def command(self, name: str) -> str:
        if name in SYMBOLS:
            if name in ("partial", "nabla"):
                self.glue_letter()  # ∂L/∂h, not ∂ L/∂ h
            return SYMBOLS[name]
        if name in FUNCTIONS:
            nxt = self.peek()
            # \log\sigma(x) reads "log σ(x)", never "logσ(x)"
            return name + " " if nxt and (nxt[0] in SYMBOLS or (nxt[3] or "").isalnum()) else name
        if name in IGNORED:
            if name in ("left", "right", "middle"):
                self.skip_space()
                if self.peek_char("."):
                    self.i += 1
            return ""
        if name in FONTS:
            if name == "operatorname" and self.peek_char("*"):
                self.i += 1
            return self.arg()
        if name in ACCENTS:
            return _accent(self.arg(), ACCENTS[name])
        if name in ("frac", "tfrac", "dfrac", "cfrac"):
            num, den = self.arg().strip(), self.arg().strip()
            if f"{num}/{den}" in VULGAR:
                return VULGAR[f"{num}/{den}"]
            return f"{_paren(num)}/{_paren(den)}"
        if name == "sqrt":
            index = self.optional()
            body = self.arg().strip()
            root = {None: "√", "2": "√", "3": "∛", "4": "∜"}.get(index)
            if root is None:
                root = _superscript(str(index)).lstrip("^") + "√"
            return root + _paren(body)
        if name == "binom":
            n, k = self.arg().strip(), self.arg().strip()
            return f"C({n}, {k})"
        if name == "pmod":
            return f" (mod {self.arg().strip()})"
        if name == "not":
            return self.arg() + "\u0338"
        if name == "mathbb":
            return "".join(DOUBLE_STRUCK.get(c, c) for c in self.arg())
        if name in ("mathcal", "mathscr"):
            return "".join(SCRIPT.get(c, c) for c in self.arg())
        if name in ("mathfrak",):
            return self.arg()
        if name in ("overset", "stackrel", "underset"):
            over, base = self.arg().strip(), self.arg()
            return base + (_superscript(over) if name != "underset" else _subscript(over))
        if name in ("underbrace", "overbrace"):
            return self.arg()
        if name in ("color",):
            self.raw_arg()
            return ""
        if name in ("textcolor",):
            self.raw_arg()
            return self.arg()
        if name in ("phantom", "hphantom", "vphantom"):
            self.arg()
            return ""
        if name in ("hspace", "vspace", "kern", "mkern"):
            self.raw_arg()
            return " "
        if name == "begin":
            return self.environment(self.raw_arg())
        if name == "end":
            self.raw_arg()
            return self.fail(r"an \end without its \begin")
        return self.fail(f"unknown TeX command \\{name}") or name

    def environment(self, env: str) -> str:
        if env in ("array", "alignedat"):
            self.raw_arg()  # the column spec or the column count
        rows: list[list[str]] = [[]]
        while True:
            rows[-1].append(self.seq(env=env).strip())
            tok = self.peek()
            if tok is None:
                self.fail(f"\\begin{{{env}}} without \\end")
                break
            self.i += 1
            if tok[3] == "&":
                continue
            if tok[1] == "\\":
                self.optional()  # \\[2pt]
                rows.append([])
                continue
            self.raw_arg()  # \end{env}
            break
        rows = [r for r in rows if any(r)]
        if env in MATRICES:
            body = "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"
            return MATRICES[env].format(body)
        if env not in ROWS:
            self.fail(f"unknown environment {env!r}")
        lines = [re.sub(r"\s+", " ", " ".join(r)).strip() for r in rows]
        if env in ("cases", "dcases"):
            lines = [line.rstrip(",") for line in lines]
        return ("\n" if self.display else "; ").join(lines)


def _paren(text: str) -> str:
    return text if _simple(text) else f"({text})"


def _superscript(body: str) -> str:
    body = body.strip()
    if body in ("ᵀ", "′", "″"):
        return body
    if body and all(c in "0123456789+-−=()niT" for c in body) and (len(body) == 1 or not body.isalpha()):
        return body.translate(SUPERSCRIPT)
    # e^(s_j), not e^s_j: an underscore inside a superscript would read as a subscript of it
    return "^" + (body if re.fullmatch(r"[A-Za-z0-9.]+|.", body) else f"({body})")


def _subscript(body: str) -> str:
    body = body.strip()
    if body.isdigit() and body.isascii():
        return body.translate(SUBSCRIPT)
    return "_" + _paren(body)


def _accent(body: str, mark: str) -> str:
    body = body.strip()
    if len(base_chars(body)) == 1:
        return body + mark
    if mark == "\u0305" or mark == "\u0304":  # a bar over several characters: over each one
        return "".join(c + "\u0305" if not unicodedata.combining(c) and not c.isspace() else c for c in body)
    return f"{ACCENT_WORDS.get(mark, 'accent')}({body})"


def tex_to_text(tex: str, *, strict: bool = False, display: bool = False) -> str:
    """One math span as Unicode text.

    >>> tex_to_text(r"\\hat{y}_i - \\bar{x}")
    'ŷ_i - x̄'
    >>> tex_to_text(r"262{,}144 \\cdot \\tfrac12 \\lfloor n/2 \\rfloor")
    '262,144 · ½ ⌊n/2⌋'
    >>> tex_to_text(r"W = \\begin{pmatrix} 1 & -1 \\\\ 0 & 2 \\end{pmatrix}")
    'W = [[1, -1], [0, 2]]'
    """
    out = _Tex(tex, strict=strict, display=display).seq()
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in out.split("\n")]
    lines = [re.sub(r" ([⌋⌉⟩)\]])", r"\1", re.sub(r"([⌊⌈⟨(\[]) ", r"\1", line)) for line in lines]
    return unicodedata.normalize("NFC", "\n".join(lines))
