"""End-to-end checks of a recorded pass: are the final grads right, by four independent measures?

The step-by-step judgement (`engine.observe`) says which step of a learner's code went wrong. These
checks compare the grads the whole pass ended with (their code's, or the engine's own) against:

- `against_engine`: mgtui's engine on the same graph (its op table, the same leaves);
- `against_numerical`: the lecture's numerical derivative ``(L(x+h) − L(x))/h`` of each leaf;
- `against_torch`: PyTorch in float64, when it is installed (the lecture's last section);
- `against_own_backward`: the learner's own ``backward()`` run once on a fresh graph, which
  catches what stepping node by node cannot: a topological sort that calls a node's ``_backward``
  before every consumer has passed it its grad.

Each returns a `Comparison`: agree, differ (with the worst node) or unavailable (and why).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from engine.foreign import GraphError, walk
from engine.judge import close
from engine.recording import format_number
from engine.stepping import Timeline
from engine.text import printable
from engine.value import Value, topological_order

NUMERICAL_BUDGET = 3_000_000  # op evaluations the numerical check may spend (each leaf costs one pass)


@dataclass(frozen=True)
class Comparison:
    """The pass's final grads against one other measure."""

    against: str
    status: str  # "agree", "differ" or "unavailable"
    detail: str  # one line: what was compared and what came out
    rows: tuple[tuple[int, float, float, bool], ...] = ()  # (node, the pass's grad, this measure's, agree?)

    def __post_init__(self) -> None:  # a detail may quote the learner's exception: shown, so one printable line
        object.__setattr__(self, "detail", printable(self.detail))

    @property
    def agrees(self) -> bool:
        return self.status == "agree"

    @property
    def differs(self) -> bool:
        return self.status == "differ"


def end_to_end(timeline: Timeline, fresh_output: Callable[[], object] | None = None) -> list[Comparison]:
    """Every measure that applies to this timeline (the learner's backward() only with `fresh_output`)."""
    comparisons = [against_engine(timeline), against_numerical(timeline), against_torch(timeline)]
    if fresh_output is not None:
        comparisons.append(against_own_backward(timeline, fresh_output))
    return comparisons


def _compare(
    timeline: Timeline,
    against: str,
    nodes: list[int],
    theirs: list[float],
    agree: Callable[[float, float], bool],
    what: str,
) -> Comparison:
    rows = tuple((i, timeline.grads[i], g, agree(timeline.grads[i], g)) for i, g in zip(nodes, theirs))
    wrong = [row for row in rows if not row[3]]
    if not wrong:
        return Comparison(against, "agree", f"all {len(rows)} {what} agree", rows)
    i, mine, other, _ = max(wrong, key=lambda row: _gap(row[1], row[2]))
    detail = (
        f"{len(wrong)} of {len(rows)} {what} differ; worst {timeline.name(i)}.grad: {format_number(mine)} "
        f"{'stepping your _backward' if timeline.observed else 'stepped'}, {format_number(other)} by {against}"
    )
    return Comparison(against, "differ", detail, rows)


def _gap(a: float, b: float) -> float:
    gap = abs(a - b)
    return math.inf if math.isnan(gap) else gap


# --- mgtui's engine -------------------------------------------------------------------------------


def engine_grads(timeline: Timeline) -> list[float]:
    """Every grad of the timeline's graph as mgtui's engine computes it: the values again from the
    leaves by the op table's forward rules, then ``operand.grad += local · node.grad`` in reverse
    topological order, as the engine's ``Value._backward`` does (on arrays: no mirror nodes to build)."""
    unknown = sorted({str(op) for op in timeline.ops if not op.known})
    if unknown:
        raise GraphError(f"it uses ops mgtui does not know ({', '.join(map(repr, unknown))})")
    operands, ops = timeline.operands, timeline.ops
    values = timeline.values.tolist()  # the leaves' data; every computed value is computed again
    for i in timeline.computed:  # forward_again's pass with nothing to mark: every node is downstream
        values[i] = ops[i].forward(*[values[o] for o in operands[i]])
    grads = [0.0] * len(values)
    grads[-1] = 1.0
    for i in reversed(timeline.computed):
        upstream, these = grads[i], operands[i]
        for o, local in zip(these, ops[i].local(values[i], *[values[o] for o in these])):
            grads[o] += local * upstream
    return grads


def against_engine(timeline: Timeline) -> Comparison:
    against = "mgtui's engine"
    try:
        grads = timeline.expected_grads or engine_grads(timeline)  # None: computed again, to say why
    except (GraphError, ValueError, ArithmeticError) as error:
        return Comparison(against, "unavailable", f"the engine cannot rebuild this graph: {error}")
    return _compare(timeline, against, list(range(len(grads))), grads, close, "grads")


# --- the numerical derivative ---------------------------------------------------------------------


def against_numerical(timeline: Timeline, h: float = 1e-6) -> Comparison:
    """Each leaf's grad against ``(L(x+h) − L(x))/h``; on a big graph, the leaves with the largest
    grads up to a budget (every leaf costs a forward pass)."""
    against = "the numerical derivative"
    leaves = [i for i, operands in enumerate(timeline.operands) if not operands]
    if not leaves:
        return Comparison(against, "unavailable", "the graph is a single leaf")
    affordable = max(1, NUMERICAL_BUDGET // max(1, len(timeline.nodes)))
    chosen = sorted(leaves, key=lambda i: -abs(timeline.grads[i]))[:affordable]
    try:
        numbers = [timeline.numerical_grad(i, h) for i in chosen]
    except (ValueError, ArithmeticError) as error:
        return Comparison(against, "unavailable", f"cannot rerun the forward pass: {error}")
    what = "leaf grads" if len(chosen) == len(leaves) else f"leaf grads (the {len(chosen)} largest of {len(leaves)})"
    return _compare(timeline, against, chosen, numbers, _numerically_close, what)


def _numerically_close(backprop: float, numerical: float) -> bool:
    """A forward difference is good to about h·f'': the lecture's tolerance, scaled by size."""
    if math.isnan(backprop) or math.isnan(numerical):
        return math.isnan(backprop) and math.isnan(numerical)
    return abs(backprop - numerical) <= 1e-4 * max(1.0, abs(backprop), abs(numerical))


# --- PyTorch --------------------------------------------------------------------------------------

_TORCH_OPS: dict[str, Callable] = {
    "+": lambda a, b: a + b,
    "*": lambda a, b: a * b,
    "-": lambda a, b: a - b,
    "/": lambda a, b: a / b,
    "tanh": lambda a: a.tanh(),
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "ReLU": lambda a: a.relu(),
    "sigmoid": lambda a: a.sigmoid(),
}


def against_torch(timeline: Timeline) -> Comparison:
    """The same graph rebuilt in torch float64 scalars; every node's grad side by side."""
    against = "PyTorch"
    try:
        import torch
    except ImportError:
        return Comparison(against, "unavailable", "PyTorch is not installed (pip install torch)")
    unknown = sorted({str(op) for op in timeline.ops if not op.known})
    if unknown:
        return Comparison(against, "unavailable", f"it uses ops mgtui does not know ({', '.join(map(repr, unknown))})")
    tensors = []
    for i, operands in enumerate(timeline.operands):
        if not operands:
            tensor = torch.tensor(timeline.values[i], dtype=torch.float64, requires_grad=True)
        else:
            op = timeline.ops[i]
            args = [tensors[o] for o in operands]
            tensor = args[0] ** op.exponent if op.exponent is not None else _TORCH_OPS[str(op)](*args)
            tensor.retain_grad()
        tensors.append(tensor)
    tensors[-1].backward()
    grads = [0.0 if t.grad is None else t.grad.item() for t in tensors]
    return _compare(timeline, against, list(range(len(tensors))), grads, close, "grads")


# --- the learner's own backward() -----------------------------------------------------------------


def against_own_backward(timeline: Timeline, fresh_output: Callable[[], object]) -> Comparison:
    """Build the graph again, run its own ``backward()`` once, compare with the node-by-node pass.

    While it runs, the order of the ``_backward`` calls is noted: if a node's runs before all of
    its consumers', the topological sort is wrong, and the comparison says so.
    """
    against = "your backward()" if timeline.observed else "backward()"
    output = fresh_output()
    backward = getattr(output, "backward", None)
    if not callable(backward):
        return Comparison(against, "unavailable", f"{type(output).__name__} has no backward() method")
    try:
        shape = walk(output) if not isinstance(output, Value) else None
    except GraphError as error:
        return Comparison(against, "unavailable", f"the second graph cannot be walked: {error}")
    nodes = shape.nodes if shape is not None else topological_order(output)
    if len(nodes) != len(timeline.nodes) or (shape is not None and shape.operands != timeline.operands):
        return Comparison(against, "unavailable", "graph() built a different graph the second time")
    originals = [node._backward for node in nodes] if shape is not None else None
    calls = _note_backward_calls(nodes) if shape is not None else None
    for node in nodes:
        node.grad = 0.0
    try:
        backward()
    except RecursionError:
        return Comparison(
            against,
            "differ",
            "your backward() hit Python's recursion limit (a recursive topological sort on a deep graph)",
        )
    except BaseException as error:  # their code: sys.exit() in it too, which must not end mgtui
        if isinstance(error, KeyboardInterrupt) and threading.current_thread() is threading.main_thread():
            raise  # the user's own Ctrl+C
        return Comparison(against, "differ", f"your backward() raised {type(error).__name__}: {error}")
    finally:
        if originals is not None:
            for node, original in zip(nodes, originals):
                node._backward = original
    result = _compare(timeline, against, list(range(len(nodes))), [float(n.grad) for n in nodes], close, "grads")
    if result.differs and calls is not None:
        early = _called_too_early(timeline, calls)
        if early is not None:
            node, consumer = early
            detail = (
                f"{result.detail}; it called {_in_prose(timeline, node)}'s _backward before that of "
                f"{_in_prose(timeline, consumer)}, which uses it: check the topological sort"
            )
            return Comparison(against, "differ", detail, result.rows)
    return result


def _note_backward_calls(nodes: list) -> list[int]:
    """Wrap each node's ``_backward`` (on this throwaway graph) to note the order of the calls."""
    calls: list[int] = []
    for i, node in enumerate(nodes):
        original = node._backward

        def noted(i=i, original=original):
            calls.append(i)
            return original()

        node._backward = noted
    return calls


def _in_prose(timeline: Timeline, node: int) -> str:
    """A node's name inside a sentence: ``x1*w1``, but ``(x1*w1 + x2*w2)``."""
    name = timeline.name(node)
    return f"({name})" if " " in name else name


def _called_too_early(timeline: Timeline, calls: list[int]) -> tuple[int, int] | None:
    """The first node whose ``_backward`` ran while a consumer's had not yet. A leaf's does nothing,
    so one with operands is named first, whose early call passed on a grad not yet complete."""
    called: set[int] = set()
    early: tuple[int, int] | None = None
    for node in calls:
        for consumer in timeline.consumers(node):
            if consumer not in called and timeline.operands[consumer]:
                if timeline.operands[node]:
                    return node, consumer
                early = early or (node, consumer)
        called.add(node)
    return early
