"""Replaying a `Tape`: the forward and backward pass of a recorded loss graph for today's weights.

`new_replay(tape, "python")` runs on plain lists and the standard library; `new_replay(tape, "numpy")` runs
the very same instructions with numpy (see `engine.replay_numpy`). Either gives the floats a real
graph gives, bit for bit: each group of the tape is one C-level loop (`map`, `reduce`,
`itemgetter`, or a numpy expression) doing the engine's operations in the engine's order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from functools import reduce
from itertools import repeat
from operator import add, attrgetter, gt, itemgetter, mul, sub
from typing import Protocol

from engine.ops import RELU, SIGMOID, TANH, Op
from engine.tape import Apply, Fold, Gather, Local, Tape

Slots = Callable[[Sequence[float]], tuple[float, ...]]
_data = attrgetter("data")


class Replay(Protocol):
    """What a trainer needs of a replay, whichever runs it."""

    kind: str  # "python" or "numpy"
    tape: Tape

    def forward(self) -> tuple[float, tuple[float, ...]]:
        """The loss and the scores for the parameters' current `.data`."""
        ...

    def backward(self, starts: Sequence[float] | None = None) -> list[float]:
        """d loss / d parameter for each entry of the trainer's parameter list (after `forward`),
        added to `starts` (each of `tape.parameters`' grad before backward; None: all 0.0)."""
        ...


def new_replay(tape: Tape, kind: str = "auto") -> Replay:
    """A replay of `tape`: ``"python"``, ``"numpy"``, or ``"auto"`` (numpy if it is installed and
    the tape's numbers are plain floats, else Python)."""
    if kind not in ("auto", "python", "numpy"):
        raise ValueError(f"replay kind must be auto, python or numpy, got {kind!r}")
    if kind != "python":
        try:
            from engine.replay_numpy import NumpyReplay
        except ImportError:
            if kind == "numpy":
                raise
        else:
            if kind == "numpy" or tape.plain_numbers:
                return NumpyReplay(tape)
    return PythonReplay(tape)


def gather(slots: Sequence[int]) -> Slots:
    """``gather(slots)(values)``: the values at those slots, as a tuple, in one C call."""
    if len(slots) == 1:
        (slot,) = slots
        return lambda values: (values[slot],)
    return itemgetter(*slots)


# The local derivatives of the common ops, over whole groups: the very expressions of engine.ops
# (`float(out > 0)`, `1 - out**2`, `out * (1 - out)`), applied by map instead of one call per node.
_LOCALS: dict[Op, Callable[[tuple, tuple, int], object]] = {
    RELU: lambda outs, _, n: map(float, map(gt, outs, repeat(0, n))),
    TANH: lambda outs, _, n: map(sub, repeat(1, n), map(pow, outs, repeat(2, n))),
    SIGMOID: lambda outs, _, n: map(mul, outs, map(sub, repeat(1, n), outs)),
}


def _local_of(op: Op) -> Callable[[tuple, tuple, int], object]:
    for known, local_of_group in _LOCALS.items():
        if op is known:  # by identity: an Op is a str, and only the table's own instances qualify
            return local_of_group
    local = op.local
    return lambda outs, operands, n: map(lambda o, a: local(o, a)[0], outs, operands)


class PythonReplay:
    """The tape on Python lists: a value list and a grad list, refilled group by group."""

    kind = "python"

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        self.values: list = [None] * tape.value_size
        self.values[tape.one] = 1  # t·1 is t, for an int t as for a float
        for slot, number in tape.constants.items():
            self.values[slot] = number
        self.grads: list[float] = [0.0] * tape.grad_size
        self.grads[0] = 1.0  # Value.backward: the loss's own grad
        self._starts = tape.parameter_starts
        self._zeros = [0.0] * len(tape.parameter_starts)
        self._parameters = tape.parameter_values
        self._forward = [self._compile_forward(group) for group in tape.forward]
        self._locals = [self._compile_local(group) for group in tape.locals]
        self._backward = [self._compile_backward(group) for group in tape.backward]
        self._scores = gather(tape.scores) if tape.scores else (lambda values: ())
        self._parameter_grads = gather(tape.parameter_grads) if tape.parameter_grads else (lambda grads: ())

    # --- one epoch -----------------------------------------------------------------------------

    def forward(self) -> tuple[float, tuple[float, ...]]:
        """The loss and the scores for the parameters' current `.data`."""
        values = self.values
        values[self._parameters.start : self._parameters.stop] = map(_data, self.tape.parameters)
        for step in self._forward:
            step(values)
        return values[self.tape.loss], self._scores(values)

    def backward(self, starts: Sequence[float] | None = None) -> list[float]:
        """d loss / d parameter for each entry of the trainer's parameter list (after `forward`),
        added to `starts` (each of `tape.parameters`' grad before backward; None: all 0.0)."""
        values, grads = self.values, self.grads
        grads[self._starts.start : self._starts.stop] = self._zeros if starts is None else starts
        if self.tape.differentiable:
            for step in self._locals:
                step(values)
            for step in self._backward:
                step(values, grads)
        return list(self._parameter_grads(grads))

    # --- compiling each group into one C-level loop -----------------------------------------------

    @staticmethod
    def _compile_forward(group: Fold | Apply) -> Callable[[list], None]:
        out, stop = group.out, group.out + group.count
        if isinstance(group, Apply):
            forward, operands = group.op.forward, gather(group.a)

            def apply(values: list) -> None:
                values[out:stop] = map(forward, operands(values))

            return apply
        fold = compile_fold(group.a, group.b, group.count, group.width, from_zero=False)

        def sums(values: list) -> None:
            values[out:stop] = fold(values, values)

        return sums

    @staticmethod
    def _compile_local(group: Local) -> Callable[[list], None]:
        out, stop, count = group.out, group.out + group.count, group.count
        outputs, operands, local = gather(group.o), gather(group.a), _local_of(group.op)

        def derivative(values: list) -> None:
            values[out:stop] = local(outputs(values), operands(values), count)

        return derivative

    @staticmethod
    def _compile_backward(group: Gather) -> Callable[[list, list], None]:
        out, stop = group.out, group.out + group.count
        start = None if group.start is None else gather(group.start)
        fold = compile_fold(group.local, group.grad, group.count, group.width, from_zero=True, start=start)

        def accumulate(values: list, grads: list) -> None:
            grads[out:stop] = fold(values, grads)

        return accumulate


NARROW = 8  # folds up to this wide run column by column; wider ones row by row (measured faster)

Fold2 = Callable[[Sequence, Sequence], Iterator]


def compile_fold(
    left: list[int], right: list[int], count: int, width: int, from_zero: bool, start: Slots | None = None
) -> Fold2:
    """``fold(xs, ys)``: for each of `count` rows, ``xs[l0]·ys[r0] + xs[l1]·ys[r1] + ...`` over
    `width` terms, added from the left — after ``0.0 +`` if `from_zero` (how a grad starts), or
    after ``ys[s] +`` for the row's slot s in `start` (a parameter's grad before backward).
    `left` and `right` list the slots row after row."""
    if width <= NARROW:
        columns = [(gather(left[j::width]), gather(right[j::width])) for j in range(width)]
        (first_left, first_right), rest = columns[0], columns[1:]

        def by_columns(xs: Sequence, ys: Sequence) -> Iterator:
            total = map(mul, first_left(xs), first_right(ys))
            if start is not None:
                total = map(add, start(ys), total)
            elif from_zero:
                total = map(add, repeat(0.0, count), total)
            for column_left, column_right in rest:
                total = map(add, total, map(mul, column_left(xs), column_right(ys)))
            return total

        return by_columns
    lefts, rights = gather(left), gather(right)

    def by_rows(xs: Sequence, ys: Sequence) -> Iterator:
        products = map(mul, lefts(xs), rights(ys))
        rows = zip(*[products] * width)  # consecutive `width` products: one row each
        if start is not None:
            return map(reduce, repeat(add, count), rows, start(ys))
        if from_zero:
            return map(reduce, repeat(add, count), rows, repeat(0.0, count))
        return map(reduce, repeat(add, count), rows)

    return by_rows


def same_number(x: float, y: float) -> bool:
    """`x` and `y` are the same float: equal with the same sign of zero, or both NaN."""
    if x != x:
        return y != y
    return x == y and (x != 0 or math.copysign(1.0, x) == math.copysign(1.0, y))
