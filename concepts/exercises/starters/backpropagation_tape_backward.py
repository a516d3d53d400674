"""Exercise backpropagation.tape-backward: reverse-mode autodiff over a tape, the heart of every autograd engine.

Run ``python -m quiz check backpropagation.tape-backward backpropagation_tape_backward.py``
to grade it.
"""

from __future__ import annotations

import math  # noqa: F401  (math.tanh is the forward rule you need)


def tape_gradients(inputs: dict[str, float], tape: list[tuple[str, str, tuple[str, ...]]]) -> dict[str, float]:
    """Return ``{name: d out / d name}`` for every input and every tape entry, ``out`` the tape's last value.

    Specification:

    - ``inputs`` maps names to numbers. Each tape entry ``(name, op, args)`` computes a new
      value ``name`` from values defined earlier (inputs or earlier entries). The ops are
      ``"add"`` (two args), ``"mul"`` (two args), ``"tanh"`` (one) and ``"relu"`` (one);
      ReLU's derivative at 0 is 0, as in PyTorch.
    - The tape is already in topological order: run it forwards to compute every value, then
      walk it backwards, starting from ``d out / d out = 1``.
    - A name can be read by several entries (even twice by one, as ``x`` in ``x * x``): its
      gradient is the *sum* of the contributions of all its uses.
    - Return a dict with a float for every input and every entry (0.0 for names the output
      does not depend on), inputs first, then the entries in tape order.

    >>> tape_gradients({"x": 3.0}, [("a", "mul", ("x", "x")), ("f", "add", ("a", "x"))])
    {'x': 7.0, 'a': 1.0, 'f': 1.0}
    """
    raise NotImplementedError("write this function")
