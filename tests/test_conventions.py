"""DESIGN.md's conventions across modules, checked on the whole package so a new module cannot drift.

One name per idea (no public name bound to two different objects), module length, the
``<name>_torch`` mirror rule, the randomness keywords and the size names.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import concepts

PACKAGE = Path(concepts.__file__).resolve().parent
PUBLIC = sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE)]) if not m.name.startswith("_") and m.ispkg is False)
MAX_LINES = 400

# Mirrors whose arguments differ from the NumPy function's on purpose, with the reason.
MIRROR_EXCEPTIONS = {
    "batch_norm.fold_into_linear_torch": "takes nn.Linear and nn.BatchNorm1d modules, as torch's fuse_linear_bn_eval",
}
# NumPy keyword -> PyTorch keyword (DESIGN.md: rng / generator, axis / dim).
RENAMED = {"axis": "dim", "rng": "generator"}
BANNED_PARAMETERS = {
    "seed": "rng= (NumPy) or generator= (PyTorch)",
    "random_state": "rng=",
    "n_heads": "num_heads",
    "n_kv_heads": "num_kv_heads",
    "n_layers": "num_layers",
    "causal": "is_causal",
    "n_positions": "max_len (the length of a position table)",
    "max_position": "max_len (the length of a position table)",
}


def _public_callables():
    for slug in PUBLIC:
        module = importlib.import_module(f"concepts.{slug}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                yield f"{slug}.{name}", obj.__init__
                for attr, member in vars(obj).items():
                    if callable(member) and not attr.startswith("_"):
                        yield f"{slug}.{name}.{attr}", member
            elif callable(obj):
                yield f"{slug}.{name}", obj


def test_the_package_has_its_modules() -> None:
    assert len(PUBLIC) >= 37 and "attention" in PUBLIC and "exercises" not in PUBLIC


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_module_passes_about_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines; move a coherent part into a private module"


def test_one_object_per_public_name() -> None:
    """A name exported by two modules is one object (imported), never two definitions."""
    owners: dict[str, dict[int, str]] = {}
    for slug in PUBLIC:
        module = importlib.import_module(f"concepts.{slug}")
        for name in module.__all__:
            owners.setdefault(name, {}).setdefault(id(getattr(module, name)), slug)
    clashes = {name: sorted(by_id.values()) for name, by_id in owners.items() if len(by_id) > 1}
    assert not clashes, f"one name, different objects: {clashes}"


def test_torch_mirrors_take_the_numpy_arguments_in_order() -> None:
    """``f_torch`` takes ``f``'s parameters in ``f``'s order (rng -> generator, axis -> dim); extras only at the end."""
    problems = []
    checked = 0
    for slug in PUBLIC:
        module = importlib.import_module(f"concepts.{slug}")
        for name in module.__all__:
            base = name.removesuffix("_torch")
            if base == name or base not in module.__all__ or inspect.isclass(getattr(module, name)):
                continue
            if f"{slug}.{name}" in MIRROR_EXCEPTIONS:
                continue
            want = [RENAMED.get(p, p) for p in inspect.signature(getattr(module, base)).parameters]
            got = list(inspect.signature(getattr(module, name)).parameters)
            if got[: len(want)] != want:
                problems.append(f"{slug}.{name}{tuple(got)} vs {base}{tuple(want)}")
            checked += 1
    assert checked >= 30, f"only {checked} mirrors found"
    assert not problems, "\n".join(problems)


def test_randomness_and_size_keywords() -> None:
    """rng and generator are keyword-only; no seed=, n_heads= or causal= anywhere in the public API."""
    problems = []
    for where, fn in _public_callables():
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue
        for p in params:
            if p.name in BANNED_PARAMETERS:
                problems.append(f"{where}: {p.name}= (use {BANNED_PARAMETERS[p.name]})")
            if p.name in ("rng", "generator") and p.kind is not inspect.Parameter.KEYWORD_ONLY:
                problems.append(f"{where}: {p.name} must be keyword-only")
    assert not problems, "\n".join(problems)


def test_counts_are_named_param_count() -> None:
    """Parameter counts are named ``<thing>_param_count`` (DESIGN.md), never ``_parameters`` or ``_saved``."""
    bad = [
        f"{slug}.{name}"
        for slug in PUBLIC
        for name in importlib.import_module(f"concepts.{slug}").__all__
        if name.endswith(("_parameters", "_parameter_count", "_params_count", "_saved", "_num_params"))
    ]
    assert not bad, bad
