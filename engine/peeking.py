"""Catching a loss or a model that peeks at the numbers while it builds its graph.

A tape replays one graph's shape forever. That is right only if the shape cannot depend on the
numbers, and Python code can learn the numbers of a `Value` in one way only: by reading its
``.data`` (or ``.grad``). A `Value` has no ``__bool__``, ``__float__`` or ordering, so ``if v > 0``
raises instead of branching. So while a graph is being recorded, `Peeking` looks at every function
that runs: one whose code mentions ``data`` or ``grad``, or prints a Value (``repr`` shows the
numbers), could branch on them (``if score.data > 0``, ``range(int(x.data))``), and the tape stands
down. The engine's own operators read ``.data`` to compute, never to choose what to build, so they
are trusted; so is the engine's stock model and loss code, which is never watched at all.

This is a judgement on the code, not on what it did: code that reads ``.data`` only to log it is
rebuilt too. It cannot see a read it is not shown, such as ``getattr(v, name)`` with a computed
name, nor a loss that draws random numbers or counts its calls: the tape assumes the loss is a
function of the scores, the targets and the model.
"""

from __future__ import annotations

import dis
import sys
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from engine import ops, value
from engine.losses import LOSSES
from engine.nn import MLP, Layer, Module, Neuron

PEEKING_NAMES = frozenset({"data", "grad"})
_OPERATOR_FILES = frozenset({value.__file__, ops.__file__})
_REPR = value.Value.__repr__.__code__


def engine_code_only(model: Module, loss: object) -> bool:
    """The model is the engine's own MLP, Layer or Neuron and the loss one of the engine's: code
    that builds the same shape whatever the numbers, so there is nothing to watch."""
    return any(loss is stock for stock in LOSSES.values()) and _stock_module(model)


def _stock_module(module: object) -> bool:
    if type(module) is MLP:
        return all(_stock_module(layer) for layer in module.layers)
    if type(module) is Layer:
        return all(type(neuron) is Neuron for neuron in module.neurons)
    return type(module) is Neuron


class Peeking:
    """``with Peeking() as peeking: build the graph``; then `peeking.found` names the first code
    that may have read a Value's numbers (None if nothing did). Watches this thread only."""

    def __init__(self) -> None:
        self.found: str | None = None
        self._verdicts: dict[CodeType, bool] = {}
        self._previous: Any = None

    def __enter__(self) -> Peeking:
        self._previous = sys.gettrace()  # a debugger's or coverage's tracer keeps working through ours
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc_info: object) -> None:
        sys.settrace(self._previous)

    def _on_call(self, frame: FrameType, event: str, arg: object) -> Any:
        code = frame.f_code
        peeks = self._verdicts.get(code)
        if peeks is None:
            peeks = self._verdicts[code] = _may_peek(code)
            if peeks and self.found is None:
                self.found = _where(code)
        return None if self._previous is None else self._previous(frame, event, arg)


def _may_peek(code: CodeType) -> bool:
    if code is _REPR:
        return True
    if code.co_filename in _OPERATOR_FILES:
        return False
    strings = {c for c in code.co_consts if type(c) is str}
    return not PEEKING_NAMES.isdisjoint(code.co_names) or not PEEKING_NAMES.isdisjoint(strings)


def _where(code: CodeType) -> str:
    """``my_loss (scenario.py:12) reads .data`` — the first line of `code` that names a number."""
    if code is _REPR:
        return "a Value is printed (its repr shows .data)"
    line, name = code.co_firstlineno, "data"
    for instruction in dis.get_instructions(code):
        if instruction.argval in PEEKING_NAMES and instruction.positions and instruction.positions.lineno:
            line, name = instruction.positions.lineno, instruction.argval
            break
    return f"{code.co_qualname} ({Path(code.co_filename).name}:{line}) reads .{name}"
