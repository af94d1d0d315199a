"""Stepping and checking a learner's own Value class: micrograd 0.1.0's, the lecture's, and buggy ones.

The timeline of such a graph runs the class's own ``_backward`` closures one node at a time and
records what each did; every step is judged against the op table, and the final grads are compared
end to end with the engine, the numerical derivative, PyTorch and the class's own ``backward()``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from engine.check import (
    against_engine,
    against_numerical,
    against_own_backward,
    against_torch,
    end_to_end,
    engine_grads,
)
from engine.data import moons
from engine.foreign import GraphError, walk
from engine.stepping import Cursor, Timeline
from engine.value import Value
from tests import own_values as ov
from tests.test_stepping import assert_states_identical

micrograd = pytest.importorskip("micrograd.engine", reason="micrograd 0.1.0 is in the test extra")


def index_of(t: Timeline, node: object) -> int:
    return next(i for i, n in enumerate(t.nodes) if n is node)


def grad_of(t: Timeline, node: object) -> float:
    return t.grads[index_of(t, node)]


def kinds(t: Timeline) -> list[tuple[int, str]]:
    return [(step, f.kind) for step, found in t.findings.items() for f in found]


def messages(t: Timeline) -> list[str]:
    return [f.message for found in t.findings.values() for f in found]


# --- micrograd 0.1.0's own Value --------------------------------------------------------------------


def micrograd_sanity():
    """micrograd's test_sanity_check expression: y = -20, dy/dx = 46."""
    Value = micrograd.Value
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return y, x


def test_micrograd_s_own_value_steps_to_its_test_numbers():
    y, x = micrograd_sanity()
    t = Timeline(y)
    assert t.observed and t.values[-1] == -20.0
    assert grad_of(t, x) == 46.0
    assert t.findings == {}
    assert t.name(index_of(t, x)) == f"#{index_of(t, x)}"  # no labels: a float leaf keeps a short id...
    two = next(i for i, n in enumerate(t.nodes) if not t.operands[i] and n.data == 2)
    assert t.name(two) == "2"  # ...and the literal 2 of `2 * x` (an int micrograd wrapped) reads as itself
    assert t.name(t.output_index) == f"#{t.output_index}"  # a computed node by its place


def test_micrograd_s_more_ops_expression_gives_its_test_numbers():
    Value = micrograd.Value
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    t = Timeline(g)
    assert t.values[-1] == pytest.approx(24.70408163265306, abs=1e-6)
    assert grad_of(t, a) == pytest.approx(138.83381924198252, abs=1e-6)
    assert grad_of(t, b) == pytest.approx(645.5772594752186, abs=1e-6)
    assert t.findings == {}
    assert all(c.agrees for c in end_to_end(t) if c.status != "unavailable")


def test_the_operand_order_does_not_depend_on_where_objects_live_in_memory():
    """A set of operands iterates by address; mgtui reads the order from the closures instead, so
    two runs of the same code (different addresses, padded differently) walk the same graph."""
    program = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {sys.path[0]!r})
        from micrograd.engine import Value
        from engine.foreign import walk
        padding = [Value(0.0) for _ in range(int(sys.argv[1]))]
        products = [Value(float(k)) * Value(-float(k)) for k in range(1, 30)]
        print([[p.data for p in product._prev] for product in products])  # the sets' own order
        shape = walk(sum(products))
        print([str(op) for op in shape.ops], shape.operands, [n.data for n in shape.nodes])
        """
    )
    runs = [
        subprocess.run([sys.executable, "-c", program, str(pad)], capture_output=True, text=True, check=True).stdout
        for pad in (0, 1, 3, 7, 333)
    ]
    set_orders = {run.splitlines()[0] for run in runs}
    walks = {run.splitlines()[1] for run in runs}
    assert len(set_orders) > 1  # the sets do iterate differently from run to run...
    assert len(walks) == 1  # ...and the walk does not
    walk_line = walks.pop()
    for k in range(1, 30):  # each product's operands in the order the code wrote them: k, then -k
        assert f"{k}.0, -{k}.0, -{k * k}.0" in walk_line


def test_operands_come_in_the_order_the_operator_names_them():
    x = ov.Mini(5.0, label="x")
    y = ov.Mini(2.0, label="y")
    diff = y - x  # y + (x * -1): y first, then the product
    t = Timeline(diff)
    out = t.output_index
    assert [t.name(o) for o in t.operands[out]] == ["y", f"#{t.operands[out][1]}"]
    prod = t.operands[out][1]
    assert t.name(t.operands[prod][0]) == "x"


def test_a_node_used_twice_by_one_op_keeps_both_operand_slots():
    a = ov.Mini(3.0, label="a")
    square = a * a
    t = Timeline(square)
    assert t.operands[t.output_index] == (0, 0)
    assert t.grads[0] == 6.0 and t.findings == {}
    step = t.step(len(t) - 1)
    assert [c.after for c in step.contributions] == [3.0, 6.0]  # each use's write, in order


# --- the lecture's class ----------------------------------------------------------------------------


def test_the_lecture_s_class_gives_the_lecture_s_neuron_grads():
    o, nodes = ov.neuron()
    t = Timeline(o)
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    for name, grad in expected.items():
        assert grad_of(t, nodes[name]) == pytest.approx(grad, abs=1e-12)
    assert t.findings == {}
    assert [t.name(i) for i in t.computed] == ["x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"]


def test_a_correct_class_with_shared_nodes_reports_nothing():
    f, nodes = ov.reuse()
    t = Timeline(f)
    assert (grad_of(t, nodes["a"]), grad_of(t, nodes["b"])) == (-3.0, -8.0)
    assert t.findings == {}
    assert all(c.agrees for c in end_to_end(t, lambda: ov.reuse()[0]) if c.status != "unavailable")


def test_stepping_a_learner_s_pass_back_restores_every_recorded_number():
    f, _ = ov.reuse(ov.Overwrites)  # buggy on purpose: their numbers, not the right ones, come back
    t = Timeline(f)
    walker = Cursor(t)
    states = []
    while True:
        states.append(Cursor(t, walker.position))
        if not walker.next():
            break
    while walker.previous():
        assert_states_identical(walker, states[walker.position])


# --- each kind of bug, found and worded -------------------------------------------------------------


def test_overwriting_instead_of_accumulating_is_found_on_the_second_use():
    o, nodes = ov.doubled(ov.Overwrites)
    t = Timeline(o)
    [(step, kind)] = kinds(t)
    assert kind == "overwrote" and t.node_of_step(step) == index_of(t, nodes["n"])
    [finding] = t.findings[step]
    assert finding.message == (
        "a.grad was 0.5 and should have become 1.0; your _backward set it to 0.5 (use += so contributions add up)"
    )
    assert finding.where.endswith("own_values.py:101")  # where that _backward is defined
    first, second = t.step(step).contributions
    assert first.agrees and not second.agrees and second.expected_after == pytest.approx(1.0)


def test_a_wrong_local_derivative_is_found_with_both_numbers():
    o, nodes = ov.neuron(ov.WrongTanh)
    t = Timeline(o)
    [(step, kind)] = kinds(t)
    assert kind == "local" and t.node_of_step(step) == index_of(t, nodes["o"])
    assert messages(t) == ["expected n.grad += (1 − o²) · o.grad = 0.5 · 1.0 = 0.5, yours added 0.292893"]


def test_final_grads_a_bug_upstream_made_wrong_are_told_apart_from_right_ones():
    o, nodes = ov.neuron(ov.WrongTanh)  # only o's step is wrong, but every grad below it inherits it
    t = Timeline(o)
    wrong = {name for name, node in nodes.items() if t.final_grad_is_wrong(index_of(t, node))}
    assert wrong == {"n", "x1", "w1", "x2", "b"}  # w2.grad is x2 · … = 0 either way; o.grad is the seed
    assert t.expected_grads[index_of(t, nodes["x1"])] == pytest.approx(-1.5)
    cursor = Cursor(t)
    x1 = index_of(t, nodes["x1"])
    assert not cursor.grad_is_wrong(x1)  # not final yet: nothing to say
    cursor.seek(len(t))
    assert cursor.grad_is_wrong(x1)


def engine_values_grads(t: Timeline) -> list[float]:
    """The graph built again with the engine's own `Value`, and its backward()."""
    built: list[Value] = []
    for i, operands in enumerate(t.operands):
        children = tuple(built[o] for o in operands)
        data = t.ops[i].forward(*(c.data for c in children)) if children else t.values[i]
        built.append(Value(data, children, t.ops[i]))
    built[-1].backward()
    return [node.grad for node in built]


@pytest.mark.parametrize("graph", ["neuron", "reuse", "doubled", "moons"])
def test_the_chain_rule_s_grads_are_the_engine_s_own_backward_bit_for_bit(graph):
    if graph == "moons":  # micrograd's demo loss, small, with micrograd's own Value and MLP
        from micrograd.nn import MLP

        xs, ys = moons(12)
        model = MLP(2, [4, 4, 1])
        scores = [model(list(map(micrograd.Value, x))) for x in xs]
        losses = [(1 + -y * score).relu() for y, score in zip(ys, scores)]
        output = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    else:
        output, _ = getattr(ov, graph)(ov.WrongTanh)  # the learner's numbers are wrong; the expected ones not
    t = Timeline(output)
    assert engine_grads(t) == engine_values_grads(t)


def test_nothing_is_called_wrong_without_a_chain_rule_to_hold_it_against():
    correct, _ = ov.neuron(ov.Mini)
    engine_graph, _ = ov.neuron(Value)
    a, b = ov.Mini(3.0, label="a"), ov.Mini(2.0, label="b")
    unknown = ov.custom_op(a, b)
    for t in (Timeline(correct), Timeline(engine_graph), Timeline(unknown)):
        assert not any(t.final_grad_is_wrong(i) for i in range(len(t.nodes)))
    assert Timeline(engine_graph).expected_grads is None  # the engine's own pass is the chain rule
    assert Timeline(unknown).expected_grads is None  # no mirror for an op the engine does not know


def test_a_backward_never_assigned_is_no_gradient_flowing():
    o, _ = ov.neuron(ov.ForgetsBackward)
    t = Timeline(o)
    found = [f for fs in t.findings.values() for f in fs]
    assert {f.kind for f in found} == {"no_flow"}
    assert {t.name(f.node) for f in found} == {"x1*w1", "x2*w2"}
    x1w1 = next(f for f in found if t.name(f.node) == "x1*w1")
    assert x1w1.message.startswith("x1*w1's _backward changed no grad, but x1*w1.grad = 0.5 should flow on")
    assert "is out._backward assigned in __mul__?" in x1w1.message


def test_a_grad_changed_on_a_node_that_is_not_an_operand_is_stray():
    a, bystander = ov.Mini(0.5, label="a"), ov.Mini(1.0, label="c")
    o = ov.stray_op(a, bystander) + bystander
    o.label = "o"
    t = Timeline(o)
    [(step, kind)] = kinds(t)
    assert kind == "stray"
    tanh = t.operands[t.output_index][0]
    assert messages(t)[0] == f"{t.name(tanh)}'s _backward changed c.grad (1.0 → 2.0), but c is not an operand of #1"
    # the stray write is part of the step: stepping over it and back restores c's grad
    cursor = Cursor(t, step)
    before = cursor.grad(index_of(t, bystander))
    cursor.next()
    assert cursor.grad(index_of(t, bystander)) == before + 1.0
    cursor.previous()
    assert cursor.grad(index_of(t, bystander)) == before


def test_a_forward_value_that_does_not_follow_from_its_operands():
    f, _ = ov.reuse(ov.WrongProduct)
    t = Timeline(f)
    forward = [f for fs in t.findings.values() for f in fs if f.kind == "forward"]
    assert forward and forward[0].message.startswith(
        "d should be a · b = -2.0 · 3.0 = -6.0, but your code computed 1.0"
    )
    assert "(look at __mul__)" in forward[0].message and "own_values.py" in forward[0].where


def test_a_grad_that_became_a_value_is_not_a_number():
    f, _ = ov.reuse(ov.PassesValues)
    t = Timeline(f)
    assert "not_a_number" in {kind for _, kind in kinds(t)}
    assert any("a Mini" in m or "a PassesValues" in m for m in messages(t))


def test_a_backward_that_raises_is_reported_on_its_step_and_the_pass_goes_on():
    o, _ = ov.neuron(ov.RaisesInTanh)
    t = Timeline(o)
    raised = [f for fs in t.findings.values() for f in fs if f.kind == "raised"]
    assert raised[0].message == "o's _backward raised ZeroDivisionError: a learner's mistake"
    assert "own_values.py" in raised[0].where
    assert len(t) == 11  # every step is there


def test_unknown_ops_are_shown_but_not_judged():
    a, b = ov.Mini(3.0, label="a"), ov.Mini(2.0, label="b")
    out = ov.custom_op(a, b)
    t = Timeline(out)
    assert t.findings == {} and not t.ops[t.output_index].known
    assert (grad_of(t, a), grad_of(t, b)) == (12.0, 9.0)
    step = t.step(len(t) - 1)
    assert step.text[0].startswith("a.grad += 12.0   (op 'sqmul' is yours")
    assert against_engine(t).status == "unavailable"
    assert against_numerical(t).status == "unavailable"


def test_a_cycle_is_refused_with_its_nodes_named():
    a, b = ov.Mini(1.0, label="a"), ov.Mini(2.0, label="b")
    c = a + b
    c.label = "c"
    a._prev = {c}
    with pytest.raises(GraphError, match=r"cycle: .*a.*c.*a"):
        walk(c)


def test_an_operand_that_is_not_a_value_is_named():
    a = ov.Mini(1.0, label="a")
    out = a * 2
    out._prev = {a, 3.0}
    with pytest.raises(GraphError, match="is not a Value: it has no data"):
        Timeline(out)


# --- end to end ---------------------------------------------------------------------------------------


def test_end_to_end_the_bugs_show_against_every_measure():
    o, _ = ov.doubled(ov.Overwrites)
    t = Timeline(o)
    engine = against_engine(t)
    assert engine.differs and "worst a.grad: 0.5 stepping your _backward, 1.0 by mgtui's engine" in engine.detail
    assert against_numerical(t).differs


def test_pytorch_sees_the_same_grads_as_the_lecture_class():
    pytest.importorskip("torch")
    o, _ = ov.neuron()
    assert against_torch(Timeline(o)).agrees
    o, _ = ov.neuron(ov.WrongTanh)
    assert against_torch(Timeline(o)).differs


def test_the_learner_s_own_backward_is_run_once_and_compared():
    o, _ = ov.neuron()
    assert against_own_backward(Timeline(o), lambda: ov.neuron()[0]).agrees


def test_a_broken_topological_sort_is_caught_by_running_their_backward():
    o, _ = ov.neuron(ov.SortsBackwards)
    t = Timeline(o)
    assert t.findings == {}  # node by node, in mgtui's order, every step is right
    result = against_own_backward(t, lambda: ov.neuron(ov.SortsBackwards)[0])
    assert result.differs
    assert "before that of" in result.detail and "check the topological sort" in result.detail


def test_a_recursive_backward_on_a_deep_graph_is_reported_not_crashed():
    def deep():
        x = ov.Mini(0.5, label="x")
        for _ in range(3000):
            x = x * 1.0
        return x

    t = Timeline(deep())
    result = against_own_backward(t, deep)
    assert result.differs and "recursion limit" in result.detail


class Differences(ov.Mini):
    """A learner's class with ``-`` and ``/`` as ops of their own (the engine spells them with + * **)."""

    def __sub__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data - other.data, (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad += -out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += (1 / other.data) * out.grad
            other.grad += (-self.data / other.data**2) * out.grad

        out._backward = _backward
        return out


def test_a_learner_s_own_minus_and_divide_say_what_they_do_and_judge_as_the_table_says():
    a, b = Differences(6.0, label="a"), Differences(2.0, label="b")
    d = a - b
    d.label = "d"
    q = d / b
    q.label = "q"
    t = Timeline(q)
    assert t.findings == {}
    steps = {t.name(t.step(k).node): t.step(k) for k in range(t.seed_step + 1, len(t))}
    assert steps["q"].summary == "d gets its grad 1.0 times 1/b; b gets it times −d/b²"
    assert steps["q"].text == (
        "d.grad += (1/b) · q.grad = 0.5 · 1.0 = 0.5",
        "b.grad += (−d/b²) · q.grad = -1.0 · 1.0 = -1.0",
    )
    assert steps["d"].summary == "passes its grad 0.5 to a, and its negative to b"
    assert steps["d"].text == ("a.grad += 1 · d.grad = 1.0 · 0.5 = 0.5", "b.grad += (−1) · d.grad = -1.0 · 0.5 = -0.5")
