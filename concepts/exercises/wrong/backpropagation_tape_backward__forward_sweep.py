"""Walks the tape forwards in the backward sweep, so entries read gradients that are not complete yet."""

import math

EXPECTED_FAILURE = "check_tape_against_autograd"


def tape_gradients(inputs, tape):
    values = {k: float(v) for k, v in inputs.items()}
    forward = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "tanh": math.tanh, "relu": lambda a: max(a, 0.0)}
    for name, op, args in tape:
        values[name] = forward[op](*(values[a] for a in args))
    grads = dict.fromkeys(values, 0.0)
    grads[tape[-1][0]] = 1.0
    for name, op, args in tape:  # the mistake: should be reversed(tape)
        g = grads[name]
        if op == "add":
            grads[args[0]] += g
            grads[args[1]] += g
        elif op == "mul":
            grads[args[0]] += values[args[1]] * g
            grads[args[1]] += values[args[0]] * g
        elif op == "tanh":
            grads[args[0]] += (1.0 - values[name] ** 2) * g
        else:
            grads[args[0]] += (values[args[0]] > 0) * g
    return grads
