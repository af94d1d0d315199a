"""The forward and backward pass as a timeline of steps, and a cursor that walks it both ways.

A `Timeline` is a whole recorded pass over the graph of one output:

- forward steps, one per computed node in topological order: its value from its operands';
- the seed step: the output's grad is 1;
- backward steps, one per computed node in reverse topological order: its local derivatives
  applied to each operand, ``operand.grad += local · node.grad``.

The numbers come from a `Recording` (`engine.recording`): computed from the op table for an engine
graph, or observed while a learner's own ``_backward`` closures ran, each step judged against the op
table. The timeline does not care which. A `Cursor` then moves along it by copying recorded numbers
in and out, so a step back restores the exact bits the state had, at the cost of that one step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from engine.foreign import GraphError, is_value_like, missing_attributes
from engine.judge import close
from engine.ops import Op
from engine.recording import (
    Finding,
    NodeNames,
    Recording,
    chain_rule_text,
    collector_paused,
    format_number,
    local_derivative_text,
    record_engine_pass,
)
from engine.value import Value

Phase = Literal["forward", "seed", "backward"]

__all__ = ["Contribution", "Cursor", "Finding", "Step", "Timeline", "format_number"]


@dataclass(frozen=True)
class Contribution:
    """One operand slot receiving gradient in a backward step: ``operand.grad += local · upstream``.

    For a learner's own class, `after` is what their ``_backward`` wrote and `expected_after` what
    the chain rule says it should have written (None where the op is not one the engine knows).
    """

    operand: int
    local: float
    local_text: str  # the local derivative symbolically, e.g. "1 − o²"
    upstream: float  # the grad of the node passing it on
    before: float | None  # None: this is the first contribution, the grad was not computed yet
    after: float
    final: bool  # no contribution to this operand comes after this one
    expected_after: float | None = None
    written: bool = True  # False: the learner's _backward never wrote this operand's grad

    @property
    def product(self) -> float:
        return self.local * self.upstream

    @property
    def agrees(self) -> bool:
        """Did this slot's write leave the grad where the chain rule says (True where unknown)?"""
        return self.expected_after is None or close(self.after, self.expected_after)


@dataclass(frozen=True)
class Step:
    """Step `index` of a timeline: what moving from position index to index + 1 does."""

    index: int
    phase: Phase
    node: int
    operands: tuple[int, ...]
    value: float  # forward: the value computed; seed and backward: the node's grad
    text: tuple[str, ...]  # the step in numbers, one line per equation
    contributions: tuple[Contribution, ...] = ()
    findings: tuple[Finding, ...] = ()  # where the learner's own code disagrees with the chain rule
    summary: str = ""  # what the step does, in words: "passes its grad 0.5 unchanged to each operand"


class Timeline:
    """The recorded forward and backward pass over the graph of `output`.

    `output` is an engine `Value`, or any micrograd-like object (``data``, ``grad``, ``_prev``, ``_op``,
    ``_backward``: micrograd's own `Value`, a class written along with the lecture): its pass is then
    the one the learner's code computes, observed step by step (`engine.observe`).
    """

    def __init__(self, output: object) -> None:
        if isinstance(output, Value):
            recording = record_engine_pass(output)
        elif is_value_like(output):
            from engine.observe import record_observed_pass

            recording = record_observed_pass(output)
        else:
            missing = ", ".join(missing_attributes(output))
            raise TypeError(f"a timeline needs a Value, got {type(output).__name__} (it has no {missing})")
        self.output = output
        self._adopt(recording)
        # Built with the timeline (off the UI thread), not on the first paint that shows a ✓ or ✗.
        self.expected_grads = self._chain_rule_grads() if self.observed else None

    def _adopt(self, r: Recording) -> None:
        self.recording = r
        self.nodes, self.labels, self.operands, self.ops, self.computed = (
            r.nodes,
            r.labels,
            r.operands,
            r.ops,
            r.computed,
        )
        self.values, self.grads = r.values, r.grads
        self.first_touch, self.last_touch = r.first_touch, r.last_touch
        self.edge_start, self.edge_local, self.edge_before, self.edge_after = (
            r.edge_start,
            r.edge_local,
            r.edge_before,
            r.edge_after,
        )
        self.edge_first, self._edge_operand, self.edge_slot = r.edge_first, r.edge_operand, r.edge_slot
        self.observed = r.observed
        self.names: NodeNames = r.names
        self.output_index = len(self.nodes) - 1
        self._forward_step = forward_step = [-1] * len(self.nodes)
        for k, i in enumerate(self.computed):
            forward_step[i] = k
        # Leaves hold the recorded float, as every other state does (not an int a leaf may carry).
        self._value_list: list[float] = self.values.tolist()
        self.initial_values: list[float | None] = list(self._value_list)
        for i in self.computed:
            self.initial_values[i] = None
        self._grad_list: list[float] | None = None  # the end state, made on the first jump there
        self._consumers: list[list[int]] | None = None
        self._described: dict[int, Step] = {}  # the few steps asked about lately (see `step`)
        self.findings: dict[int, tuple[Finding, ...]] = r.findings
        self.flag_step: dict[int, int] = {}  # flagged node -> the first of its steps that disagrees
        for step, found in r.findings.items():
            for finding in found:
                self.flag_step.setdefault(finding.node, step)
        self.flagged_nodes: set[int] = set(self.flag_step)

    def _edge_offset(self, step: int) -> int:
        """The first edge of backward step `step` (the number of edges when `step` is the end)."""
        if step >= len(self):
            return len(self.edge_after)
        return self.edge_start[self.computed[2 * self.seed_step - step]]

    def same_shape(self, other: Timeline) -> bool:
        """The same nodes, operands and ops in the same order: positions mean the same steps."""
        return self.operands == other.operands and [str(op) for op in self.ops] == [str(op) for op in other.ops]

    def edges_of(self, step: int) -> range:
        """The writes backward step `step` made, in the order it made them."""
        return range(self._edge_offset(step), self._edge_offset(step + 1))

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

    def _chain_rule_grads(self) -> list[float] | None:
        """What the chain rule gives for every grad of a learner's pass (`expected_grads`): mgtui's
        engine on the same graph; None for a graph with ops the engine does not know. The engine's
        own pass has none: it is that already."""
        from engine.check import engine_grads

        try:
            with collector_paused():  # lists as big as the graph: no collections while they are made
                return engine_grads(self)
        except (GraphError, ValueError, ArithmeticError):
            return None

    def final_grad_is_wrong(self, node: int) -> bool:
        """Is the pass's final grad of `node` not what the chain rule gives? (A step of the learner's
        code went wrong on the way there, this node's or one upstream of it.)"""
        expected = self.expected_grads
        return expected is not None and not close(self.grads[node], expected[node])

    def steps_touching(self, node: int) -> list[int]:
        """Steps that compute `node`, read its value, seed it, pass its grad on, or add to its grad, in order."""
        consumers = self.consumers(node)
        steps = {self.backward_step_of(c) for c in consumers}
        steps.update(self.forward_step_of(c) for c in consumers)
        steps.update((self.forward_step_of(node), self.backward_step_of(node)))
        if node == self.output_index:
            steps.add(self.seed_step)
        steps.discard(None)
        return sorted(steps)  # type: ignore[arg-type]

    # --- describing steps -----------------------------------------------------------------------

    def name(self, node: int) -> str:
        """The node's label; a literal by its value (``2``); else a stable short id, ``#12`` (see `NodeNames`)."""
        return self.names[node]

    def symbol(self, node: int) -> str:
        """The name as an operand in a formula: ``(x1*w1 + x2*w2)`` keeps the arithmetic readable."""
        return self.names.symbol(node)

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
        findings = self.findings.get(index, ())
        if phase == "forward":
            text = (self._forward_text(node),)
            summary = "its value from its operands"
            return Step(index, phase, node, operands, self.values[node], text, (), findings, summary)
        if phase == "seed":
            name = self.symbol(node)
            text = f"{self.names.grad(node)} = 1.0   (d{name}/d{name}: the output against itself)"
            return Step(index, phase, node, operands, 1.0, (text,), summary="the backward pass starts at the output")
        contributions = self._contributions(node, index)
        text = tuple(self._contribution_text(node, j, c) for j, c in enumerate(contributions))
        upstream = contributions[0].upstream if contributions else self.grads[node]
        summary = self.ops[node].passes.format(
            *(self.symbol(o) for o in operands), grad=format_number(upstream), out=self.symbol(node)
        )
        return Step(index, phase, node, operands, upstream, text, contributions, findings, summary)

    def _forward_text(self, node: int) -> str:
        op, operands = self.ops[node], self.operands[node]
        names = [self.symbol(o) for o in operands]
        numbers = [format_number(self.values[o]) for o in operands]
        return (
            f"{self.name(node)} = {op.formula.format(*names)} = {op.formula.format(*numbers)}"
            f" = {format_number(self.values[node])}"
        )

    def upstream_at(self, step: int) -> float:
        """The grad the node of backward step `step` had when that step ran (what it passed on)."""
        node = self.node_of_step(step)
        upstream = self.recording.upstream
        return self.grads[node] if upstream is None else upstream[node]

    def _grad_before(self, node: int, step: int) -> float | None:
        """The grad of `node` just before step `step` (None: not computed yet)."""
        for e in range(self._edge_offset(step) - 1, self._edge_offset(self.seed_step + 1) - 1, -1):
            if self._edge_operand[e] == node:
                return self.edge_after[e]
        return 1.0 if node == self.output_index else None

    def _contributions(self, node: int, step: int) -> tuple[Contribution, ...]:
        """One per operand slot: the write that slot made (for a learner's class: none, maybe)."""
        operands, op = self.operands[node], self.ops[node]
        upstream = self.upstream_at(step)
        edges = self.edges_of(step)
        slot_edge = {}
        for k, e in enumerate(edges):
            j = k if self.edge_slot is None else self.edge_slot[e]
            if j >= 0:
                slot_edge[j] = e
        result = []
        for j, operand in enumerate(operands):
            e = slot_edge.get(j)
            local = self.edge_local[e] if e is not None else math.nan
            if e is None and op.known:
                try:
                    local = op.local(self.values[node], *(self.values[o] for o in operands))[j]
                except (ValueError, ArithmeticError):
                    local = math.nan
            if e is None:  # their _backward never wrote this operand's grad: it stays as it was
                before = self._grad_before(operand, step)
                after = 0.0 if before is None else before
            else:
                before = None if self.edge_first[e] else self.edge_before[e]
                after = self.edge_after[e]
            expected = None
            if op.known and not math.isnan(local):
                expected = (0.0 if before is None else before) + local * upstream
            result.append(
                Contribution(
                    operand=operand,
                    local=local,
                    local_text=local_derivative_text(self.names, node, operands, op, j),
                    upstream=upstream,
                    before=before,
                    after=after,
                    final=self.last_touch[operand] == step and self._last_slot_to(step, operand, slot_edge) == j,
                    expected_after=expected,
                    written=e is not None,
                )
            )
        return tuple(result)

    def _last_slot_to(self, step: int, operand: int, slot_edge: dict[int, int]) -> int:
        """The slot whose write to `operand` came last in the step (the one that leaves it final)."""
        last_e = max((e for e in self.edges_of(step) if self._edge_operand[e] == operand), default=None)
        return next((j for j, e in slot_edge.items() if e == last_e), -1)

    def _contribution_text(self, node: int, slot: int, c: Contribution) -> str:
        if not self.ops[node].known:
            added = c.after - (c.before or 0.0)
            return (
                f"{self.names.grad(c.operand)} += {format_number(added)}"
                f"   (op {str(self.ops[node])!r} is yours: mgtui shows what your _backward added)"
            )
        return chain_rule_text(self.names, node, self.operands[node], self.ops[node], slot, c.local, c.upstream)

    def nodes_changed_by(self, step: int) -> set[int]:
        """The step's node and every node whose value or grad the step set."""
        node = self.node_of_step(step)
        if step <= self.seed_step:
            return {node}
        return {node, *self.operands[node], *(self._edge_operand[e] for e in self.edges_of(step))}

    # --- checks ---------------------------------------------------------------------------------

    def numerical_grad(self, node: int, h: float = 1e-6) -> float:
        """The lecture's check of node's grad: bump it by h, rerun the forward pass, measure.

        The forward pass is rerun with the op table on the recorded values, so it works for a
        learner's own class too, as long as every op downstream of the node is one the engine knows.
        """
        return numerical_grad(self.values, self.operands, self.ops, node, h)

    def rebuilt(self) -> Timeline:
        """A new timeline from the same graph, picking up leaves whose data has changed."""
        return Timeline(self.output)


def numerical_grad(values, operands: list[tuple[int, ...]], ops: list[Op], node: int, h: float = 1e-6) -> float:
    """d output / d node measured the lecture's way, ``(f(x + h) - f(x)) / h``, over recorded arrays.

    The output is the last node; `node` is treated as an input (its value replaced, everything
    downstream recomputed from the op table), which is exactly what its grad claims to measure.
    Both runs use the op table, so a learner's own slightly different forward cannot leak into the
    difference.
    """
    return (
        _output_with(values, operands, ops, node, values[node] + h)
        - _output_with(values, operands, ops, node, values[node])
    ) / h


def _output_with(values, operands: list[tuple[int, ...]], ops: list[Op], node: int, value: float) -> float:
    """The output recomputed with `node` set to `value` (only what lies downstream of it)."""
    return forward_again(values, operands, ops, {node: value})[-1]


def forward_again(values, operands: list[tuple[int, ...]], ops: list[Op], changed: dict[int, float]) -> list[float]:
    """Every value after setting the nodes in `changed` and rerunning the forward pass from the op table.

    Only what lies downstream of a changed node is recomputed; everything else keeps its recorded
    value, bit for bit.
    """
    downstream = bytearray(len(operands))
    current = list(values)
    for node, value in changed.items():
        downstream[node] = 1
        current[node] = value
    marked, value_of = downstream.__getitem__, current.__getitem__
    for i in range(min(changed, default=len(operands)) + 1, len(operands)):
        these = operands[i]
        if any(map(marked, these)):  # map over the lists' own methods: this loop runs per node, per leaf checked
            downstream[i] = 1
            op = ops[i]
            if not op.known:
                raise ValueError(f"op {str(op)!r} is not one mgtui knows, so it cannot rerun the forward pass")
            current[i] = op.forward(*map(value_of, these))
    return current


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

    def flagged(self, node: int) -> bool:
        """Has a step of this node that disagrees with the chain rule been taken yet?"""
        step = self.timeline.flag_step.get(node)
        return step is not None and self.position > step

    def grad_is_final(self, node: int) -> bool:
        """Every consumer has passed this node its contribution (the output: once seeded)."""
        return self.position > self.timeline.last_touch[node]

    def grad_is_wrong(self, node: int) -> bool:
        """Final, and not what the chain rule gives (only a learner's pass can be wrong)."""
        return self.grad_is_final(node) and self.timeline.final_grad_is_wrong(node)

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

    def next_touching(self, *nodes: int) -> bool:
        """To just after the next step that involves any of `nodes` (see `Timeline.steps_touching`)."""
        steps = self._steps_touching(nodes)
        return self.seek(next((s + 1 for s in steps if s + 1 > self.position), self.position))

    def previous_touching(self, *nodes: int) -> bool:
        steps = self._steps_touching(nodes)
        return self.seek(next((s + 1 for s in reversed(steps) if s + 1 < self.position), self.position))

    def _steps_touching(self, nodes: tuple[int, ...]) -> list[int]:
        if len(nodes) == 1:
            return self.timeline.steps_touching(nodes[0])
        return sorted({s for node in nodes for s in self.timeline.steps_touching(node)})

    def next_flagged(self) -> bool:
        """To just after the next step that disagrees with the chain rule."""
        return self.seek(next((s + 1 for s in self.timeline.findings if s + 1 > self.position), self.position))

    def previous_flagged(self) -> bool:
        steps = reversed(list(self.timeline.findings))
        return self.seek(next((s + 1 for s in steps if s + 1 < self.position), self.position))

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
            grads, operand_of, after = self._grads, t._edge_operand, t.edge_after
            for e in t.edges_of(step):
                grads[operand_of[e]] = after[e]

    def _undo(self, step: int) -> None:
        t = self.timeline
        node = t.node_of_step(step)
        if step < t.seed_step:
            self._values[node] = None
        elif step == t.seed_step:
            self._grads[node] = None
        else:
            grads, operand_of, before, is_first = self._grads, t._edge_operand, t.edge_before, t.edge_first
            for e in reversed(t.edges_of(step)):
                grads[operand_of[e]] = None if is_first[e] else before[e]

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
