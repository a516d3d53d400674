"""Sphinx configuration of the concept reference.

Build from the repository's root: ``sphinx-build -c . -nW --keep-going docs OUT``. The
site builds offline: MathJax is served from the site itself and nothing is fetched.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

# -- Project -------------------------------------------------------------------------------

project = "Interview concepts"
author = "The concept reference maintainers"
copyright = "2026, the concept reference maintainers"
release = "0.1.0"

# -- General -------------------------------------------------------------------------------

extensions = [
    "myst_parser",
    "autodoc2",
    "sphinx_design",
    "sphinx_copybutton",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "matplotlib.sphinxext.plot_directive",
    "quiz.sphinxext",
]
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
nitpicky = True
# Type hints name third-party classes we do not document; with no intersphinx (the build
# is offline) they cannot resolve, so they are not broken references.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|torch|nn|numpy\.typing|npt|collections\.abc|typing|typing_extensions|pathlib)(\..*)?"),
    (r"py:.*", r"(Any|Callable|Iterator|Iterable|Sequence|Mapping|Literal|Self|NDArray|Tensor|ArrayLike)"),
    (r"py:.*", r"(float|int|str|bool|None|dict|list|tuple|set|object|type|slice)"),
    (r"py:.*", r"concepts\..*\.(Array|Floats|FloatArray)"),
    # PyTorch is imported inside functions (it is an optional extra), so autodoc2 resolves a
    # `torch.Tensor` hint against the function's own name.
    (r"py:.*", r"concepts\..*\.torch(\..*)?"),
    # Private helper modules (concepts/_*.py) have no page of their own (see autodoc2 below).
    (r"py:.*", r"concepts\._\w+(\..*)?"),
]
suppress_warnings = ["myst.header"]

# -- MyST ----------------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath", "deflist", "attrs_inline"]
myst_heading_anchors = 3

# -- autodoc2 ------------------------------------------------------------------------------

# concepts/exercises (checks, starter files, known-wrong solutions) is for `python -m quiz
# check`, not API reference: the starters raise NotImplementedError by design.
autodoc2_packages = [
    # Private helper modules (concepts/_rag_metrics.py) are analysed but get no page of their
    # own: a public module re-exports their names in __all__ and documents them there.
    {
        "path": "../concepts",
        "auto_mode": True,
        "exclude_dirs": ["__pycache__", "exercises"],
    },
]
autodoc2_output_dir = "apidocs"
autodoc2_render_plugin = "myst"
autodoc2_hidden_objects = ["private", "inherited", "dunder"]
# The private helpers get no page; their names are documented where a public module re-exports them.
autodoc2_skip_module_regexes = [r"concepts\._[a-z]\w*"]
# Public modules document what __all__ lists; private helpers (concepts._checks) need none.
autodoc2_module_all_regexes = [r"concepts\.(?!_)\w+"]
# Docstrings are reStructuredText with :param: field lists (STYLE.md), whatever the pages use.
autodoc2_docstring_parser_regexes = [(r".*", "rst")]

# -- MathJax (served from the site by sphinx-mathjax-offline) -----------------------------

# Keep formulas out of the Tab order: a keyboard user answering a quiz should move from an
# option to the Check button, not through every formula in the option labels.
mathjax3_config = {"options": {"menuOptions": {"settings": {"inTabOrder": False}}}}

# -- Doctest -------------------------------------------------------------------------------

doctest_global_setup = """
import numpy as np
"""
doctest_default_flags = 0x4 | 0x8  # NORMALIZE_WHITESPACE | ELLIPSIS
# Docstring examples run under pytest --doctest-modules; here only the pages' {doctest} blocks.
doctest_test_doctest_blocks = ""

# -- Plots (drawn at build time from the package's code) ------------------------------------

plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
# Saved at 200 dpi (sharp on high-density screens) and shown at 100 px an inch
# (quiz.sphinxext sets the width from the file): a 6.4 in figure is 640 px wide on the page,
# fits the 750 px column at its natural size, and its 10 pt labels are 14 px on screen.
plot_formats = [("png", 200)]
plot_rcparams = {"figure.dpi": 100, "savefig.bbox": "tight", "font.size": 10}
plot_display_dpi = 100
plot_working_directory = str(ROOT)

# -- HTML ----------------------------------------------------------------------------------

html_theme = "sphinx_book_theme"
html_title = "Interview concepts"
html_static_path = ["docs/_static"]
html_css_files = ["site.css"]
html_js_files = [("site.js", {"defer": "defer"})]
# The concept page ranks first for its own name, above the API pages that repeat it.
html_search_scorer = "docs/_static/search_scorer.js"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
# The theme reads the colour mode from here; left empty it logs a console error on every page.
html_context = {"default_mode": "auto"}
html_last_updated_fmt = None
html_copy_source = False
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True


# -- Local glue ----------------------------------------------------------------------------


def _insert_input(self, input_lines, source):
    """Let matplotlib's plot directive work in MyST pages.

    The plot directive emits its figure as reStructuredText through
    ``state_machine.insert_input``, which MyST's stand-in state machine lacks. Parse those
    lines as reStructuredText and put the nodes where the directive stands.
    """
    from docutils.utils import new_document
    from myst_parser.mocking import MockRSTParser

    document = new_document(self.document["source"], self.document.settings)
    document.reporter = self.reporter
    MockRSTParser().parse("\n" * self._lineno + "\n".join(input_lines), document)
    self.node.extend(document.children)


def setup(app):
    from myst_parser.mocking import MockStateMachine

    if not hasattr(MockStateMachine, "insert_input"):
        MockStateMachine.insert_input = _insert_input
