"""Graphs of a learner's own `Value` class: anything with ``data``, ``grad``, ``_prev``, ``_op``, ``_backward``.

People who follow the lecture write their own class, and micrograd's own `Value` is one too. Neither
keeps its operands in order: ``_prev`` is a `set`, iterated in the order of the objects' addresses,
which changes from run to run. mgtui needs the operand order (``a - b`` is not ``b - a``, the tree
draws ``a`` before ``b``), the same on every run of the same file, so it reads it where the class
keeps it after all: the ``_backward`` closure, whose ``self`` is the first operand and ``other`` the
second, exactly as micrograd's and the lecture's operators name them.

Nothing here writes to the learner's objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Real

from engine.ops import LEAF, Op, op_named, unknown_op
from engine.text import label_text

VALUE_ATTRIBUTES = ("data", "grad", "_prev", "_op", "_backward")


def missing_attributes(candidate: object) -> list[str]:
    """The micrograd attributes `candidate` lacks (empty: it can be stepped like a Value)."""
    return [name for name in VALUE_ATTRIBUTES if not hasattr(candidate, name)]


def is_value_like(candidate: object) -> bool:
    return not missing_attributes(candidate)


class GraphError(ValueError):
    """A graph that cannot be walked: not Value-like, a non-number, a cycle."""


@dataclass
class GraphShape:
    """A graph in topological order, whatever class its nodes are: node i's operands are indices."""

    nodes: list
    operands: list[tuple[int, ...]]
    ops: list[Op]
    labels: list[str]
    index: dict[int, int]  # id(node) -> its place in `nodes`

    @property
    def output_index(self) -> int:
        return len(self.nodes) - 1

    def signature(self) -> tuple:
        """What two recordings of the same file share when only the numbers differ."""
        return tuple(self.operands), tuple(str(op) for op in self.ops), tuple(self.labels)


def describe(node: object) -> str:
    """A node as an error message names it: its label, else its op and data (printable either way)."""
    label = label_of(node)
    if label:
        return label
    op = label_text(getattr(node, "_op", ""))
    data = getattr(node, "data", "?")
    shown = label_text(repr(data) if isinstance(data, Real) else data)
    return f"{type(node).__name__}(data={shown}{f', op={op!r}' if op else ''})"


def label_of(node: object) -> str:
    """A node's label as one printable line, or '' (none, or a label property of theirs that raises)."""
    try:
        label = getattr(node, "label", "")
    except Exception:  # a property of the learner's that raises: the node is unlabelled
        return ""
    return label_text(label)


def number(node: object) -> float:
    """The node's data as a float, or a `GraphError` saying what it is instead."""
    data = node.data
    if isinstance(data, bool) or not isinstance(data, Real):
        try:
            return float(data)  # numpy scalars and the like
        except (TypeError, ValueError):
            raise GraphError(f"{describe(node)}: data must be a number, got {type(data).__name__}") from None
    return float(data)


class OperandOrder:
    """`node`'s operands in operand order, duplicates included (``a*a`` has ``a`` twice).

    Called once per node of graphs of tens of thousands, so where the closure keeps ``self`` and
    ``other`` is looked up once per code object (every ``a*b`` of a class shares one).
    """

    def __init__(self) -> None:
        self._slots: dict[object, tuple[int, int] | None] = {}
        self._binary: dict[object, bool] = {}

    def __call__(self, node: object) -> tuple:
        children = node._prev
        kind = type(children)
        if kind is tuple:
            return children
        if kind is list:
            return tuple(children)
        if kind is not set and kind is not frozenset and not isinstance(children, Iterable):
            raise GraphError(
                f"{describe(node)}: _prev must be a set, tuple or list of Values, got {type(children).__name__}"
            )
        count = len(children)
        if count == 0:
            return ()
        if count == 1:  # a*a keeps a once in its set, but the op uses it twice
            (only,) = children
            return (only, only) if self._is_binary(node._op) else (only,)
        if count == 2:
            pair = self.self_and_other(node._backward)
            if pair is not None:
                a, b = pair
                x, y = children
                if (a is x and b is y) or (a is y and b is x):
                    return pair
        return _ordered_by_closure(node, list(children))

    def self_and_other(self, backward: object) -> tuple | None:
        """What a closure keeps as ``self`` and ``other`` (None if it keeps no such pair)."""
        cells = getattr(backward, "__closure__", None)
        if not cells:
            return None
        code = backward.__code__
        slots = self._slots.get(code, False)
        if slots is False:
            slots = self._slots[code] = _self_and_other_slots(code)
        if slots is None:
            return None
        try:
            return cells[slots[0]].cell_contents, cells[slots[1]].cell_contents
        except ValueError:  # an empty cell
            return None

    def _is_binary(self, symbol: object) -> bool:
        binary = self._binary.get(symbol)
        if binary is None:
            try:
                binary = op_named(str(symbol)).arity == 2
            except ValueError:
                binary = False
            self._binary[symbol] = binary
        return binary


def _ordered_by_closure(node: object, members: list) -> tuple:
    """The general case: ``self``, ``other``, then whatever else the closure names, in its order;
    members it does not name last, in an order that does not depend on memory addresses."""
    ids = {id(m) for m in members}
    named = _closure_values(node._backward)
    candidates = (named.pop("self", None), named.pop("other", None), *named.values())
    ordered: list = []
    seen: set[int] = set()
    for value in candidates:
        if value is not None and id(value) in ids and id(value) not in seen:
            ordered.append(value)
            seen.add(id(value))
    rest = sorted((m for m in members if id(m) not in seen), key=_stable_key)
    return tuple(ordered + rest)


def _closure_values(function: object) -> dict[str, object]:
    """The objects a ``_backward`` closure (or a bound method's closure) holds, by variable name."""
    function = getattr(function, "__func__", function)
    code, cells = getattr(function, "__code__", None), getattr(function, "__closure__", None)
    if code is None or not cells:
        return {}
    values = {}
    for name, cell in zip(code.co_freevars, cells):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return values


def _stable_key(node: object) -> tuple:
    """An order that does not depend on where objects live in memory (ties stay in set order)."""
    data = getattr(node, "data", 0)
    return (label_of(node), str(getattr(node, "_op", "")), repr(data))


ENTERED = -1  # a walk's mark for a node whose operands are being walked (placed nodes hold their index)


def walk(root: object) -> GraphShape:
    """Every node `root` depends on, operands before the nodes that use them, `root` last.

    Depth first with operands in operand order, like micrograd's ``build_topo``, but with an explicit
    stack (no recursion limit) and without marking the learner's objects. A cycle, which no forward
    pass can build but mutating ``_prev`` can, is refused with the nodes on it.
    """
    try:
        return _walk(root)
    except AttributeError as error:
        _find_non_value(root)  # name the node that is not a Value, if that is what went missing
        raise GraphError(f"cannot walk the graph: {error}") from None


def _walk(root: object) -> GraphShape:
    """The walk itself, written for graphs of tens of thousands of nodes: every name local, the
    common operand order (a closure's ``self`` and ``other`` over a set of two) inlined."""
    ordered = OperandOrder()
    slots = ordered._slots  # per closure code object: where self and other are (one cache for both paths)
    order: list = []
    operands_of: list[tuple[int, ...]] = []
    state: dict[int, int] = {}  # id(node) -> ENTERED (operands pushed), or its index once placed
    stack = [root]
    entered: list[tuple] = []  # the operands of each entered node: they leave in the order they came
    push, pop, place, place_operands = stack.append, stack.pop, order.append, operands_of.append
    enter, leave = entered.append, entered.pop
    get, slots_get = state.get, slots.get
    while stack:
        node = stack[-1]
        key = id(node)
        mark = get(key)
        if mark is None:
            state[key] = ENTERED
            operands = None
            children = node._prev
            if type(children) is set and len(children) == 2:
                backward = node._backward
                cells = getattr(backward, "__closure__", None)
                if cells:
                    code = backward.__code__
                    where = slots_get(code, False)
                    if where is False:
                        where = slots[code] = _self_and_other_slots(code)
                    if where is not None:
                        try:
                            a, b = cells[where[0]].cell_contents, cells[where[1]].cell_contents
                        except ValueError:  # an empty cell: the general path says what it can
                            a = b = None
                        x, y = children
                        if (a is x and b is y) or (a is y and b is x):
                            operands = (a, b)
            if operands is None:
                operands = ordered(node)
            enter(operands)
            for operand in reversed(operands):
                operand_mark = get(id(operand))
                if operand_mark is None:
                    push(operand)
                elif operand_mark == ENTERED:
                    raise GraphError(_cycle_message(operand, node, ordered))
        else:
            pop()
            if mark == ENTERED:
                operands = leave()
                if len(operands) == 2:
                    a, b = operands
                    place_operands((state[id(a)], state[id(b)]))
                elif operands:
                    place_operands(tuple([state[id(o)] for o in operands]))
                else:
                    place_operands(())
                state[key] = len(order)
                place(node)
    return GraphShape(order, operands_of, _ops(order, operands_of), _labels(order), state)


def _self_and_other_slots(code: object) -> tuple[int, int] | None:
    """Where a closure's code keeps ``self`` and ``other`` among its cells (None: it keeps no such pair)."""
    names = code.co_freevars
    return (names.index("self"), names.index("other")) if "self" in names and "other" in names else None


def _ops(nodes: list, operands_of: list[tuple[int, ...]]) -> list[Op]:
    """Each node's op, looked up once per distinct symbol and arity."""
    keys = list(zip([node._op for node in nodes], map(len, operands_of)))
    op_of = _OpTable()
    table = {key: op_of(*key) for key in set(keys)}
    return [table[key] for key in keys]


def _labels(nodes: list) -> list[str]:
    """Each node's label, or '' (micrograd's own Value has none: its instance dict is asked, much
    cheaper than a failing getattr on each of tens of thousands of nodes); one printable line each."""
    kinds = {type(node) for node in nodes}
    if all(not hasattr(kind, "label") and kind.__dictoffset__ for kind in kinds):
        return [label_text(node.__dict__.get("label", "")) for node in nodes]
    return [label_of(node) for node in nodes]  # guarded: a label property of theirs may raise


def _find_non_value(root: object) -> None:
    """Raise a `GraphError` naming the first node (from the root) that lacks Value attributes."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        missing = missing_attributes(node)
        if missing:
            where = "" if node is root else ", an operand in the graph,"
            raise GraphError(f"{describe(node)}{where} is not a Value: it has no {', '.join(missing)}")
        for operand in node._prev:
            if id(operand) not in seen:
                seen.add(id(operand))
                stack.append(operand)


def _cycle_message(back_to: object, node: object, ordered: OperandOrder) -> str:
    """Name the nodes of the cycle: the path of operands that leads from `back_to` to `node`."""
    path = _path(back_to, node, ordered) or [back_to, node]
    names = [describe(n) for n in [*path, back_to]]
    return "the graph has a cycle: " + " → ".join(names) + " (a node is its own operand, through _prev)"


def _path(start: object, goal: object, ordered: OperandOrder) -> list | None:
    stack, seen = [(start, [start])], {id(start)}
    while stack:
        node, path = stack.pop()
        if node is goal:
            return path
        for operand in ordered(node):
            if id(operand) not in seen:
                seen.add(id(operand))
                stack.append((operand, [*path, operand]))
    return None


class _OpTable:
    """The engine's op for a node's ``_op`` string when the engine knows it, else an unknown op
    (one lookup per distinct symbol and arity)."""

    def __init__(self) -> None:
        self._ops: dict[tuple[object, int], Op] = {}

    def __call__(self, symbol: object, arity: int) -> Op:
        if arity == 0:
            return LEAF
        op = self._ops.get((symbol, arity))
        if op is None:
            text = label_text(symbol)  # the learner's own op name: shown, so printable
            try:
                op = op_named(text)
            except ValueError:
                op = unknown_op(text, arity)
            if op.arity != arity:
                op = unknown_op(text, arity)
            self._ops[(symbol, arity)] = op
        return op
