"""Bank text for a terminal: inline TeX and Markdown made readable as plain Unicode.

The page renders ``$\\sqrt{d_k}$`` with MathJax; a terminal would show the raw source.
This is a small, forgiving rewrite of the TeX that banks use (symbols, Greek letters,
``\\frac``, ``\\sqrt``, sub- and superscripts), not a TeX engine: what it does not know
it leaves as it was, minus the dollar signs.
"""

from __future__ import annotations

import re

__all__ = ["plain"]

SYMBOLS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "eta": "η",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "omega": "ω",
    "Sigma": "Σ",
    "Delta": "Δ",
    "Omega": "Ω",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Pi": "Π",
    "top": "ᵀ",
    "cdot": "·",
    "times": "×",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "sim": "~",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "in": "∈",
    "infty": "∞",
    "sum": "Σ",
    "prod": "Π",
    "partial": "∂",
    "nabla": "∇",
    "odot": "⊙",
    "otimes": "⊗",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "pm": "±",
    "mid": "|",
    "lVert": "‖",
    "rVert": "‖",
    "Vert": "‖",
    "langle": "⟨",
    "rangle": "⟩",
    "quad": "  ",
    "qquad": "    ",
    "mathbb{R}": "ℝ",
}
FUNCTIONS = ("softmax", "sin", "cos", "exp", "log", "max", "min", "arg", "det", "tanh", "sigmoid")
_GROUP = r"\{([^{}]*)\}"


def _script(body: str, marks: str) -> str:
    """``x^{2i/d}`` reads x^(2i/d); ``d_{model}`` and ``R^{64}`` need no parentheses."""
    body = body.strip()
    return marks + (body if re.fullmatch(r"[\w.]+", body) else f"({body})")


def _math(tex: str) -> str:
    s = tex
    s = s.replace(r"\mathbb{R}", "ℝ")
    s = re.sub(r"\^?\\top\b\s*", "ᵀ", s)  # a transpose binds to what precedes it
    for _ in range(3):  # nested groups unwind from the inside out
        s = re.sub(r"\\(?:mathrm|text|mathbf|mathit|operatorname|boldsymbol|mathcal|textsf)" + _GROUP, r"\1", s)
        s = re.sub(r"\\frac" + _GROUP + _GROUP, lambda m: f"{_wrap(m[1])}/{_wrap(m[2])}", s)
        s = re.sub(r"\\sqrt" + _GROUP, lambda m: f"√{_wrap(m[1])}", s)
        s = re.sub(r"\\(?:hat|tilde|bar)" + _GROUP, r"\1", s)
        s = re.sub(r"\^" + _GROUP, lambda m: _script(m[1], "^"), s)
        s = re.sub(r"_" + _GROUP, lambda m: _script(m[1], "_"), s)
    s = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)\b\s*", "", s)
    s = re.sub(r"\\([,;:! ])", " ", s)
    s = re.sub(r"\\([{}%$#&_])", r"\1", s)
    s = re.sub(r"\\([A-Za-z]+)", lambda m: SYMBOLS.get(m[1], m[1] if m[1] in FUNCTIONS else m[0]), s)
    return re.sub(r" {2,}", " ", s).strip()


def _wrap(text: str) -> str:
    text = text.strip()
    return text if re.fullmatch(r"[\w.√]+", text) else f"({text})"


def plain(text: str) -> str:
    """Bank Markdown as terminal text: math unwrapped, code and emphasis marks dropped.

    >>> plain(r"Divide by $\\sqrt{d_k}$ so that $q^\\top k$ has variance $1$.")
    'Divide by √d_k so that qᵀk has variance 1.'
    >>> plain(r"$$\\mathrm{softmax}\\left(\\frac{QK^\\top}{\\sqrt{d_k}}\\right)V$$")
    'softmax(QKᵀ/√d_k)V'
    >>> plain(r"$q \\in \\mathbb{R}^{64}$, $d_{\\text{model}}$, $10000^{2i/d}$")
    'q ∈ ℝ^64, d_model, 10000^(2i/d)'
    >>> plain("Use `torch.nn.LayerNorm`, **not** BatchNorm.")
    'Use torch.nn.LayerNorm, not BatchNorm.'
    """
    out = re.sub(r"\$\$(.+?)\$\$", lambda m: _math(m[1]), text, flags=re.S)
    out = re.sub(r"(?<![\\$])\$([^$\n]+?)\$", lambda m: _math(m[1]), out)
    out = re.sub(r"`([^`]+)`", r"\1", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"\1", out)
    return out
