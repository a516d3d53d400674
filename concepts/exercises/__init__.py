"""Exercises: write a concept yourself, and have it graded by the checks our own code passes.

Each concept lists its exercises in its bank (``quiz/banks/<slug>.json``, key ``exercises``).
This package holds what grading needs:

- ``starters/<slug>_<name>.py``: the file a learner starts from (signature, specification,
  one worked example, a body that raises ``NotImplementedError``);
- ``<slug>.py``: the checks, ``CHECKS = {exercise_id: [check, ...]}``. The concept's own
  tests run the same checks on the package's implementation;
- ``wrong/<slug>_<name>__<mistake>.py``: known-wrong solutions, each embodying a classic
  mistake and naming the check that must catch it (``EXPECTED_FAILURE``);
- ``_harness.py``: the :func:`~concepts.exercises._harness.check` decorator, the comparison
  that explains a difference, and :func:`~concepts.exercises._harness.run_checks`;
- ``_run.py``: the entry point ``python -m quiz check`` starts in a subprocess.

Importing this package imports nothing heavy.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXERCISES_DIR", "file_stem", "starter_path", "wrong_paths"]

EXERCISES_DIR = Path(__file__).resolve().parent


def file_stem(exercise_id: str) -> str:
    """The file name (without ``.py``) for an exercise id: dots and hyphens become underscores.

    >>> file_stem("attention.sdpa")
    'attention_sdpa'
    >>> file_stem("decoding.beam-search")
    'decoding_beam_search'
    """
    return exercise_id.replace(".", "_").replace("-", "_")


def starter_path(exercise_id: str) -> Path:
    """Where the starter file of ``exercise_id`` ships."""
    return EXERCISES_DIR / "starters" / f"{file_stem(exercise_id)}.py"


def wrong_paths(exercise_id: str) -> list[Path]:
    """The known-wrong solutions that ship for ``exercise_id``, sorted by name."""
    return sorted((EXERCISES_DIR / "wrong").glob(f"{file_stem(exercise_id)}__*.py"))
