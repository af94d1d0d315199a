"""Can a tape stand in for the code that builds a loss graph? Watching that code while it runs.

A tape replays one graph forever: the shape the first epoch built, for new numbers. That is
right only if the code building the graph (the model's forward pass and the loss) would build the
same shape from any numbers, and does nothing else worth doing every epoch. Two things break that:

- **peeking at the numbers.** Python code learns a `Value`'s numbers only by reading ``.data``
  (or ``.grad``): a Value has no ``__bool__``, ``__float__`` or ordering, so ``if v > 0`` raises
  instead of branching. Code that names ``data`` or ``grad``, or prints a Value (its repr shows
  the numbers), may branch on them: ``if score.data > 0``, ``range(int(x.data))``.
- **keeping state.** Code that assigns a global or a nonlocal, sets an attribute, uses a mutable
  global or closure variable (a list it appends to, a counter), or prints, would do so every
  epoch; a replay would do it once.

`PurityWatch` looks at each function that runs while the first graph is built and, for the first
one that may do either, says which and where; training then rebuilds the graph every epoch. The
engine's own operators are trusted (they read ``.data`` to compute, never to choose what to
build), and the engine's stock model and losses are not watched at all.

This judges the code, not what it did at run time: code that reads ``.data`` only to log it is
rebuilt too. It does not see what the code does not show: ``getattr(v, name)`` with a computed
name, or randomness drawn through a module (``random.random()``).
"""

from __future__ import annotations

import builtins
import dis
import gc
import sys
from pathlib import Path
from types import BuiltinFunctionType, CodeType, FrameType, FunctionType, ModuleType
from typing import Any

from engine import ops, value
from engine.losses import LOSSES
from engine.nn import MLP, Layer, Module, Neuron

NUMBER_NAMES = frozenset({"data", "grad"})
SIDE_EFFECT_BUILTINS = frozenset({"print", "input", "open", "exec", "eval", "setattr", "delattr", "breakpoint"})
_OPERATOR_FILES = frozenset({value.__file__, ops.__file__})
_ENGINE_DIRECTORY = str(Path(value.__file__).parent)
_REPR = value.Value.__repr__.__code__
_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset, range)
_STATELESS = (*_IMMUTABLE, ModuleType, FunctionType, type)  # a name from outside that carries no state


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


class PurityWatch:
    """``with PurityWatch() as watch: build the graph``; then `watch.found` says which code may
    peek at the numbers or keep state, and why (None: none). Watches this thread only."""

    def __init__(self) -> None:
        self.found: str | None = None
        self._judged: set[CodeType] = set()
        self._previous: Any = None
        self._collecting = False

    def __enter__(self) -> PurityWatch:
        self._previous = sys.gettrace()  # a debugger's or coverage's tracer keeps working through ours
        # A collection runs gc.callbacks (a profiler's, hypothesis') on whichever thread allocates:
        # with the collector off for the one forward pass watched, none is judged as the loss's code.
        self._collecting = gc.isenabled()
        gc.disable()
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc_info: object) -> None:
        sys.settrace(self._previous)
        if self._collecting:
            gc.enable()

    def _on_call(self, frame: FrameType, event: str, arg: object) -> Any:
        code = frame.f_code
        if code not in self._judged:
            self._judged.add(code)
            if self.found is None:
                try:
                    self.found = judge(code, frame)
                except Exception as error:  # unexpected bytecode, say: do not guess, rebuild
                    self.found = f"{code.co_qualname} could not be checked ({error!r})"
        return None if self._previous is None else self._previous(frame, event, arg)


def judge(code: CodeType, frame: FrameType) -> str | None:
    """Why `code` (running in `frame`) may not be replayed from a tape, or None."""
    if code is _REPR:  # printed or formatted: whoever did it saw the numbers
        caller = frame.f_back
        where = f"{caller.f_code.co_qualname} ({Path(caller.f_code.co_filename).name}:{caller.f_lineno})"
        return f"{where} shows a Value (its repr has .data), so the graph may change with the numbers"
    if code.co_filename in _OPERATOR_FILES:
        return None
    # The engine's own code keeps no state across epochs; it is asked only whether it reads numbers
    # (as `MLP.predict` does, should a loss call it).
    numbers_only = str(Path(code.co_filename).parent) == _ENGINE_DIRECTORY
    for instruction in dis.get_instructions(code):
        why = _judge_instruction(instruction.opname, instruction.argval, code, frame, numbers_only)
        if why is not None:
            line = (instruction.positions and instruction.positions.lineno) or code.co_firstlineno
            return f"{code.co_qualname} ({Path(code.co_filename).name}:{line}) {why}"
    return None


def _judge_instruction(opname: str, name: object, code: CodeType, frame: FrameType, numbers_only: bool) -> str | None:
    if name in NUMBER_NAMES and opname in ("LOAD_ATTR", "LOAD_METHOD", "LOAD_CONST"):  # v.data, getattr(v, "data")
        return f"reads .{name}, so the graph may change with the numbers"
    if numbers_only:
        return None
    if opname in ("STORE_GLOBAL", "DELETE_GLOBAL"):
        return f"assigns the global {name}, so it must run every epoch"
    if opname in ("STORE_DEREF", "DELETE_DEREF") and name in code.co_freevars:
        return f"assigns the nonlocal {name}, so it must run every epoch"
    if opname in ("STORE_ATTR", "DELETE_ATTR") and name != "label":  # labels are for the debugger's eyes
        return f"sets .{name}, so it must run every epoch"
    if opname == "LOAD_GLOBAL":
        return _judge_outside_name(name, frame.f_globals)
    if opname == "LOAD_DEREF" and name in code.co_freevars:
        return _judge_outside_name(name, frame.f_locals)
    return None


def _judge_outside_name(name: object, namespace: dict) -> str | None:
    """A name from outside the function: harmless if it cannot carry state from call to call."""
    if name in namespace:
        thing = namespace[name]
    elif hasattr(builtins, str(name)):
        return f"calls {name}(), so it must run every epoch" if name in SIDE_EFFECT_BUILTINS else None
    else:
        return None
    if isinstance(thing, _STATELESS):
        return None
    if isinstance(thing, BuiltinFunctionType) and (thing.__self__ is None or isinstance(thing.__self__, ModuleType)):
        return None  # math.exp, len: functions, not a bound list.append
    return f"uses the {type(thing).__name__} {name} from outside, so it must run every epoch"
