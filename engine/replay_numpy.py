"""The tape replayed with numpy (the optional ``fast`` extra): the same groups as `PythonReplay`,
each one numpy expression over a whole level of the graph.

Bit for bit what Python computes, because only what IEEE 754 fixes exactly is left to numpy: one
multiply or one add per element (no fused multiply-add, no reordering). Folds go left to right
through `numpy.add.accumulate`, which adds each column to the running sum of the ones before it
(never pairwise, as `numpy.sum` does). Everything else goes through the engine's own functions on
Python floats: numpy's tanh differs from `math.tanh` by up to 3 ulp on about a quarter of
inputs, and `numpy.power` computes ``x**2`` as ``x*x``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat

import numpy as np

from engine.ops import RELU, SIGMOID, TANH, Op
from engine.tape import Apply, Fold, Gather, Local, Tape


def _relu(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0, 0.0, x)  # `0.0 if a < 0 else a`: -0.0 and NaN pass through, as there


def _relu_local(outs: np.ndarray, _: np.ndarray) -> np.ndarray:
    return (outs > 0).astype(float)  # float(out > 0)


def _tanh_local(outs: np.ndarray, _: np.ndarray) -> np.ndarray:
    return 1.0 - np.array(list(map(pow, outs.tolist(), repeat(2))))  # 1 - out**2, with Python's **


def _sigmoid_local(outs: np.ndarray, _: np.ndarray) -> np.ndarray:
    return outs * (1.0 - outs)  # out * (1 - out)


_FORWARD: dict[Op, Callable[[np.ndarray], np.ndarray]] = {RELU: _relu}
_LOCALS: dict[Op, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    RELU: _relu_local,
    TANH: _tanh_local,
    SIGMOID: _sigmoid_local,
}


def _table_entry(table: dict, op: Op):
    for known, function in table.items():
        if op is known:  # by identity: an Op is a str, and only the table's own instances qualify
            return function
    return None


def _forward_of(op: Op) -> Callable[[np.ndarray], np.ndarray]:
    vectorised = _table_entry(_FORWARD, op)
    if vectorised is not None:
        return vectorised
    forward = op.forward
    return lambda x: np.array(list(map(forward, x.tolist())), dtype=float)


def _local_of(op: Op) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    vectorised = _table_entry(_LOCALS, op)
    if vectorised is not None:
        return vectorised
    local = op.local
    return lambda outs, xs: np.array([local(o, a)[0] for o, a in zip(outs.tolist(), xs.tolist())], dtype=float)


def _indices(slots: list[int], count: int, width: int | None = None) -> np.ndarray:
    array = np.array(slots, dtype=np.intp)
    return array if width is None else array.reshape(count, width)


class NumpyReplay:
    """The tape on two float64 arrays, values and grads, refilled group by group."""

    kind = "numpy"

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        self.values = np.zeros(tape.value_size)
        self.values[tape.one] = 1.0
        for slot, number in tape.constants.items():
            self.values[slot] = number
        self.grads = np.zeros(tape.grad_size)
        self.grads[0] = 1.0  # Value.backward: the loss's own grad
        self._forward = [self._compile_forward(group) for group in tape.forward]
        self._locals = [self._compile_local(group) for group in tape.locals]
        self._backward = [self._compile_backward(group) for group in tape.backward]
        self._scores = _indices(tape.scores, len(tape.scores))
        self._parameter_grads = _indices(tape.parameter_grads, len(tape.parameter_grads))

    def forward(self) -> tuple[float, tuple[float, ...]]:
        """The loss and the scores for the parameters' current `.data`."""
        values = self.values
        values[self.tape.parameter_values.start : self.tape.parameter_values.stop] = [
            p.data for p in self.tape.parameters
        ]
        with np.errstate(all="ignore"):  # inf and NaN are numbers here, as in Python; no warnings
            for step in self._forward:
                step(values)
        return float(values[self.tape.loss]), tuple(values[self._scores].tolist())

    def backward(self, starts: Sequence[float] | None = None) -> list[float]:
        """d loss / d parameter for each entry of the trainer's parameter list (after `forward`),
        added to `starts` (each of `tape.parameters`' grad before backward; None: all 0.0)."""
        values, grads = self.values, self.grads
        first, stop = self.tape.parameter_starts.start, self.tape.parameter_starts.stop
        grads[first:stop] = 0.0 if starts is None else starts
        if self.tape.differentiable:
            with np.errstate(all="ignore"):
                for step in self._locals:
                    step(values)
                for step in self._backward:
                    step(values, grads)
        return grads[self._parameter_grads].tolist()

    # --- compiling each group into one numpy expression -------------------------------------------

    @staticmethod
    def _compile_forward(group: Fold | Apply) -> Callable[[np.ndarray], None]:
        out, stop = group.out, group.out + group.count
        if isinstance(group, Apply):
            forward, operands = _forward_of(group.op), _indices(group.a, group.count)

            def apply(values: np.ndarray) -> None:
                values[out:stop] = forward(values[operands])

            return apply
        a, b = _indices(group.a, group.count, group.width), _indices(group.b, group.count, group.width)

        def fold(values: np.ndarray) -> None:
            products = values[a] * values[b]
            np.add.accumulate(products, axis=1, out=products)  # left to right: ((p0 + p1) + p2) + ...
            values[out:stop] = products[:, -1]

        return fold

    @staticmethod
    def _compile_local(group: Local) -> Callable[[np.ndarray], None]:
        out, stop = group.out, group.out + group.count
        outputs, operands, local = _indices(group.o, group.count), _indices(group.a, group.count), _local_of(group.op)

        def derivative(values: np.ndarray) -> None:
            values[out:stop] = local(values[outputs], values[operands])

        return derivative

    @staticmethod
    def _compile_backward(group: Gather) -> Callable[[np.ndarray, np.ndarray], None]:
        out, stop = group.out, group.out + group.count
        local, grad = _indices(group.local, group.count, group.width), _indices(group.grad, group.count, group.width)
        if group.start is not None:
            start = _indices(group.start, group.count)

            def accumulate_onto(values: np.ndarray, grads: np.ndarray) -> None:
                products = values[local] * grads[grad]
                products[:, 0] = grads[start] + products[:, 0]  # a parameter's grad before backward, first
                np.add.accumulate(products, axis=1, out=products)
                grads[out:stop] = products[:, -1]

            return accumulate_onto

        def accumulate(values: np.ndarray, grads: np.ndarray) -> None:
            products = values[local] * grads[grad]
            products[:, 0] += 0.0  # a grad starts at +0.0: 0.0 + (-0.0) is +0.0
            np.add.accumulate(products, axis=1, out=products)
            grads[out:stop] = products[:, -1]

        return accumulate
