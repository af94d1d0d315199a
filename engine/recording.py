"""A pass over a graph, recorded once as flat arrays: every value, and every write to a grad.

Two recorders fill the same `Recording`, and the timeline (`engine.stepping`) does not care which:

- `record_engine_pass` computes the pass of an engine graph from the op table (`engine.ops`);
- `engine.observe.record_observed_pass` runs a learner's own ``_backward`` closures and writes down
  what they did, judging each step against the same op table.

Nodes are numbered by their place in the topological order (leaves included). The backward pass is
a list of *edges*, one per write to a grad, in the order the writes happened: edge e set the grad of
``edge_operand[e]`` from ``edge_before[e]`` to ``edge_after[e]``. The writes of backward step k are
the edges from ``edge_start[node of step k]`` to those of the next step, so replaying or undoing a
step is a copy of a few recorded numbers, whoever made them.
"""

from __future__ import annotations

import gc
import math
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from engine.ops import Op
from engine.text import label_text
from engine.value import Value, topological_order


@dataclass(frozen=True)
class Finding:
    """A step of the learner's own code that disagrees with the chain rule, in their words."""

    step: int
    node: int  # the node whose step it is
    kind: str  # a key of KINDS
    message: str  # one line, with both numbers
    operand: int | None = None  # the node whose grad (or value) came out wrong
    expected: float | None = None
    got: float | None = None
    where: str = ""  # file:line of the learner's code that made the step, when known


KINDS = {
    "overwrote": "overwrote instead of accumulating",
    "local": "wrong local derivative",
    "no_flow": "no gradient flowed",
    "stray": "changed a node that is not an operand",
    "forward": "forward value does not follow from the operands",
    "raised": "_backward raised an exception",
    "not_a_number": "a grad that is not a number",
}


@dataclass
class Recording:
    """What a recorder saw; see the module docstring for the edges."""

    nodes: list
    labels: list[str]
    operands: list[tuple[int, ...]]
    ops: list[Op]
    computed: list[int]  # the nodes with operands, in topological order: one forward step each
    values: array  # every node's value (the leaves' data, the computed nodes' results)
    grads: array  # every grad at the end of the pass
    first_touch: array  # step of the first write to each grad (-1: never written)
    last_touch: array  # step of the last write to each grad
    edge_start: array  # node -> its backward step's first edge (-1 for a leaf)
    edge_operand: array
    edge_local: array  # the local derivative the write applied (nan where unknown)
    edge_before: array
    edge_after: array
    edge_first: bytearray  # 1: the first write to that grad in the pass (it was not computed before)
    edge_slot: array | None = None  # operand slot each write belongs to, -1 for none (None: slot = order)
    upstream: array | None = None  # each node's grad when its backward step ran (None: its final grad)
    findings: dict[int, tuple[Finding, ...]] = field(default_factory=dict)
    observed: bool = False  # True: the numbers are what the learner's own code did

    @property
    def seed_step(self) -> int:
        return len(self.computed)

    @cached_property
    def names(self) -> NodeNames:
        return NodeNames(self.labels, self.operands, self.nodes, self.values, self.observed)


class NodeNames:
    """What each node is called in the step texts, the tree and the list.

    Its label; a leaf without one (a number the scenario wrote as a literal, ``2 * n``, which the
    operator wraps in a Value) by its value, as it was written; any other unlabelled node by its
    place in the topological order, ``#12``. Names are made on first use: a graph of 100,000
    nodes opens without naming them all.

    A learner's own class (micrograd's, say) often labels nothing, so there every leaf is
    unlabelled, inputs and weights too: only a whole number reads as a literal (``2 * x`` wraps
    the int 2), and a float leaf keeps its ``#id`` — two weights of 0.5 must not share a name.
    """

    def __init__(
        self, labels: list[str], operands: list[tuple[int, ...]], nodes: list, values, observed: bool = False
    ) -> None:
        self.labels, self.operands, self.nodes, self.values = labels, operands, nodes, values
        self.observed = observed
        self._made: dict[int, str] = {}

    def __getitem__(self, node: int) -> str:
        label = self.labels[node]
        if label:
            return label
        name = self._made.get(node)
        if name is None:
            if self.is_constant(node):
                name = constant_text(getattr(self.nodes[node], "data", None), self.values[node])
            else:
                name = f"#{node}"
            self._made[node] = name
        return name

    def symbol(self, node: int) -> str:
        """The name as an operand in a formula: ``(x1*w1 + x2*w2)``, ``(-1)`` keep the arithmetic readable."""
        name = self[node]
        return name if is_atom(name) else f"({name})"

    def grad(self, node: int) -> str:
        """``a.grad``, ``(x1*w1 + x2*w2).grad``; a literal's in parentheses, ``(2).grad``, not ``2.grad``."""
        return f"({self[node]}).grad" if self.is_constant(node) else f"{self.symbol(node)}.grad"

    def is_constant(self, node: int) -> bool:
        """An unlabelled leaf: a number written into the scenario's code, not a variable of it."""
        if self.labels[node] or self.operands[node]:
            return False
        return not self.observed or type(getattr(self.nodes[node], "data", None)) is int


def constant_text(data: object, value: float) -> str:
    """A literal as the scenario wrote it: ``2`` for the int 2, ``0.01``, ``-1.0``; long floats to 6 digits."""
    if type(data) is int and data == value:
        return str(data)
    text = repr(value)
    return text if len(text) <= 10 else format_number(value)


def is_atom(text: str) -> bool:
    return all(ch.isalnum() or ch in "#._[]" for ch in text)


def chain_rule_text(
    names: NodeNames, node: int, operands: tuple[int, ...], op: Op, slot: int, local: float, upstream: float
) -> str:
    """One contribution as the lecture writes it: ``a.grad += b · e.grad = -3.0 · -2.0 = 6.0``."""
    local_text = local_derivative_text(names, node, operands, op, slot)
    local_text = local_text if is_atom(local_text) else f"({local_text})"
    return (
        f"{names.grad(operands[slot])} += {local_text} · {names.grad(node)}"
        f" = {format_number(local)} · {format_number(upstream)} = {format_number(local * upstream)}"
    )


def local_derivative_text(names: NodeNames, node: int, operands: tuple[int, ...], op: Op, slot: int) -> str:
    """d node / d operand `slot` symbolically, in the nodes' names: ``1 − o²``, ``b``, ``2·x``."""
    return op.local_text[slot].format(*(names.symbol(o) for o in operands), out=names.symbol(node))


def format_number(x: float | None) -> str:
    """Numbers as the step texts show them: ``2.0``, ``-6.0``, ``0.707107``, ``nan``."""
    if x is None:
        return "?"
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return f"{x:.1f}"
    text = f"{x:.6g}"
    if math.isfinite(x) and not any(c in text for c in ".e"):
        if abs(x - round(x)) <= 1e-9 * abs(x):  # float noise, as in 0.9999999999999996: say 1.0
            return f"{round(x)}.0"
        return repr(x)  # 2.0000001 would round to "2": never let an inexact number look exact
    return text


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cycle collection while a pass (or a training tape) is recorded: recording allocates some
    100,000 small lists and tuples while the whole graph is alive, and the collections they would
    set off walk that graph again and again though the recording makes no cyclic garbage (measured:
    a fifth of a tape's recording on moons; more for a learner's graph, whose closures put every
    node in a reference cycle)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- the engine's own pass ------------------------------------------------------------------------


def record_engine_pass(output: Value) -> Recording:
    """The pass of an engine graph, computed once from the op table."""
    nodes = topological_order(output)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    operands: list[tuple[int, ...]] = [()] * n
    ops: list[Op] = [node._op for node in nodes]
    computed: list[int] = []
    values = array("d", bytes(8 * n))
    for i, node in enumerate(nodes):
        a = node._a
        if a is None:
            try:
                values[i] = node.data
            except TypeError:  # Value("2"), Value(None): say which leaf, and what it holds instead
                from engine.foreign import describe

                raise TypeError(f"{describe(node)}: data must be a number, got {type(node.data).__name__}") from None
            continue
        computed.append(i)
        b = node._b
        if b is None:
            ia = index[a]
            operands[i] = (ia,)
            values[i] = ops[i].forward(values[ia])
        else:
            ia, ib = index[a], index[b]
            operands[i] = (ia, ib)
            values[i] = ops[i].forward(values[ia], values[ib])
    labels = [label_text(node.label) for node in nodes]  # shown on a terminal: one printable line each
    return _record_engine_backward(nodes, labels, operands, ops, computed, values)


def _record_engine_backward(nodes, labels, operands_of, ops, computed, values) -> Recording:
    """Run the backward pass once, keeping each write's local derivative and grads."""
    n = len(nodes)
    grads = array("d", bytes(8 * n))
    first = array("l", [-1]) * n
    last = array("l", [-1]) * n
    edge_start = array("l", [-1]) * n
    edge_local, edge_before, edge_after, edge_operand = [], [], [], []
    edge_first = bytearray()
    add_local, add_before, add_after, add_operand, add_first = (
        edge_local.append,
        edge_before.append,
        edge_after.append,
        edge_operand.append,
        edge_first.append,
    )
    seed = len(computed)
    output = n - 1
    grads[output] = 1.0
    first[output] = last[output] = seed
    step, e = seed, 0
    for i in reversed(computed):
        step += 1
        operands = operands_of[i]
        upstream = grads[i]
        edge_start[i] = e
        if len(operands) == 2:
            a, b = operands
            local_a, local_b = ops[i].local(values[i], values[a], values[b])
            pairs = ((a, local_a), (b, local_b))
        else:
            pairs = zip(operands, ops[i].local(values[i], *(values[o] for o in operands)))
        for operand, local in pairs:
            before = grads[operand]
            after = before + local * upstream
            grads[operand] = after
            add_local(local)
            add_before(before)
            add_after(after)
            add_operand(operand)
            e += 1
            if first[operand] < 0:
                first[operand] = step
                add_first(1)
            else:
                add_first(0)
            last[operand] = step
    return Recording(
        nodes=nodes,
        labels=labels,
        operands=operands_of,
        ops=ops,
        computed=computed,
        values=values,
        grads=grads,
        first_touch=first,
        last_touch=last,
        edge_start=edge_start,
        edge_operand=array("l", edge_operand),
        edge_local=array("d", edge_local),
        edge_before=array("d", edge_before),
        edge_after=array("d", edge_after),
        edge_first=edge_first,
    )
