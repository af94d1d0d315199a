"""Training on a tape: record a loss graph once, then replay its numbers every epoch without Values.

Rebuilding the graph each epoch, as the lecture does, allocates every node again although only the
numbers change: same data, same model, same loss, so the same shape. `record` turns one real graph
into a `Tape`: flat lists of indices saying which numbers combine how. `engine.replay` then runs
the tape's forward and backward for today's weights, in pure Python or with numpy.

The tape must give *exactly* the floats rebuilding gives, not nearly: every loss, score and grad
`==`. Floating-point addition is not associative, so the tape keeps every operation the engine
does, in the engine's order:

- a sum is a left-to-right fold, as ``((b + w0·x0) + w1·x1) + ...`` builds it;
- every gradient contribution is one multiply, ``local · grad`` as `Value._backward` does it;
- a node's grad is the fold of its contributions from +0.0, in the order `Value.backward` applies
  them (consumers in descending topological position, first operand slot before the second) —
  a parameter's from the grad it held before backward, which is +0.0 after ``zero_grad`` and last
  epoch's grad without it (the lecture's forgotten ``zero_grad``).

Two shortcuts make the replay fast and change no float:

- Chains of sums (a neuron's ``b + Σ w·x``, a loss's ``Σ`` of terms) become one *fold* over
  (a, b) pairs: ``a0·b0 + a1·b1 + ...``; a plain term t is the pair (t, 1), since t·1 is t.
  The partial sums and products inside disappear, and so do their grads: a partial sum or a
  product that feeds only the next sum gets ``0.0 + 1.0·g``, which is g for every g a grad can
  be (a grad folded from +0.0 is never -0.0).
- Nodes that do not depend on a parameter (inputs, targets, constants) are the same every epoch:
  the tape keeps their numbers, not their graph.

Both passes are *levelled*: every fold, operation or grad in one group depends only on earlier
groups, so a group is one vector of work (one `map`, or one numpy expression), not one Python
step per node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter

from engine.ops import ADD, EXP, LEAF, MUL, Op, op_named
from engine.recording import collector_paused
from engine.value import Value, topological_order

ONE = -1  # in a pair, "times 1": the pair (t, ONE) is the plain term t


class NotRecordable(Exception):
    """This graph cannot be replayed from a tape (the message says why); rebuild it instead."""


@dataclass
class Fold:
    """`count` outputs at ``out``, each ``a[0]·b[0] + a[1]·b[1] + ...`` over `width` pairs, folded
    from the left. `a` and `b` hold value slots, row after row (count × width)."""

    out: int
    count: int
    width: int
    a: list[int]
    b: list[int]


@dataclass
class Apply:
    """`count` outputs at ``out``: ``op.forward(value[a[i]])``."""

    out: int
    count: int
    op: Op
    a: list[int]


@dataclass
class Local:
    """The local derivative of `count` nodes of one op, at ``out``: ``op.local(value[o], value[a])``."""

    out: int
    count: int
    op: Op
    o: list[int]
    a: list[int]


@dataclass
class Gather:
    """`count` grads at ``out`` (grad slots), each ``S + L0·G0 + L1·G1 + ...`` over `width`
    contributions, folded from the left: L a value slot (a local derivative), G a grad slot, and S
    0.0 — or, for a group holding parameters, the grad slot in `start` (a parameter's grad before
    backward; slot 1, always 0.0, for the others)."""

    out: int
    count: int
    width: int
    local: list[int]
    grad: list[int]
    start: list[int] | None = None


@dataclass
class Tape:
    """One loss graph as flat instructions over two lists of numbers: values and grads.

    Values: slot `one` holds 1, the parameters come next (`parameter_values` slots, in the order of
    `parameters`), then the constants, then each forward group's outputs, then local derivatives.
    Grads: slot 0 is the loss (1.0), slot 1 is always 0.0, then each parameter's grad before
    backward (`parameter_starts`, in the order of `parameters`: all a parameter the loss does not
    reach ends up with), then each backward group's outputs.
    """

    parameters: list[Value]  # distinct parameter Values, in first-seen order
    value_size: int
    one: int
    parameter_values: range
    constants: dict[int, float]  # value slot -> the constant's number
    forward: list[Fold | Apply] = field(default_factory=list)
    locals: list[Local] = field(default_factory=list)
    backward: list[Gather] = field(default_factory=list)
    parameter_starts: range = range(2, 2)  # grad slots
    grad_size: int = 2
    loss: int = 0  # value slot
    scores: list[int] = field(default_factory=list)  # value slots
    parameter_grads: list[int] = field(default_factory=list)  # grad slot of each entry of the trainer's list
    differentiable: bool = True  # False: the loss depends on no parameter, every grad is 0.0
    nodes: int = 0  # how many nodes the recorded graph had

    @property
    def plain_numbers(self) -> bool:
        """Every parameter a float and every constant a float or an int a float holds exactly:
        then float64 arithmetic (numpy) is Python's arithmetic, operation for operation."""
        return all(type(p.data) is float for p in self.parameters) and all(
            type(c) is float or (type(c) in (int, bool) and abs(c) <= 2**53) for c in self.constants.values()
        )


# --- recording -----------------------------------------------------------------------------------------


def record(loss: Value, scores: Sequence[Value], parameters: Sequence[Value]) -> Tape:
    """The tape of this graph: `loss` and `scores` as functions of `parameters`, everything else
    fixed. Raises `NotRecordable` for a graph it cannot replay exactly."""
    with collector_paused():
        return _record(loss, scores, parameters)


def _record(loss: Value, scores: Sequence[Value], parameters: Sequence[Value]) -> Tape:
    graph = _Graph(loss, scores, parameters)
    chains = _Chains(graph)
    tape = Tape(
        parameters=graph.parameters,
        value_size=0,
        one=0,
        parameter_values=range(0),
        constants={},
        nodes=len(graph.nodes),
    )
    slots = _ValueSlots(graph, chains, tape)
    _schedule_forward(graph, chains, slots, tape)
    local_slot = _schedule_locals(graph, chains, slots, tape)
    _schedule_backward(graph, chains, slots, local_slot, tape, parameters)
    tape.value_size = slots.size
    tape.loss = slots.slot[graph.root]
    tape.scores = [slots.slot[s] for s in graph.score_positions]
    return tape


def _is_table_op(op: Op) -> bool:
    """One of `engine.ops`' own operations (a replay knows exactly what it does), not a lookalike."""
    try:
        return op_named(str(op)) is op
    except ValueError:
        return False


_op_of, _first_of, _second_of = attrgetter("_op"), attrgetter("_a"), attrgetter("_b")


class _Graph:
    """The recorded graph as lists indexed by topological position, and what the tape needs to
    know about each node: its operands, whether it depends on a parameter, how often it is used."""

    def __init__(self, loss: Value, scores: Sequence[Value], parameters: Sequence[Value]) -> None:
        for thing in (loss, *scores, *parameters):
            if type(thing) is not Value:
                raise NotRecordable(f"a {type(thing).__name__} is not an engine Value")
        self.nodes, self.position, self.in_loss = _forward_nodes(loss, scores)  # the loss's own nodes first
        nodes, n, position = self.nodes, len(self.nodes), self.position
        for kind in set(map(type, nodes)) - {Value}:  # a subclass may compute or differentiate its own way
            raise NotRecordable(f"the graph holds a {kind.__name__}, not only engine Values")
        self.root = self.in_loss - 1
        self.score_positions = [position[id(s)] for s in scores]
        self.parameters = _distinct(parameters)
        self.is_parameter = [False] * n
        for p in self.parameters:
            if id(p) in position:
                if p._a is not None:
                    raise NotRecordable(f"parameter {p.label or p!r} is computed from other Values, not a leaf")
                self.is_parameter[position[id(p)]] = True
        self.ops: list[Op] = list(map(_op_of, nodes))
        for op in {id(op): op for op in self.ops}.values():  # a handful of distinct ops
            if op is not LEAF and not _is_table_op(op):
                node = next(node for node in nodes if node._op is op)
                raise NotRecordable(f"node {node.label or node!r} has an op the engine does not know: {op!r}")
        at = position.get  # id(None) is nobody's: a missing operand is -1
        self.first = list(map(at, map(id, map(_first_of, nodes)), repeat(-1, n)))
        self.second = list(map(at, map(id, map(_second_of, nodes)), repeat(-1, n)))
        self.live = self._depends_on_a_parameter()
        self.uses = self._use_counts()
        self.must_keep = {self.root, *self.score_positions}

    def operands(self, i: int) -> tuple[int, ...]:
        a, b = self.first[i], self.second[i]
        return () if a < 0 else (a,) if b < 0 else (a, b)

    def _depends_on_a_parameter(self) -> list[bool]:
        live = list(self.is_parameter)
        for i, a, b in zip(range(len(live)), self.first, self.second):  # operands come first: theirs are final
            if a >= 0 and (live[a] or (b >= 0 and live[b])):
                live[i] = True
        return live

    def _use_counts(self) -> list[int]:
        uses = [0] * (len(self.nodes) + 1)  # the extra entry counts the missing operands (-1)
        for counts in (Counter(self.first), Counter(self.second)):
            for i, count in counts.items():
                uses[i] += count
        return uses[:-1]


def _forward_nodes(loss: Value, scores: Sequence[Value]) -> tuple[list[Value], dict[int, int], int]:
    """The loss's nodes in `Value.backward`'s topological order, then those only a score needs
    (a custom loss may leave a score out, and every score is reported); each node's position by
    id; and how many nodes are the loss's."""
    nodes = topological_order(loss)
    in_loss = len(nodes)
    position = dict(zip(map(id, nodes), range(in_loss)))
    for score in scores:
        if id(score) not in position:
            for node in topological_order(score):
                if id(node) not in position:
                    position[id(node)] = len(nodes)
                    nodes.append(node)
    return nodes, position, in_loss


def _distinct(values: Sequence[Value]) -> list[Value]:
    seen: set[int] = set()
    distinct = []
    for v in values:
        if id(v) not in seen:
            seen.add(id(v))
            distinct.append(v)
    return distinct


# --- chains of sums ----------------------------------------------------------------------------------------


class _Chains:
    """Sums and products folded into chains: which nodes disappear, and each fold's pairs."""

    def __init__(self, graph: _Graph) -> None:
        self.graph = graph
        n = len(graph.nodes)
        ops, live, uses, keep = graph.ops, graph.live, graph.uses, graph.must_keep
        # nodes that may disappear into the chain that uses them: used once, and not reported
        self.foldable_sum = [op is ADD and lv and u == 1 for op, lv, u in zip(ops, live, uses)]
        self.foldable_product = [op is MUL and lv and u == 1 for op, lv, u in zip(ops, live, uses)]
        for i in keep:
            self.foldable_sum[i] = self.foldable_product[i] = False
        self.output_of = output_of = [-1] * n  # a node folded into a chain: that chain's output node
        self.pairs: dict[int, list[tuple[int, int]]] = {}  # chain output -> its (a, b) pairs, in fold order
        first, second = graph.first, graph.second
        for i in reversed(range(n)):  # a sum's consumer comes after it: chains are met output first
            if output_of[i] < 0 and live[i]:
                op = ops[i]
                if op is ADD:
                    self.pairs[i] = self._walk(i)
                elif op is MUL:
                    self.pairs[i] = [(first[i], second[i])]
        is_parameter = graph.is_parameter
        # computed by the replay: depends on a parameter, is none, and is not folded into a chain
        self.kept = [lv and not p and o < 0 for lv, p, o in zip(live, is_parameter, output_of)]

    def _walk(self, output: int) -> list[tuple[int, int]]:
        """Follow the partial sums down from the chain's output; return its pairs, first fold first."""
        first, second, foldable_sum = self.graph.first, self.graph.second, self.foldable_sum
        output_of, foldable_product = self.output_of, self.foldable_product
        terms = []
        node = output
        while True:
            a, b = first[node], second[node]
            if foldable_sum[a]:
                partial, term = a, b
            elif foldable_sum[b]:  # x + s: addition commutes, bit for bit
                partial, term = b, a
            else:
                break
            terms.append(term)
            output_of[partial] = output
            node = partial
        terms.append(b)
        terms.append(a)
        pairs = []
        for term in reversed(terms):
            if foldable_product[term]:  # the product folds in too: a·b straight into the sum
                output_of[term] = output
                pairs.append((first[term], second[term]))
            else:  # a plain term t is t·1
                pairs.append((term, ONE))
        return pairs


# --- value slots and the forward pass ---------------------------------------------------------------


class _ValueSlots:
    """Where each node's number lives in the replay's value list: 1 first, then the parameters,
    the constants the replay reads, and each group's outputs as the schedule creates them."""

    def __init__(self, graph: _Graph, chains: _Chains, tape: Tape) -> None:
        n = len(graph.nodes)
        self.slot = [-1] * (n + 1)  # the extra last entry is ONE's (ONE == -1): the slot of 1
        self.slot[ONE] = tape.one = 0
        self.size = 1
        for p in graph.parameters:
            if id(p) in graph.position:
                self.slot[graph.position[id(p)]] = self.size
            self.size += 1
        tape.parameter_values = range(1, self.size)
        live, slot = graph.live, self.slot
        for i in range(n):  # every number a computed node reads that is not computed is a constant
            if chains.kept[i] or chains.output_of[i] >= 0:
                for operand in graph.operands(i):
                    if not live[operand] and slot[operand] < 0:
                        self.constant(operand, graph, tape)
        for i in (graph.root, *graph.score_positions):  # reported even if no parameter changes them
            if not live[i] and slot[i] < 0:
                self.constant(i, graph, tape)

    def constant(self, i: int, graph: _Graph, tape: Tape) -> None:
        self.slot[i] = self.size
        tape.constants[self.size] = graph.nodes[i].data
        self.size += 1

    def new(self, count: int) -> int:
        first = self.size
        self.size += count
        return first


def _schedule_forward(graph: _Graph, chains: _Chains, slots: _ValueSlots, tape: Tape) -> None:
    """Group the kept nodes by level (1 + the deepest level they read) and by kind, and give
    each group consecutive value slots."""
    level = [0] * (len(graph.nodes) + 1)
    groups: dict[tuple, list[int]] = {}
    pairs_of, ops, first = chains.pairs, graph.ops, graph.first
    for i in compress(range(len(graph.nodes)), chains.kept):
        if i in pairs_of:
            pairs = pairs_of[i]
            level[i] = 1 + max(max(level[a], level[b]) for a, b in pairs)
            key: tuple = (level[i], "fold", len(pairs))
        else:
            level[i] = 1 + level[first[i]]
            key = (level[i], "apply", ops[i])
        groups.setdefault(key, []).append(i)
    slot = slots.slot
    for (_, kind, what), members in sorted(groups.items(), key=lambda item: item[0][0]):
        out = slots.new(len(members))
        for k, i in enumerate(members):
            slot[i] = out + k
        if kind == "fold":
            a = [slot[x] for i in members for x, _ in pairs_of[i]]
            b = [slot[y] for i in members for _, y in pairs_of[i]]
            tape.forward.append(Fold(out, len(members), what, a, b))
        else:
            tape.forward.append(Apply(out, len(members), what, [slot[first[i]] for i in members]))


def _schedule_locals(graph: _Graph, chains: _Chains, slots: _ValueSlots, tape: Tape) -> dict[int, int]:
    """One slot per local derivative the backward pass multiplies by (exp's is its own output);
    returns the slot of each node's."""
    local_slot = {}
    by_op: dict[Op, list[int]] = {}
    ops, kept = graph.ops, chains.kept
    for i in range(graph.in_loss):
        op = ops[i]
        if kept[i] and op is not ADD and op is not MUL and op is not EXP:
            by_op.setdefault(op, []).append(i)
    slot, first = slots.slot, graph.first
    for op, members in by_op.items():
        out = slots.new(len(members))
        for k, i in enumerate(members):
            local_slot[i] = out + k
        tape.locals.append(Local(out, len(members), op, [slot[i] for i in members], [slot[first[i]] for i in members]))
    return local_slot


# --- the backward pass -----------------------------------------------------------------------------------


def _contributions(
    graph: _Graph, chains: _Chains, slots: _ValueSlots, local_slot: dict[int, int]
) -> dict[int, tuple[list[int], list[int]]]:
    """For each node that needs a grad, its contributions as (local value slots, consumer nodes),
    in the order `Value.backward` adds them up. The consumer of a folded node is its chain's
    output: that is where its grad comes from."""
    output_of, live, slot, one = chains.output_of, graph.live, slots.slot, slots.slot[ONE]
    needs_grad = [lv and o < 0 for lv, o in zip(live, output_of)]
    contributions: dict[int, tuple[list[int], list[int]]] = {}

    def add(target: int, local: int, source: int) -> None:
        entry = contributions.get(target)
        if entry is None:
            contributions[target] = ([local], [source])
        else:
            entry[0].append(local)
            entry[1].append(source)

    ops, first, second = graph.ops, graph.first, graph.second
    for consumer in reversed(range(graph.in_loss)):  # Value.backward: reversed topological order
        a = first[consumer]
        if a < 0 or not live[consumer]:
            continue
        b, op = second[consumer], ops[consumer]
        source = consumer if output_of[consumer] < 0 else output_of[consumer]
        if op is ADD:
            local_a = local_b = one
        elif op is MUL:  # d(a·b)/da = b, d(a·b)/db = a
            local_a, local_b = slot[b], slot[a]
        else:
            local_a = slot[consumer] if op is EXP else local_slot[consumer]
        if needs_grad[a]:  # the first operand slot, then the second
            add(a, local_a, source)
        if b >= 0 and needs_grad[b]:
            add(b, local_b, source)
    return contributions


def _schedule_backward(
    graph: _Graph,
    chains: _Chains,
    slots: _ValueSlots,
    local_slot: dict[int, int],
    tape: Tape,
    parameter_list: Sequence[Value],
) -> None:
    """Group the grads by level (the loss is level 0) and contribution count; give each group
    consecutive grad slots, and say where each parameter's grad ends up."""
    grad_slot = {graph.root: 0}
    start_of = {id(p): 2 + k for k, p in enumerate(graph.parameters)}
    tape.parameter_starts = range(2, 2 + len(graph.parameters))
    size = tape.parameter_starts.stop
    tape.differentiable = graph.live[graph.root]
    if tape.differentiable:
        contributions = _contributions(graph, chains, slots, local_slot)
        level = {graph.root: 0}
        groups: dict[tuple[int, int], list[int]] = {}
        for target in sorted(contributions, reverse=True):  # consumers first
            sources = contributions[target][1]
            level[target] = 1 + max(map(level.__getitem__, sources))
            groups.setdefault((level[target], len(sources)), []).append(target)
        nodes, is_parameter = graph.nodes, graph.is_parameter
        for (_, width), members in sorted(groups.items()):
            out = size
            size += len(members)
            for k, target in enumerate(members):
                grad_slot[target] = out + k
            local = [lv for t in members for lv in contributions[t][0]]
            grad = [grad_slot[source] for t in members for source in contributions[t][1]]
            start = None
            if any(is_parameter[t] for t in members):
                start = [start_of[id(nodes[t])] if is_parameter[t] else 1 for t in members]
            tape.backward.append(Gather(out, len(members), width, local, grad, start))
    tape.grad_size = size
    position = graph.position
    tape.parameter_grads = [grad_slot.get(position.get(id(p), -1), start_of[id(p)]) for p in parameter_list]
