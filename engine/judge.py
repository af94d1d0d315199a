"""Hold every step of a learner's recorded pass against the chain rule, and say what went wrong.

For each step whose op the engine knows (`engine.ops`), the question is local: given the values and
the grads as they were just before this step, what should it have done? Judging each step from the
state it found — not from what a correct pass would have had — puts each bug on the step that made it,
instead of on every step downstream of it. The kinds of bug, in a learner's words:

- ``overwrote``: ``=`` where ``+=`` belongs ("a.grad was 1.0 and should have become 2.0; your
  _backward set it to 1.0");
- ``local``: a wrong local derivative ("expected n.grad += (1 − o²) · o.grad = 0.5 · 1.0 = 0.5,
  yours added 0.292893");
- ``no_flow``: no gradient reached an operand (a ``_backward`` never assigned to ``out._backward``);
- ``stray``: a grad changed on a node that is not one of the step's operands;
- ``forward``: a value that does not follow from its operands (a wrong ``__mul__``);
- ``raised`` and ``not_a_number``: a ``_backward`` that raised, or wrote a non-number into a grad.

Ops the engine does not know are not judged; the end-to-end checks (`engine.check`) still cover them.
"""

from __future__ import annotations

import math

from engine.observe import GradWrites, short_path
from engine.ops import Op
from engine.recording import Finding, Recording, chain_rule_text, format_number
from engine.text import printable


def close(got: float, expected: float) -> bool:
    """Equal up to float noise: the lecture's ``(e^2x − 1)/(e^2x + 1)`` is not bit for bit ``math.tanh``."""
    if got == expected or (math.isnan(got) and math.isnan(expected)):
        return True
    return math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9)


def judge(recording: Recording, log: GradWrites) -> dict[int, tuple[Finding, ...]]:
    """Every finding of the recorded pass, by step."""
    return _Judge(recording, log).run()


class _Judge:
    def __init__(self, recording: Recording, log: GradWrites) -> None:
        self.r = recording
        self.log = log
        self.findings: dict[int, list[Finding]] = {}

    def run(self) -> dict[int, tuple[Finding, ...]]:
        self.forward()
        self.backward()
        return {step: tuple(found) for step, found in sorted(self.findings.items())}

    # --- forward ----------------------------------------------------------------------------------

    def forward(self) -> None:
        """Does each value follow from its operands' values by its op?"""
        r = self.r
        values, ops, operands_of = r.values, r.ops, r.operands
        for step, i in enumerate(r.computed):
            op = ops[i]
            if not op.known:
                continue
            operands = operands_of[i]
            try:
                expected = op.forward(*[values[o] for o in operands])
            except (ValueError, ArithmeticError) as error:
                self._found(step, i, "forward", f"{self.name(i)} = {self._formula(i)}: the engine says {error}", i)
                continue
            got = values[i]
            if got != expected and not close(got, expected):
                numbers = op.formula.format(*(format_number(values[o]) for o in operands))
                message = (
                    f"{self.name(i)} should be {self._formula(i)} = {numbers} = {format_number(expected)}, "
                    f"but your code computed {format_number(got)} (look at {op.method})"
                )
                self._found(step, i, "forward", message, i, expected, got, _method_location(r.nodes[i], op))

    # --- backward ---------------------------------------------------------------------------------

    def backward(self) -> None:
        """Judge every backward step: all of them at once on the usual path, then each that is
        not (or raised) from the grads as they were when it began."""
        r = self.r
        suspects = set(_unusual_steps(r)) | {r.computed.index(i) for i in self.log.raised}
        if not suspects:
            return
        grads = [0.0] * len(r.nodes)  # the learner's grads, as the recorded writes leave them
        grads[-1] = 1.0
        edge_start, edge_operand, edge_after = r.edge_start, r.edge_operand, r.edge_after
        total = len(edge_operand)
        seed = r.seed_step
        computed = r.computed
        for k in range(len(computed) - 1, min(suspects) - 1, -1):
            i = computed[k]
            begin = edge_start[i]
            end = edge_start[computed[k - 1]] if k > 0 else total
            if k in suspects:
                step = 2 * seed - k
                if i in self.log.raised:
                    text, where = self.log.raised[i]
                    self._found(step, i, "raised", f"{self.name(i)}'s _backward raised {text}", where=where)
                self._judge_step(step, i, begin, end, grads)
            for e in range(begin, end):
                grads[edge_operand[e]] = edge_after[e]

    def _judge_step(self, step: int, node: int, begin: int, end: int, grads: list[float]) -> None:
        """Match the step's writes to the node's operand slots, then compare with the chain rule."""
        r = self.r
        operands, op = r.operands[node], r.ops[node]
        by_operand: dict[int, list[int]] = {}
        for e in range(begin, end):
            by_operand.setdefault(r.edge_operand[e], []).append(e)
            if e in self.log.not_numbers:
                self._not_a_number(step, node, e)
        slots: dict[int, list[int]] = {}
        for j, o in enumerate(operands):
            slots.setdefault(o, []).append(j)
        for o, written in by_operand.items():  # the k-th write to an operand belongs to its k-th slot
            for j, e in zip(slots.get(o, ()), written):
                r.edge_slot[e] = j
            if o not in slots:
                self._stray(step, node, o, written)
        if not op.known:
            return
        try:
            local = op.local(r.values[node], *[r.values[o] for o in operands])
        except (ValueError, ArithmeticError):
            return  # the forward finding already says what is wrong with these numbers
        upstream = r.upstream[node]
        for o, js in slots.items():
            for j, e in zip(js, by_operand.get(o, ())):
                r.edge_local[e] = local[j]
        if not any(o in slots for o in by_operand):
            if any(not close(local[j] * upstream, 0.0) for j in range(len(operands))):
                self._no_flow(step, node, upstream, local, grads)
            return
        for o, js in slots.items():
            self._judge_operand(step, node, o, js, by_operand.get(o, []), upstream, local, grads)

    def _judge_operand(
        self,
        step: int,
        node: int,
        o: int,
        js: list[int],
        written: list[int],
        upstream: float,
        local: tuple,
        grads: list[float],
    ) -> None:
        """One operand's grad after this step against ``grad += local · upstream`` for each of its slots."""
        r = self.r
        if len(written) == len(js):  # one write per use: judge each write on its own
            for j, e in zip(js, written):
                before = r.edge_before[e]
                self._judge_write(step, node, o, j, before, before + local[j] * upstream, r.edge_after[e], local)
            return
        # Some other number of writes: judge what they add up to.
        before = r.edge_before[written[0]] if written else grads[o]
        expected = before
        for j in js:
            expected = expected + local[j] * upstream
        after = r.edge_after[written[-1]] if written else before
        self._judge_write(step, node, o, js[-1], before, expected, after, local, uses=len(js))

    def _judge_write(
        self,
        step: int,
        node: int,
        o: int,
        j: int,
        before: float,
        expected: float,
        after: float,
        local: tuple,
        uses: int = 1,
    ) -> None:
        if close(after, expected):
            return
        upstream = self.r.upstream[node]
        name, where = self.name(o), _backward_location(self.r.nodes[node])
        term = local[j] * upstream
        if not close(before, 0.0) and close(after, term):
            message = (
                f"{name}.grad was {format_number(before)} and should have become {format_number(expected)}; "
                f"your _backward set it to {format_number(after)} (use += so contributions add up)"
            )
            self._found(step, node, "overwrote", message, o, expected, after, where)
            return
        if uses > 1 and close(after, before + term):
            message = (
                f"{name} is used {uses} times by {self.name(node)}, so {name}.grad should have become "
                f"{format_number(expected)}; your _backward left {format_number(after)} (use += so both add up)"
            )
            self._found(step, node, "overwrote", message, o, expected, after, where)
            return
        equation = self._equation(node, j, local[j], upstream)
        if close(after, before):
            message = (
                f"no gradient reached {name}: expected {equation}, yours left {name}.grad at {format_number(after)}"
            )
            self._found(step, node, "no_flow", message, o, expected, after, where)
            return
        message = f"expected {equation}, yours added {format_number(after - before)}"
        self._found(step, node, "local", message, o, expected, after, where)

    def _no_flow(self, step: int, node: int, upstream: float, local: tuple, grads: list[float]) -> None:
        r = self.r
        j = next(j for j in range(len(local)) if not close(local[j] * upstream, 0.0))
        message = (
            f"{self.name(node)}'s _backward changed no grad, but {self.name(node)}.grad = "
            f"{format_number(upstream)} should flow on (expected {self._equation(node, j, local[j], upstream)})"
        )
        if _does_nothing(r.nodes[node]._backward):
            method = r.ops[node].method or "the method that builds it"
            message += f"; its _backward is the default that does nothing: is out._backward assigned in {method}?"
        o = r.operands[node][j]
        where = _backward_location(r.nodes[node])
        self._found(step, node, "no_flow", message, o, grads[o] + local[j] * upstream, grads[o], where)

    def _stray(self, step: int, node: int, o: int, written: list[int]) -> None:
        r = self.r
        before, after = r.edge_before[written[0]], r.edge_after[written[-1]]
        message = (
            f"{self.name(node)}'s _backward changed {self.name(o)}.grad ({format_number(before)} → "
            f"{format_number(after)}), but {self.name(o)} is not an operand of {self.name(node)}"
        )
        self._found(step, node, "stray", message, o, before, after, _backward_location(r.nodes[node]))

    def _not_a_number(self, step: int, node: int, e: int) -> None:
        o = self.r.edge_operand[e]
        message = (
            f"{self.name(node)}'s _backward made {self.name(o)}.grad a {self.log.not_numbers[e]}, not a number"
            " (multiply by .data, not by the Value)"
        )
        self._found(step, node, "not_a_number", message, o, where=_backward_location(self.r.nodes[node]))

    # --- words ----------------------------------------------------------------------------------

    def name(self, node: int) -> str:
        return self.r.names[node]

    def _formula(self, node: int) -> str:
        names = [self.r.names.symbol(o) for o in self.r.operands[node]]
        return self.r.ops[node].formula.format(*names)

    def _equation(self, node: int, j: int, local: float, upstream: float) -> str:
        r = self.r
        return chain_rule_text(r.names, node, r.operands[node], r.ops[node], j, local, upstream)

    def _found(
        self,
        step: int,
        node: int,
        kind: str,
        message: str,
        operand: int | None = None,
        expected: float | None = None,
        got: float | None = None,
        where: str = "",
    ) -> None:
        # Messages quote the learner's labels, code locations and exception texts: one printable line.
        finding = Finding(step, node, kind, printable(message), operand, expected, got, printable(where))
        self.findings.setdefault(step, []).append(finding)


def _unusual_steps(r: Recording) -> list[int]:
    """The forward index k of every computed node whose backward step is not the usual one: one
    write per operand slot, in slot order, each adding ``local · upstream`` as the op table says.

    This runs once per node of graphs of tens of thousands, so it is one loop with everything in
    local names; the steps that pass also get their writes' slots and local derivatives recorded.
    """
    unusual = []
    computed, operands_of, ops, values, upstream = r.computed, r.operands, r.ops, r.values.tolist(), r.upstream
    edge_start, edge_operand = r.edge_start, r.edge_operand.tolist()
    before, after = r.edge_before.tolist(), r.edge_after.tolist()
    edge_local, edge_slot = r.edge_local, r.edge_slot
    total = len(edge_operand)
    for k, i in enumerate(computed):
        op = ops[i]
        if not op.known:
            unusual.append(k)
            continue
        begin = edge_start[i]
        end = edge_start[computed[k - 1]] if k > 0 else total  # edges run in backward order
        operands = operands_of[i]
        up = upstream[i]
        try:
            if len(operands) == 2:
                a, b = operands
                if end - begin != 2 or edge_operand[begin] != a or edge_operand[begin + 1] != b:
                    unusual.append(k)
                    continue
                la, lb = op.local(values[i], values[a], values[b])
                ea, eb = before[begin] + la * up, before[begin + 1] + lb * up
                ga, gb = after[begin], after[begin + 1]
                if (ga != ea and not close(ga, ea)) or (gb != eb and not close(gb, eb)):
                    unusual.append(k)
                    continue
                edge_local[begin], edge_local[begin + 1] = la, lb
                edge_slot[begin], edge_slot[begin + 1] = 0, 1
            else:
                (a,) = operands
                if end - begin != 1 or edge_operand[begin] != a:
                    unusual.append(k)
                    continue
                (la,) = op.local(values[i], values[a])
                ea, ga = before[begin] + la * up, after[begin]
                if ga != ea and not close(ga, ea):
                    unusual.append(k)
                    continue
                edge_local[begin] = la
                edge_slot[begin] = 0
        except (ValueError, ArithmeticError):
            unusual.append(k)
    return unusual


def _does_nothing(function: object) -> bool:
    """micrograd's default ``lambda: None``: no writes, nothing but a constant return."""
    code = getattr(getattr(function, "__func__", function), "__code__", None)
    return code is not None and not code.co_names and not code.co_freevars


def _backward_location(node: object) -> str:
    backward = node._backward
    code = getattr(getattr(backward, "__func__", backward), "__code__", None)
    return f"{short_path(code.co_filename)}:{code.co_firstlineno}" if code is not None else ""


def _method_location(node: object, op: Op) -> str:
    method = getattr(type(node), op.method, None) if op.method else None
    code = getattr(method, "__code__", None)
    return f"{short_path(code.co_filename)}:{code.co_firstlineno}" if code is not None else ""
