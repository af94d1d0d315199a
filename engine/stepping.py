"""The forward and backward pass as a timeline of steps, and a cursor that walks it both ways.

A `Timeline` records a whole pass over the graph of one output `Value`:

- forward steps, one per computed node in topological order: its value from its operands';
- the seed step: the output's grad is 1;
- backward steps, one per computed node in reverse topological order: its local derivatives
  applied to each operand, ``operand.grad += local · node.grad``.

Nodes are numbered by their place in the topological order (leaves included), and every number is
recorded once, when the timeline is built, from the op table in `engine.ops`. A `Cursor` then
moves along the timeline by copying recorded numbers in and out, so a step back restores the exact
bits the state had, at the cost of that one step.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from engine.gradcheck import numerical_grad
from engine.ops import Op
from engine.value import Value, topological_order

Phase = Literal["forward", "seed", "backward"]


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


@dataclass(frozen=True)
class Contribution:
    """One operand receiving gradient in a backward step: ``operand.grad += local · upstream``."""

    operand: int
    local: float
    local_text: str  # the local derivative symbolically, e.g. "1 − tanh²(n)"
    upstream: float  # the grad of the node passing it on
    before: float | None  # None: this is the first contribution, the grad was not computed yet
    after: float
    final: bool  # no contribution to this operand comes after this one

    @property
    def product(self) -> float:
        return self.local * self.upstream


@dataclass(frozen=True)
class Step:
    """Step `index` of a timeline: what moving from position index to index + 1 does."""

    index: int
    phase: Phase
    node: int
    operands: tuple[int, ...]
    value: float  # forward: the value computed; seed and backward: the node's grad
    text: tuple[str, ...]  # the step in words and numbers, one line per equation
    contributions: tuple[Contribution, ...] = ()
    findings: tuple[str, ...] = ()  # where the user's own code disagrees with the chain rule, in words


class Timeline:
    """The recorded forward and backward pass over the graph of `output`."""

    def __init__(self, output: Value) -> None:
        if not isinstance(output, Value):
            raise TypeError(f"a timeline needs a Value, got {type(output).__name__}")
        self.output = output
        self.nodes: list[Value] = topological_order(output)
        self.output_index = len(self.nodes) - 1
        self.values = self._record_forward()
        # Leaves hold the recorded float, as every other state does (not an int a leaf may carry).
        self._value_list: list[float] = self.values.tolist()
        self.initial_values: list[float | None] = list(self._value_list)
        for i in self.computed:
            self.initial_values[i] = None
        self.grads = self._record_backward()
        self._grad_list: list[float] | None = None  # the end state, made on the first jump there
        self._consumers: list[list[int]] | None = None
        self._described: dict[int, Step] = {}  # the few steps asked about lately (see `step`)
        # What a checked recording found wrong, step by step (the engine's own pass: nothing).
        self.findings: dict[int, tuple[str, ...]] = {}
        self.flagged_nodes: set[int] = set()

    # --- recording ------------------------------------------------------------------------------

    def _record_forward(self) -> array:
        """Number the nodes, note each one's operands and op, and compute every value once."""
        nodes = self.nodes
        n = len(nodes)
        index = {node: i for i, node in enumerate(nodes)}
        operands: list[tuple[int, ...]] = [()] * n
        ops: list[Op] = [node._op for node in nodes]
        computed: list[int] = []
        forward_step = array("l", [-1]) * n
        self.operands, self.ops, self.computed, self._forward_step = operands, ops, computed, forward_step
        values = array("d", bytes(8 * n))
        for i, node in enumerate(nodes):
            a = node._a
            if a is None:
                values[i] = node.data
                continue
            forward_step[i] = len(computed)
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
        return values

    def _record_backward(self) -> array:
        """Run the backward pass once, keeping each contribution's local derivative and grads.

        Edges (one per operand of a computed node) are stored in the order the backward pass
        makes them; node i's come from edge_start[i] on (-1 for a leaf).
        """
        n = len(self.nodes)
        grads = array("d", bytes(8 * n))
        self.first_touch = first = array("l", [-1]) * n  # step of the first contribution to each grad
        self.last_touch = last = array("l", [-1]) * n  # step after which each grad is final
        self.edge_start = edge_start = array("l", [-1]) * (n + 1)
        edge_start[n] = 0
        edge_local, edge_before, edge_after, edge_operand = [], [], [], []
        edge_first = bytearray()
        add_local, add_before, add_after, add_operand, add_first = (
            edge_local.append,
            edge_before.append,
            edge_after.append,
            edge_operand.append,
            edge_first.append,
        )

        seed = self.seed_step
        grads[self.output_index] = 1.0
        first[self.output_index] = last[self.output_index] = seed
        values, operands_of, ops = self.values, self.operands, self.ops
        step, e = seed, 0
        for i in reversed(self.computed):
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
        self.edge_local = array("d", edge_local)
        self.edge_before = array("d", edge_before)
        self.edge_after = array("d", edge_after)
        self.edge_first = edge_first
        self._edge_operand = array("l", edge_operand)
        return grads

    def _edge_offset(self, step: int) -> int:
        """The first edge of backward step `step` (the number of edges when `step` is the end)."""
        if step >= len(self):
            return len(self.edge_after)
        return self.edge_start[self.computed[2 * self.seed_step - step]]

    # --- shape of the timeline ------------------------------------------------------------------

    @property
    def seed_step(self) -> int:
        return len(self.computed)

    def __len__(self) -> int:
        """The number of steps; cursor positions run from 0 to len(timeline)."""
        return 2 * len(self.computed) + 1

    @property
    def phase_boundaries(self) -> tuple[int, ...]:
        """Positions where a phase starts or ends: the start, forward done, the end."""
        return 0, self.seed_step, len(self)

    def phase_of(self, step: int) -> Phase:
        if step < self.seed_step:
            return "forward"
        return "seed" if step == self.seed_step else "backward"

    def node_of_step(self, step: int) -> int:
        if step < self.seed_step:
            return self.computed[step]
        if step == self.seed_step:
            return self.output_index
        return self.computed[2 * self.seed_step - step]

    def forward_step_of(self, node: int) -> int | None:
        k = self._forward_step[node]
        return None if k < 0 else k

    def backward_step_of(self, node: int) -> int | None:
        k = self._forward_step[node]
        return None if k < 0 else 2 * self.seed_step - k

    def consumers(self, node: int) -> list[int]:
        """The nodes that use `node` as an operand (built on first use)."""
        if self._consumers is None:
            self._consumers = [[] for _ in self.nodes]
            for i, operands in enumerate(self.operands):
                for o in dict.fromkeys(operands):
                    self._consumers[o].append(i)
        return self._consumers[node]

    def flagged(self, node: int) -> bool:
        """Did a step of this node (its forward value or its backward) disagree with the chain rule?"""
        return node in self.flagged_nodes

    def steps_touching(self, node: int) -> list[int]:
        """Steps that compute `node`, seed it, pass its grad on, or add to its grad, in order."""
        steps = {self.backward_step_of(c) for c in self.consumers(node)}
        steps.update((self.forward_step_of(node), self.backward_step_of(node)))
        if node == self.output_index:
            steps.add(self.seed_step)
        steps.discard(None)
        return sorted(steps)  # type: ignore[arg-type]

    # --- describing steps -----------------------------------------------------------------------

    def name(self, node: int) -> str:
        """The node's label, or a stable short id (its place in the topological order)."""
        return self.nodes[node].label or f"#{node}"

    def symbol(self, node: int) -> str:
        """The name as an operand in a formula: ``(x1*w1 + x2*w2)`` keeps the arithmetic readable."""
        name = self.name(node)
        return name if _is_atom(name) else f"({name})"

    def step(self, index: int) -> Step:
        """What step `index` does, in numbers and words.

        A screen asks about the same one or two steps for every row it paints, so the last few
        descriptions are kept rather than formatted again.
        """
        step = self._described.get(index)
        if step is None:
            if len(self._described) >= 8:
                self._described.clear()
            step = self._described[index] = self._describe(index)
        return step

    def _describe(self, index: int) -> Step:
        if not 0 <= index < len(self):
            raise IndexError(f"step {index} is outside the timeline (0..{len(self) - 1})")
        node = self.node_of_step(index)
        phase = self.phase_of(index)
        operands = self.operands[node]
        if phase == "forward":
            return Step(index, phase, node, operands, self.values[node], (self._forward_text(node),))
        if phase == "seed":
            name = self.symbol(node)
            text = f"{name}.grad = 1.0   (d{name}/d{name}: the output against itself)"
            return Step(index, phase, node, operands, 1.0, (text,))
        contributions = self._contributions(node, index)
        text = tuple(self._contribution_text(node, c) for c in contributions)
        return Step(index, phase, node, operands, self.grads[node], text, contributions)

    def _forward_text(self, node: int) -> str:
        op, operands = self.ops[node], self.operands[node]
        names = [self.symbol(o) for o in operands]
        numbers = [format_number(self.values[o]) for o in operands]
        return (
            f"{self.name(node)} = {op.formula.format(*names)} = {op.formula.format(*numbers)}"
            f" = {format_number(self.values[node])}"
        )

    def _contributions(self, node: int, step: int) -> tuple[Contribution, ...]:
        start, upstream = self.edge_start[node], self.grads[node]
        names = [self.symbol(o) for o in self.operands[node]]
        result = []
        for j, operand in enumerate(self.operands[node]):
            e = start + j
            result.append(
                Contribution(
                    operand=operand,
                    local=self.edge_local[e],
                    local_text=self.ops[node].local_text[j].format(*names),
                    upstream=upstream,
                    before=None if self.edge_first[e] else self.edge_before[e],
                    after=self.edge_after[e],
                    final=self.last_touch[operand] == step and self._last_edge_to(node, operand) == j,
                )
            )
        return tuple(result)

    def _last_edge_to(self, node: int, operand: int) -> int:
        return max(j for j, o in enumerate(self.operands[node]) if o == operand)

    def _contribution_text(self, node: int, c: Contribution) -> str:
        local = c.local_text if _is_atom(c.local_text) else f"({c.local_text})"
        return (
            f"{self.symbol(c.operand)}.grad += {local} · {self.symbol(node)}.grad"
            f" = {format_number(c.local)} · {format_number(c.upstream)} = {format_number(c.product)}"
        )

    # --- checks ---------------------------------------------------------------------------------

    def numerical_grad(self, node: int, h: float = 1e-6) -> float:
        """The lecture's check of node's grad: bump it by h, rerun the forward pass, measure."""
        return numerical_grad(self.output, self.nodes[node], h)

    def rebuilt(self) -> Timeline:
        """A new timeline from the same graph, picking up leaves whose data has changed."""
        return Timeline(self.output)


def _is_atom(text: str) -> bool:
    return all(ch.isalnum() or ch in "#._[]" for ch in text)


class Cursor:
    """A position on a timeline and the state of every value and grad at that position.

    Position k means steps 0..k-1 have been applied. `value(i)` / `grad(i)` are None while not
    yet computed. Anything can drive a cursor (a key, a timer, a file watcher, a socket): move it
    with `seek` and friends, follow it with `observe`.
    """

    def __init__(self, timeline: Timeline, position: int = 0) -> None:
        self._observers: list[Callable[[Cursor, int], None]] = []
        self._start_on(timeline)
        self.seek(position)

    def _start_on(self, timeline: Timeline) -> None:
        """At position 0 of `timeline`: only the leaves' values known."""
        self.timeline = timeline
        self.position = 0
        self._values: list[float | None] = list(timeline.initial_values)
        self._grads: list[float | None] = [None] * len(timeline.nodes)

    # --- reading the state ----------------------------------------------------------------------

    def value(self, node: int) -> float | None:
        return self._values[node]

    def grad(self, node: int) -> float | None:
        return self._grads[node]

    def grad_is_final(self, node: int) -> bool:
        """Every consumer has passed this node its contribution (the output: once seeded)."""
        return self.position > self.timeline.last_touch[node]

    @property
    def last_step(self) -> Step | None:
        """The step that led to this position (None at the start)."""
        return self.timeline.step(self.position - 1) if self.position > 0 else None

    @property
    def next_step(self) -> Step | None:
        return self.timeline.step(self.position) if self.position < len(self.timeline) else None

    @property
    def current_step(self) -> Step | None:
        """The step to show: the one just taken, or at the start the first one to come."""
        return self.last_step or self.next_step

    @property
    def at_end(self) -> bool:
        return self.position == len(self.timeline)

    # --- moving ---------------------------------------------------------------------------------

    def observe(self, callback: Callable[[Cursor, int], None]) -> Callable[[], None]:
        """Call `callback(cursor, old_position)` after every move; returns an unsubscribe."""
        self._observers.append(callback)
        return lambda: self._observers.remove(callback)

    def seek(self, position: int) -> bool:
        """Move to `position` (clamped to the timeline). Returns whether the cursor moved."""
        target = max(0, min(position, len(self.timeline)))
        old = self.position
        if target == old:
            return False
        self._restore_nearest_anchor(target)
        position = self.position
        if target == position + 1:
            self._apply(position)
        elif target == position - 1:
            self._undo(target)
        elif target > position:
            self._apply_steps(position, target)
        elif target < position:
            self._undo_steps(target, position)
        self.position = target
        for callback in list(self._observers):
            callback(self, old)
        return True

    def next(self) -> bool:
        return self.seek(self.position + 1)

    def previous(self) -> bool:
        return self.seek(self.position - 1)

    def start(self) -> bool:
        return self.seek(0)

    def end(self) -> bool:
        return self.seek(len(self.timeline))

    def next_phase(self) -> bool:
        return self.seek(next((b for b in self.timeline.phase_boundaries if b > self.position), self.position))

    def previous_phase(self) -> bool:
        return self.seek(next((b for b in reversed(self.timeline.phase_boundaries) if b < self.position), 0))

    def next_touching(self, node: int) -> bool:
        """To just after the next step that involves `node` (see `Timeline.steps_touching`)."""
        steps = self.timeline.steps_touching(node)
        return self.seek(next((s + 1 for s in steps if s + 1 > self.position), self.position))

    def previous_touching(self, node: int) -> bool:
        steps = self.timeline.steps_touching(node)
        return self.seek(next((s + 1 for s in reversed(steps) if s + 1 < self.position), self.position))

    def retarget(self, timeline: Timeline) -> None:
        """Follow a rebuilt timeline of the same graph, keeping the position."""
        old = self.position
        self._start_on(timeline)
        observers, self._observers = self._observers, []
        try:
            self.seek(old)
        finally:
            self._observers = observers
        for callback in list(self._observers):
            callback(self, old)

    # --- applying recorded steps ----------------------------------------------------------------

    def _apply(self, step: int) -> None:
        t = self.timeline
        node = t.node_of_step(step)
        if step < t.seed_step:
            self._values[node] = t.values[node]
        elif step == t.seed_step:
            self._grads[node] = 1.0
        else:
            start = t.edge_start[node]
            for j, operand in enumerate(t.operands[node]):
                self._grads[operand] = t.edge_after[start + j]

    def _undo(self, step: int) -> None:
        t = self.timeline
        node = t.node_of_step(step)
        if step < t.seed_step:
            self._values[node] = None
        elif step == t.seed_step:
            self._grads[node] = None
        else:
            start = t.edge_start[node]
            operands = t.operands[node]
            for j in reversed(range(len(operands))):
                e = start + j
                self._grads[operands[j]] = None if t.edge_first[e] else t.edge_before[e]

    def _apply_steps(self, start: int, stop: int) -> None:
        """Apply steps start..stop-1 in order: what `_apply` does, for a long walk.

        The forward steps in between set the values of consecutive computed nodes, so one slice of
        the recorded values does them all (the leaves in that slice keep the very numbers they
        have); the backward steps set grads edge after edge, in the order they were recorded.
        """
        t = self.timeline
        seed = t.seed_step
        if start < seed:
            lo, hi = t.computed[start], t.computed[min(stop, seed) - 1] + 1
            self._values[lo:hi] = t._value_list[lo:hi]
        if start <= seed < stop:
            self._grads[t.output_index] = 1.0
        if stop > seed + 1:
            first, last = t._edge_offset(max(start, seed + 1)), t._edge_offset(stop)
            grads = self._grads
            for operand, after in zip(t._edge_operand[first:last], t.edge_after[first:last]):
                grads[operand] = after

    def _undo_steps(self, start: int, stop: int) -> None:
        """Undo steps stop-1 down to start: what `_undo` does, for a long walk back."""
        t = self.timeline
        seed = t.seed_step
        if stop > seed + 1:
            first, last = t._edge_offset(max(start, seed + 1)), t._edge_offset(stop)
            grads, operand_of, before, is_first = self._grads, t._edge_operand, t.edge_before, t.edge_first
            for e in range(last - 1, first - 1, -1):
                grads[operand_of[e]] = None if is_first[e] else before[e]
        if start <= seed < stop:
            self._grads[t.output_index] = None
        if start < seed:
            lo, hi = t.computed[start], t.computed[min(stop, seed) - 1] + 1
            self._values[lo:hi] = t.initial_values[lo:hi]

    def _restore_nearest_anchor(self, target: int) -> None:
        """Jump to whichever of start / forward done / end is closer to `target` than we are.

        Each anchor's state is known without replaying (nothing computed / every value / every
        value and grad), so a long jump costs one copy of the state plus the remaining steps. A copy
        costs about as much as walking n/32 steps, so a short move never takes it:
        a step or two next to an anchor stays O(that step).
        """
        t = self.timeline
        anchors = (0, t.seed_step, len(t))
        best = min(anchors, key=lambda a: abs(a - target))
        saved = abs(self.position - target) - abs(best - target)
        if saved <= max(1, len(t.nodes) >> 5):
            return
        if best == 0:
            self._values = list(t.initial_values)
        else:
            self._values = t._value_list.copy()
        if best == len(t):
            if t._grad_list is None:
                t._grad_list = t.grads.tolist()
            self._grads = t._grad_list.copy()
        else:
            self._grads = [None] * len(t.nodes)
        self.position = best
