"""The machinery every exercise's checks share: a check, a comparison that explains itself, a runner.

A *check* is a function that takes the candidate (the learner's function, or ours) and
raises :class:`CheckFailed` with a message a person can act on: the smallest input that
fails, what was expected and what came, the largest difference and where. It is declared
with :func:`check`, which gives it a one-line description and the page section to reread::

    @check("values match torch's scaled_dot_product_attention on random inputs", section="attention-code")
    def check_values(candidate):
        for q, k, v in cases():  # smallest first, so the first failure is the smallest input
            compare(candidate(q, k, v), reference(q, k, v), inputs={"q": q, "k": k, "v": v})

:func:`run_checks` runs a list of checks on a candidate and never raises: an exception from
the candidate becomes a failed check that shows the candidate's own traceback lines.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Check", "CheckFailed", "Result", "check", "compare", "expect", "run_checks", "show"]


class CheckFailed(AssertionError):
    """A check found the candidate wrong; the message says how, for a learner."""


@dataclass(frozen=True)
class Check:
    """A check function with its one-line description and the page section that teaches it."""

    func: Callable[[Callable[..., Any]], None]
    description: str
    section: str

    @property
    def name(self) -> str:
        """The check function's name, e.g. ``check_values`` (known-wrong solutions name it)."""
        return self.func.__name__

    def __call__(self, candidate: Callable[..., Any]) -> None:
        self.func(candidate)


def check(description: str, *, section: str) -> Callable[[Callable[[Callable[..., Any]], None]], Check]:
    """Declare a check: ``description`` is printed beside its verdict, ``section`` is a page anchor."""
    if not description or "\n" in description:
        raise ValueError(f"a check's description is one non-empty line; got {description!r}")

    def wrap(func: Callable[[Callable[..., Any]], None]) -> Check:
        return Check(func, description, section)

    return wrap


def expect(condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def _to_numpy(x: Any) -> np.ndarray:
    if type(x).__module__.startswith("torch"):
        x = x.detach().cpu()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        return x.numpy()
    return np.asarray(x)


def show(x: Any, *, max_lines: int = 8) -> str:
    """A small, rounded rendering of an array (or anything) for a failure message.

    >>> show([[1.0, 2.123456], [3.0, 4.0]])
    '[[1.     2.1235]\\n [3.     4.    ]]'
    """
    try:
        arr = _to_numpy(x)
    except (TypeError, ValueError):
        return repr(x)
    if arr.dtype == object:
        return repr(x)
    text = np.array2string(arr, precision=4, suppress_small=True, threshold=64, edgeitems=3)
    lines = text.splitlines()
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], f" ... ({arr.size} values in all, shape {arr.shape})"]
    return "\n".join(lines)


def _inputs_text(inputs: Mapping[str, Any] | None) -> str:
    if not inputs:
        return ""
    parts = []
    for name, value in inputs.items():
        shape = getattr(value, "shape", None)
        if shape is None or len(tuple(shape)) == 0:
            parts.append(f"  {name} = {show(value)}")
            continue
        body = _block(show(value), "    ")
        parts.append(f"  {name} (shape {tuple(shape)}) =\n{body}")
    return "\non the input\n" + "\n".join(parts)


def _block(text: str, prefix: str) -> str:
    """``text`` with every line indented by ``prefix``."""
    return "\n".join(prefix + line for line in text.splitlines())


def compare(
    got: Any,
    want: Any,
    *,
    inputs: Mapping[str, Any] | None = None,
    what: str = "the output",
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> None:
    """Raise :class:`CheckFailed` unless ``got`` equals ``want`` within the tolerances.

    The message gives the inputs (rounded), the shapes or the largest difference and where
    it is, and both values there. NaN must sit where ``want`` has NaN, and nowhere else.

    >>> compare([1.0, 2.0], [1.0, 2.5], inputs={"x": [1, 2]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    concepts.exercises._harness.CheckFailed: the output differs ... at index (1,): expected 2.5, got 2 ...
    on the input
    ...
    """
    if isinstance(got, tuple | list) and isinstance(want, tuple) and len(want) > 1:
        expect(
            isinstance(got, tuple | list) and len(got) == len(want),
            f"{what} must be a tuple of {len(want)} values; got {type(got).__name__}",
        )
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            compare(g, w, inputs=inputs, what=f"{what}, item {i},", rtol=rtol, atol=atol)
        return
    try:
        g = _to_numpy(got).astype(np.float64) if np.asarray(_to_numpy(got)).dtype != bool else _to_numpy(got)
    except (TypeError, ValueError):
        raise CheckFailed(
            f"{what} must be an array of numbers; got {type(got).__name__}{_inputs_text(inputs)}"
        ) from None
    w = _to_numpy(want)
    w = w if w.dtype == bool else w.astype(np.float64)
    context = _inputs_text(inputs)
    if g.shape != w.shape:
        raise CheckFailed(f"{what} has shape {g.shape}; expected shape {w.shape}{context}")
    if w.dtype == bool or g.dtype == bool:
        bad = np.argwhere(g.astype(bool) != w.astype(bool)) if g.dtype == w.dtype else None
        if bad is None:
            raise CheckFailed(f"{what} must be boolean like the expected value; got dtype {g.dtype}{context}")
        if len(bad):
            where = tuple(int(i) for i in bad[0])
            raise CheckFailed(
                f"{what} differs at index {where}: expected {bool(w[where])}, got {bool(g[where])} "
                f"({len(bad)} of {w.size} entries differ){context}\nexpected:\n  {show(w)}\ngot:\n  {show(g)}"
            )
        return
    nan_g, nan_w = np.isnan(g), np.isnan(w)
    if (nan_g != nan_w).any():
        where = tuple(int(i) for i in np.argwhere(nan_g != nan_w)[0])
        raise CheckFailed(
            f"{what} has NaN where a number is expected, or a number where NaN is expected, "
            f"first at index {where}: expected {w[where]}, got {g[where]}{context}"
        )
    ok = ~nan_w
    same_inf = np.isinf(w) & (g == w)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(ok & ~same_inf, np.abs(g - w), 0.0)
    allowed = atol + rtol * np.abs(np.where(np.isinf(w), 0.0, w))
    over = np.nan_to_num(diff - allowed, nan=np.inf, posinf=np.inf)
    if (over > 0).any():
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(over)), over.shape)) if over.ndim else ()
        raise CheckFailed(
            f"{what} differs from the expected value at index {where}: expected {w[where]:.6g}, got {g[where]:.6g} "
            f"(difference {diff[where]:.3g}; tolerance rtol={rtol:g}, atol={atol:g}){context}\n"
            f"expected:\n{_block(show(w), '  ')}\ngot:\n{_block(show(g), '  ')}"
        )


@dataclass(frozen=True)
class Result:
    """The verdict of one check on one candidate."""

    name: str
    description: str
    section: str
    passed: bool
    message: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "section": self.section,
            "passed": self.passed,
            "message": self.message,
        }


def _candidate_traceback(exc: BaseException, files: Sequence[Path]) -> str:
    """The traceback lines of ``exc`` that lie in ``files`` (the learner's own), else all of them."""
    frames = traceback.extract_tb(exc.__traceback__)
    resolved = {str(Path(f).resolve()) for f in files}
    own = [f for f in frames if str(Path(f.filename).resolve()) in resolved] if resolved else []
    lines = traceback.format_list(own) if own else []
    head = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return ("".join(lines) + head).rstrip()


def run_checks(checks: Iterable[Check], candidate: Callable[..., Any], *, files: Sequence[Path] = ()) -> list[Result]:
    """Run every check on ``candidate``; never raises.

    ``files`` are the learner's files: a traceback from the candidate shows only their frames.
    """
    results = []
    for c in checks:
        try:
            c(candidate)
        except CheckFailed as exc:
            results.append(Result(c.name, c.description, c.section, False, str(exc)))
        except NotImplementedError:
            message = "not written yet: the function still raises NotImplementedError"
            results.append(Result(c.name, c.description, c.section, False, message))
        except Exception as exc:  # the candidate's own error, shown as its traceback
            message = "your function raised an exception:\n" + _candidate_traceback(exc, files)
            results.append(Result(c.name, c.description, c.section, False, message))
        else:
            results.append(Result(c.name, c.description, c.section, True))
    return results
