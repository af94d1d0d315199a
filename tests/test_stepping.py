"""The stepping model: a Timeline of the forward and backward pass, walked both ways by a Cursor.

Every state a cursor reaches is checked against a reference computed here independently (micrograd's
recursive topological sort and the lecture's derivative formulas, one step at a time), against a fresh
cursor seek()ed to the same position, and, at the end, against `Value.backward()` bit for bit.
"""

from __future__ import annotations

import math
import random
import struct
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data import moons
from engine.nn import MLP
from engine.stepping import Contribution, Cursor, Step, Timeline, format_number
from engine.train import Trainer, Training
from engine.value import Value, topological_order

# --- comparing numbers bit for bit ---------------------------------------------------------------


def same(x: float | None, y: float | None) -> bool:
    """Equal bits (nan equals nan, 0.0 differs from -0.0); None only equals None."""
    if x is None or y is None:
        return x is None and y is None
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return struct.pack("<d", x) == struct.pack("<d", y)


def identical(x: float | None, y: float | None) -> bool:
    """`same`, and of the same type: a state reached two ways holds the very same kind of number."""
    return same(x, y) and type(x) is type(y)


def state(cursor: Cursor) -> tuple[list, list]:
    n = len(cursor.timeline.nodes)
    return [cursor.value(i) for i in range(n)], [cursor.grad(i) for i in range(n)]


def assert_states_identical(got: Cursor, want: Cursor) -> None:
    assert got.position == want.position
    (gv, gg), (wv, wg) = state(got), state(want)
    for i in range(len(gv)):
        assert identical(gv[i], wv[i]), f"value of node {i} at {got.position}: {gv[i]!r} != {wv[i]!r}"
        assert identical(gg[i], wg[i]), f"grad of node {i} at {got.position}: {gg[i]!r} != {wg[i]!r}"


# --- an independent reference: micrograd's topological sort and the lecture's formulas -----------


def micrograd_topo(root: Value) -> list[Value]:
    """micrograd's recursive build_topo (small graphs only)."""
    topo, visited = [], set()

    def build(v: Value) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(root)
    return topo


def ref_forward(node: Value, operands: list[float]) -> float:
    op = str(node._op)
    if op == "+":
        return operands[0] + operands[1]
    if op == "*":
        return operands[0] * operands[1]
    if op == "tanh":
        return math.tanh(operands[0])
    if op == "ReLU":
        return 0.0 if operands[0] < 0 else operands[0]
    if op == "exp":
        return math.exp(operands[0]) if operands[0] < 709 else math.inf  # inf, not OverflowError
    if op.startswith("**"):
        return operands[0] ** node._op.exponent
    raise AssertionError(f"no reference for op {op!r}")


def ref_local(node: Value, out: float, operands: list[float]) -> list[float]:
    """d out / d operand, written as the lecture writes them."""
    op = str(node._op)
    if op == "+":
        return [1.0, 1.0]
    if op == "*":
        return [operands[1], operands[0]]
    if op == "tanh":
        return [1 - out**2]
    if op == "ReLU":
        return [float(out > 0)]
    if op == "exp":
        return [out]
    if op.startswith("**"):
        k = node._op.exponent
        return [k * operands[0] ** (k - 1)]
    raise AssertionError(f"no reference for op {op!r}")


class Reference:
    """Every state of the pass, by a separate simple simulation over the Value graph itself.

    states[p] = (values, grads) keyed by node, after p steps; changed[p] = the nodes whose value or
    grad step p sets (the node of a forward step, the seeded output, the operands of a backward step).
    """

    def __init__(self, output: Value) -> None:
        order = micrograd_topo(output)
        self.order = order
        values = {v: (None if v._prev else float(v.data)) for v in order}
        grads: dict[Value, float | None] = dict.fromkeys(order)
        self.states = [(dict(values), dict(grads))]
        self.step_nodes: list[Value] = []
        self.last_grad_step: dict[Value, int] = {}
        computed = [v for v in order if v._prev]
        for v in computed:
            values[v] = ref_forward(v, [values[c] for c in v._prev])
            self._snapshot(values, grads, v)
        grads[output] = 1.0
        self.last_grad_step[output] = len(self.step_nodes)
        self._snapshot(values, grads, output)
        for v in reversed(computed):
            locals_ = ref_local(v, values[v], [values[c] for c in v._prev])
            for child, local in zip(v._prev, locals_):
                before = grads[child]
                grads[child] = (0.0 if before is None else before) + local * grads[v]
                self.last_grad_step[child] = len(self.step_nodes)
            self._snapshot(values, grads, v)

    def _snapshot(self, values: dict, grads: dict, node: Value) -> None:
        self.states.append((dict(values), dict(grads)))
        self.step_nodes.append(node)

    def assert_matches(self, cursor: Cursor) -> None:
        values, grads = self.states[cursor.position]
        t = cursor.timeline
        for i, node in enumerate(t.nodes):
            assert same(cursor.value(i), values[node]), f"value of {t.name(i)} at {cursor.position}"
            assert same(cursor.grad(i), grads[node]), f"grad of {t.name(i)} at {cursor.position}"
            final = node in self.last_grad_step and cursor.position > self.last_grad_step[node]
            assert cursor.grad_is_final(i) == final, f"final mark of {t.name(i)} at {cursor.position}"


def backward_grads(output: Value) -> dict[Value, float]:
    """What `Value.backward()` gives, from zeroed grads."""
    order = topological_order(output)
    for v in order:
        v.grad = 0.0
    output.backward()
    return {v: v.grad for v in order}


def index_of(t: Timeline, node: Value) -> int:
    return next(i for i, v in enumerate(t.nodes) if v is node)


# --- the lecture's graphs ---------------------------------------------------------------------------


def lecture_expression(a: float = 2.0, b: float = -3.0, c: float = 10.0, f: float = -2.0) -> dict[str, Value]:
    a = Value(a, label="a")
    b = Value(b, label="b")
    c = Value(c, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(f, label="f")
    L = d * f
    L.label = "L"
    return {"a": a, "b": b, "c": c, "e": e, "d": d, "f": f, "L": L}


def lecture_neuron() -> dict[str, Value]:
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1w1x2w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return {k: v for k, v in locals().items() if isinstance(v, Value)}


def lecture_neuron_exp() -> Value:
    """The same neuron with tanh spelled out: e = exp(2n), o = (e - 1) / (e + 1)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    e = (2 * n).exp()
    return (e - 1) / (e + 1)


def reuse_graph() -> dict[str, Value]:
    """The lecture's accumulation example: f = (a·b) · (a + b)."""
    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    d = a * b
    d.label = "d"
    e = a + b
    e.label = "e"
    f = d * e
    f.label = "f"
    return {"a": a, "b": b, "d": d, "e": e, "f": f}


def walk_all(t: Timeline, ref: Reference) -> Cursor:
    """Walk to the end and back to 0 one step at a time, checking every state against the reference."""
    cursor = Cursor(t)
    ref.assert_matches(cursor)
    while cursor.next():
        ref.assert_matches(cursor)
    assert cursor.at_end and cursor.position == len(t)
    while cursor.previous():
        ref.assert_matches(cursor)
    assert cursor.position == 0
    return cursor


@pytest.mark.parametrize(
    "make",
    [
        lambda: lecture_expression()["L"],
        lambda: lecture_neuron()["o"],
        lecture_neuron_exp,
        lambda: reuse_graph()["f"],
    ],
    ids=["expression", "neuron", "neuron_exp", "reuse"],
)
def test_every_state_of_the_lecture_graphs_matches_a_separate_simulation(make):
    output = make()
    t = Timeline(output)
    ref = Reference(output)
    assert t.nodes == ref.order  # the node numbering is micrograd's topological order
    assert len(t) == len(ref.step_nodes) == len(ref.states) - 1
    for k, node in enumerate(ref.step_nodes):
        assert t.nodes[t.node_of_step(k)] is node
    walk_all(t, ref)


@pytest.mark.parametrize(
    "make",
    [lambda: lecture_expression()["L"], lambda: lecture_neuron()["o"], lecture_neuron_exp, lambda: reuse_graph()["f"]],
    ids=["expression", "neuron", "neuron_exp", "reuse"],
)
def test_the_end_of_the_walk_is_what_backward_gives_bit_for_bit(make):
    output = make()
    t = Timeline(output)
    cursor = Cursor(t)
    while cursor.next():
        pass
    expected = backward_grads(output)
    for i, node in enumerate(t.nodes):
        assert same(cursor.grad(i), expected[node]), t.name(i)
        assert same(cursor.value(i), float(node.data)), t.name(i)
        assert same(t.grads[i], expected[node])
        assert cursor.grad_is_final(i)


def test_the_expression_numbers_are_the_lecture_s():
    g = lecture_expression()
    t = Timeline(g["L"])
    cursor = Cursor(t)
    cursor.end()
    grads = {name: cursor.grad(index_of(t, v)) for name, v in g.items()}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}
    assert cursor.value(index_of(t, g["L"])) == -8.0


def test_the_neuron_numbers_are_the_lecture_s():
    g = lecture_neuron()
    t = Timeline(g["o"])
    cursor = Cursor(t, len(t))
    o = index_of(t, g["o"])
    assert cursor.value(o) == pytest.approx(0.7071067811865476, abs=1e-15)  # math.tanh: ...477
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "n": 0.5, "o": 1.0}
    for name, grad in expected.items():
        assert cursor.grad(index_of(t, g[name])) == pytest.approx(grad, abs=1e-12), name


def test_the_expanded_tanh_neuron_gives_the_same_leaf_grads():
    o = lecture_neuron_exp()
    t = Timeline(o)
    cursor = Cursor(t, len(t))
    assert cursor.value(t.output_index) == pytest.approx(0.7071067811865476, abs=1e-12)
    grads = {t.name(i): cursor.grad(i) for i, ops in enumerate(t.operands) if not ops and t.nodes[i].label}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}, abs=1e-12)


# --- positions: the start, phase boundaries, clamping -----------------------------------------------


def test_at_position_0_no_computed_value_and_no_grad_is_known():
    g = lecture_expression()
    t = Timeline(g["L"])
    cursor = Cursor(t)
    for name, v in g.items():
        i = index_of(t, v)
        if name in "abcf":
            assert cursor.value(i) == v.data
        else:
            assert cursor.value(i) is None
        assert cursor.grad(i) is None
        assert not cursor.grad_is_final(i)
    assert cursor.last_step is None
    assert cursor.next_step is not None and cursor.next_step.index == 0


def test_phases_and_their_boundaries():
    t = Timeline(lecture_expression()["L"])
    assert len(t) == 7 and t.seed_step == 3
    assert t.phase_boundaries == (0, 3, 7)
    assert [t.phase_of(k) for k in range(7)] == ["forward"] * 3 + ["seed"] + ["backward"] * 3
    assert [t.step(k).phase for k in range(7)] == [t.phase_of(k) for k in range(7)]

    cursor = Cursor(t)
    assert cursor.next_phase() and cursor.position == 3
    assert cursor.next_phase() and cursor.position == 7
    assert not cursor.next_phase() and cursor.position == 7
    assert cursor.previous_phase() and cursor.position == 3
    assert cursor.previous_phase() and cursor.position == 0
    assert not cursor.previous_phase() and cursor.position == 0
    cursor.seek(5)
    assert cursor.next_phase() and cursor.position == 7
    cursor.seek(5)
    assert cursor.previous_phase() and cursor.position == 3
    cursor.seek(1)
    assert cursor.next_phase() and cursor.position == 3


def test_seek_clamps_and_reports_whether_it_moved():
    t = Timeline(lecture_expression()["L"])
    cursor = Cursor(t, position=100)
    assert cursor.position == len(t) and cursor.at_end
    assert not cursor.seek(10**9)
    assert cursor.seek(-5) and cursor.position == 0
    assert not cursor.seek(-1)
    assert not cursor.previous() and cursor.position == 0
    assert cursor.end() and not cursor.next() and cursor.position == len(t)
    assert cursor.start() and not cursor.start()
    assert Cursor(t, position=-3).position == 0


def test_a_single_leaf_is_a_timeline_of_one_seed_step():
    x = Value(3.0, label="x")
    t = Timeline(x)
    assert len(t) == 1 and t.seed_step == 0 and t.phase_boundaries == (0, 0, 1)
    cursor = Cursor(t)
    assert cursor.value(0) == 3.0 and cursor.grad(0) is None
    assert cursor.next() and cursor.grad(0) == 1.0 and cursor.grad_is_final(0)
    assert cursor.last_step.phase == "seed"
    assert cursor.previous() and cursor.grad(0) is None
    assert t.steps_touching(0) == [0]


def test_a_timeline_needs_a_value():
    with pytest.raises(TypeError):
        Timeline(3.0)  # type: ignore[arg-type]
    with pytest.raises(IndexError):
        Timeline(lecture_expression()["L"]).step(7)


# --- steps describe themselves ----------------------------------------------------------------------


def texts(t: Timeline) -> list[tuple[str, ...]]:
    return [t.step(k).text for k in range(len(t))]


def test_the_expression_steps_in_words_and_numbers():
    t = Timeline(lecture_expression()["L"])
    assert texts(t) == [
        ("e = a · b = 2.0 · -3.0 = -6.0",),
        ("d = e + c = -6.0 + 10.0 = 4.0",),
        ("L = d · f = 4.0 · -2.0 = -8.0",),
        ("L.grad = 1.0   (dL/dL: the output against itself)",),
        ("d.grad += f · L.grad = -2.0 · 1.0 = -2.0", "f.grad += d · L.grad = 4.0 · 1.0 = 4.0"),
        ("e.grad += 1 · d.grad = 1.0 · -2.0 = -2.0", "c.grad += 1 · d.grad = 1.0 · -2.0 = -2.0"),
        ("a.grad += b · e.grad = -3.0 · -2.0 = 6.0", "b.grad += a · e.grad = 2.0 · -2.0 = -4.0"),
    ]


def test_a_forward_step_names_its_node_op_operands_and_value():
    g = lecture_expression()
    t = Timeline(g["L"])
    step = t.step(0)
    assert isinstance(step, Step)
    assert (step.index, step.phase, step.node) == (0, "forward", index_of(t, g["e"]))
    assert step.operands == (index_of(t, g["a"]), index_of(t, g["b"]))
    assert step.value == -6.0 and step.contributions == ()
    assert t.ops[step.node] == "*"


def test_a_backward_step_shows_local_derivative_product_and_grads_before_and_after():
    g = lecture_expression()
    t = Timeline(g["L"])
    step = t.step(6)  # e passes its grad to a and b
    assert step.phase == "backward" and step.node == index_of(t, g["e"]) and step.value == -2.0
    ca, cb = step.contributions
    assert isinstance(ca, Contribution)
    assert ca == Contribution(index_of(t, g["a"]), -3.0, "b", -2.0, None, 6.0, True, expected_after=6.0)
    assert cb == Contribution(index_of(t, g["b"]), 2.0, "a", -2.0, None, -4.0, True, expected_after=-4.0)
    assert ca.product == 6.0 and cb.product == -4.0


def test_the_neuron_steps_in_words_and_numbers():
    g = lecture_neuron()
    t = Timeline(g["o"])
    by_node = {t.name(t.step(k).node): t.step(k) for k in range(t.seed_step)}
    assert by_node["x1w1"].text == ("x1w1 = x1 · w1 = 2.0 · -3.0 = -6.0",)
    assert by_node["n"].text == ("n = x1w1x2w2 + b = -6.0 + 6.88137 = 0.881374",)
    assert by_node["o"].text == ("o = tanh(n) = tanh(0.881374) = 0.707107",)

    assert t.step(t.seed_step).text == ("o.grad = 1.0   (do/do: the output against itself)",)
    back = {t.name(t.step(k).node): t.step(k) for k in range(t.seed_step + 1, len(t))}
    tanh_step = back["o"]
    assert tanh_step.text == ("n.grad += (1 − o²) · o.grad = 0.5 · 1.0 = 0.5",)
    (c,) = tanh_step.contributions
    assert c.local_text == "1 − o²"
    assert c.local == 1 - t.values[t.output_index] ** 2 == pytest.approx(0.5, abs=1e-15)
    assert c.upstream == 1.0 and c.before is None and c.after == c.product and c.final
    assert back["n"].text == (
        "x1w1x2w2.grad += 1 · n.grad = 1.0 · 0.5 = 0.5",
        "b.grad += 1 · n.grad = 1.0 · 0.5 = 0.5",
    )
    assert back["x1w1"].text == (
        "x1.grad += w1 · x1w1.grad = -3.0 · 0.5 = -1.5",
        "w1.grad += x1 · x1w1.grad = 2.0 · 0.5 = 1.0",
    )
    assert back["x2w2"].text == (
        "x2.grad += w2 · x2w2.grad = 1.0 · 0.5 = 0.5",
        "w2.grad += x2 · x2w2.grad = 0.0 · 0.5 = 0.0",
    )


def test_compound_local_derivatives_are_parenthesised_and_unlabelled_nodes_get_ids():
    x = Value(3.0, label="x")
    y = x**2
    t = Timeline(y)
    assert t.name(1) == "#1"
    assert t.step(0).text == ("#1 = x^2 = 3.0^2 = 9.0",)
    assert t.step(2).text == ("x.grad += (2·x) · #1.grad = 6.0 · 1.0 = 6.0",)


def backward_of(output: Value, node_label: str) -> Step:
    """The backward step of the node labelled `node_label`."""
    t = Timeline(output)
    return next(t.step(k) for k in range(t.seed_step + 1, len(t)) if t.name(t.step(k).node) == node_label)


def labelled(value: Value, label: str) -> Value:
    value.label = label
    return value


def test_each_op_says_what_its_backward_step_does_in_words_and_numbers():
    """Hand-computed: the summary names what the op does, each line its local derivative symbolically,
    its value, the upstream grad and the product (the lecture's ``self.grad += local * out.grad``)."""
    a, b, c, f = (Value(v, label=k) for k, v in (("a", 2.0), ("b", -3.0), ("c", 10.0), ("f", -2.0)))
    e = labelled(a * b, "e")
    d = labelled(e + c, "d")
    L = labelled(d * f, "L")
    step = backward_of(L, "e")
    assert step.summary == "each operand gets the other one's value times its grad -2.0"
    assert step.text == ("a.grad += b · e.grad = -3.0 · -2.0 = 6.0", "b.grad += a · e.grad = 2.0 · -2.0 = -4.0")
    step = backward_of(L, "d")
    assert step.summary == "passes its grad -2.0 unchanged to each operand"
    assert step.text == ("e.grad += 1 · d.grad = 1.0 · -2.0 = -2.0", "c.grad += 1 · d.grad = 1.0 · -2.0 = -2.0")

    n = Value(0.8813735870195432, label="n")
    o = labelled(n.tanh(), "o")
    step = backward_of(o, "o")
    assert step.summary == "its operand gets its grad 1.0 times tanh's slope 1 − o²"
    assert step.text == ("n.grad += (1 − o²) · o.grad = 0.5 · 1.0 = 0.5",)

    for x, local in ((-1.0, "0.0"), (2.0, "1.0")):
        r = labelled(Value(x, label="x").relu(), "r")
        step = backward_of(r, "r")
        assert step.summary == "its operand gets its grad 1.0 if it was positive, else nothing"
        assert step.text == (f"x.grad += (1 if x > 0 else 0) · r.grad = {local} · 1.0 = {local}",)

    y = labelled(Value(0.0, label="x").exp(), "y")
    step = backward_of(y, "y")
    assert step.summary == "its operand gets its grad 1.0 times exp's slope: its own value y"
    assert step.text == ("x.grad += y · y.grad = 1.0 · 1.0 = 1.0",)

    y = labelled(Value(2.0, label="x").log(), "y")
    assert backward_of(y, "y").text == ("x.grad += (1/x) · y.grad = 0.5 · 1.0 = 0.5",)

    s = labelled(Value(0.0, label="x").sigmoid(), "s")
    step = backward_of(s, "s")
    assert step.summary == "its operand gets its grad 1.0 times σ's slope s · (1 − s)"
    assert step.text == ("x.grad += (s · (1 − s)) · s.grad = 0.25 · 1.0 = 0.25",)

    y = labelled(Value(2.0, label="x") ** -1, "y")
    step = backward_of(y, "y")
    assert step.summary == "its operand gets its grad 1.0 times the power rule's slope (-1)·x^(-2)"
    assert step.text == ("x.grad += ((-1)·x^(-2)) · y.grad = -0.25 · 1.0 = -0.25",)
    y = labelled(Value(2.0, label="x") ** 3, "y")
    assert backward_of(y, "y").text == ("x.grad += (3·x^2) · y.grad = 12.0 · 1.0 = 12.0",)


def test_a_number_written_as_a_literal_reads_as_its_value():
    n = Value(3.0, label="n")
    m = labelled(2 * n, "m")  # 2 * n: n.__rmul__(2) wraps the 2 in a Value
    q = labelled(m * (1.0 / 100), "q")
    r = labelled(q**-1, "r")
    s = labelled(-r, "s")  # r * -1
    t = Timeline(s)
    assert [t.step(k).text[0] for k in range(t.seed_step)] == [
        "m = n · 2 = 3.0 · 2.0 = 6.0",
        "q = m · 0.01 = 6.0 · 0.01 = 0.06",
        "r = q^(-1) = 0.06^(-1) = 16.6667",
        "s = r · (-1) = 16.6667 · -1.0 = -16.6667",
    ]
    two = next(i for i in range(len(t.nodes)) if t.nodes[i].data == 2)
    assert t.name(two) == "2" and t.symbol(two) == "2" and t.names.is_constant(two)
    assert backward_of(s, "m").text == (
        "n.grad += 2 · m.grad = 2.0 · 2.77778 = 5.55556",  # ds/dm = -1 · -1/0.06² · 0.01
        "(2).grad += n · m.grad = 3.0 · 2.77778 = 8.33333",
    )
    assert not any(t.name(i).startswith("#") for i in range(len(t.nodes)))


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (None, "?"),
        (2.0, "2.0"),
        (-6.0, "-6.0"),
        (0.7071067811865476, "0.707107"),
        (0.4999999999999999, "0.5"),
        (-7.286496, "-7.2865"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (1e20, "1e+20"),
        (1e-7, "1e-07"),
        (3, "3.0"),
    ],
)
def test_format_number(x, text):
    assert format_number(x) == text


# --- accumulation -----------------------------------------------------------------------------------


def test_a_node_used_twice_receives_two_contributions_in_two_steps():
    g = reuse_graph()
    t = Timeline(g["f"])
    a = index_of(t, g["a"])
    steps = [t.step(k) for k in range(t.seed_step + 1, len(t))]
    to_a = [(s.index, c) for s in steps for c in s.contributions if c.operand == a]
    assert len(to_a) == 2 and to_a[0][0] < to_a[1][0]
    (_, first), (second_step, second) = to_a
    assert first.before is None and first.after == first.product
    assert second.before == first.after and second.after == first.after + second.product
    assert not first.final and second.final
    assert second.after == -3.0 and t.grads[a] == -3.0

    cursor = Cursor(t, to_a[0][0] + 1)
    assert cursor.grad(a) == first.after and not cursor.grad_is_final(a)
    cursor.seek(second_step + 1)
    assert cursor.grad(a) == -3.0 and cursor.grad_is_final(a)
    cursor.previous()
    assert cursor.grad(a) == first.after and not cursor.grad_is_final(a)
    assert cursor.grad(index_of(t, g["b"])) in (-6.0, -8.0)


@pytest.mark.parametrize(("op", "local", "afters"), [("+", 1.0, (1.0, 2.0)), ("*", 3.0, (3.0, 6.0))])
def test_a_node_used_twice_by_one_node_receives_two_contributions_in_one_step(op, local, afters):
    a = Value(3.0, label="a")
    b = a + a if op == "+" else a * a
    b.label = "b"
    t = Timeline(b)
    (step,) = [t.step(k) for k in range(t.seed_step + 1, len(t))]
    first, second = step.contributions
    assert first.operand == second.operand == 0
    assert (first.local, second.local) == (local, local)
    assert first.before is None and first.after == afters[0] and not first.final
    assert second.before == first.after and second.after == afters[1] and second.final
    assert len(step.text) == 2
    assert step.text[0] == step.text[1]
    cursor = Cursor(t, len(t))
    assert cursor.grad(0) == afters[1] == backward_grads(b)[a]
    cursor.previous()
    assert cursor.grad(0) is None


# --- touching a node --------------------------------------------------------------------------------


def test_steps_touching_and_jumping_between_them():
    g = lecture_expression()
    t = Timeline(g["L"])
    e, a, L = (index_of(t, g[k]) for k in "eaL")
    assert t.steps_touching(e) == [0, 1, 5, 6]  # computed, read by d, given its grad by d, passing it on
    assert t.steps_touching(a) == [0, 6]
    assert t.steps_touching(L) == [2, 3, 4]
    assert t.consumers(e) == [index_of(t, g["d"])]

    cursor = Cursor(t)
    assert cursor.next_touching(e) and cursor.position == 1
    assert cursor.next_touching(e) and cursor.position == 2  # d = e + c reads it
    assert cursor.next_touching(e) and cursor.position == 6
    assert cursor.next_touching(e) and cursor.position == 7
    assert not cursor.next_touching(e) and cursor.position == 7
    assert cursor.previous_touching(e) and cursor.position == 6
    assert cursor.previous_touching(e) and cursor.position == 2
    assert cursor.previous_touching(e) and cursor.position == 1
    assert not cursor.previous_touching(e) and cursor.position == 1
    cursor.start()
    assert cursor.next_touching(a) and cursor.position == 1  # e = a · b reads it
    assert cursor.next_touching(a) and cursor.position == 7
    assert cursor.last_step.index == 6


def test_a_node_used_twice_by_one_node_is_touched_once_by_that_step():
    a = Value(3.0)
    t = Timeline(a * a)
    assert t.consumers(0) == [1]
    assert t.steps_touching(0) == [0, 2]  # read (twice) by the forward step, given grad (twice) by its backward


# --- observers --------------------------------------------------------------------------------------


def test_observers_are_called_once_per_move_with_the_old_position():
    t = Timeline(lecture_expression()["L"])
    cursor = Cursor(t)
    calls = []
    unsubscribe = cursor.observe(lambda c, old: calls.append((old, c.position)))
    cursor.next()
    cursor.next()
    cursor.previous()
    cursor.end()
    cursor.next()  # no move, no call
    cursor.seek(10**6)
    cursor.previous_phase()
    cursor.start()
    cursor.previous()
    cursor.next_touching(0)  # a: read by the first step
    cursor.seek(4)
    assert calls == [(0, 1), (1, 2), (2, 1), (1, 7), (7, 3), (3, 0), (0, 1), (1, 4)]
    unsubscribe()
    cursor.next()
    assert len(calls) == 8


def test_an_observer_sees_the_new_state():
    g = lecture_expression()
    t = Timeline(g["L"])
    cursor = Cursor(t)
    seen = []
    cursor.observe(lambda c, old: seen.append(c.value(t.output_index)))
    cursor.end()
    cursor.start()
    assert seen == [-8.0, None]


# --- re-running after a nudge ------------------------------------------------------------------------


def test_nudging_the_leaves_along_their_grads_and_rebuilding_raises_L():
    g = lecture_expression()
    t = Timeline(g["L"])
    cursor = Cursor(t)
    cursor.end()
    for name in "abcf":
        g[name].data += 0.01 * cursor.grad(index_of(t, g[name]))
    calls = []
    cursor.observe(lambda c, old: calls.append((old, c.position)))

    rebuilt = t.rebuilt()
    assert rebuilt is not t and rebuilt.nodes == t.nodes
    cursor.retarget(rebuilt)
    assert cursor.timeline is rebuilt and cursor.position == len(t)
    assert calls == [(len(t), len(t))]
    L = rebuilt.output_index
    assert cursor.value(L) == pytest.approx(-7.286496, abs=1e-6)
    assert t.values[L] == -8.0  # the old timeline keeps its numbers
    assert_states_identical(cursor, Cursor(rebuilt, len(rebuilt)))

    # the rebuilt timeline is the pass over the nudged graph: a fresh graph with those leaves agrees
    fresh = lecture_expression(*(g[name].data for name in "abcf"))
    ref = Reference(fresh["L"])
    assert same(ref.states[-1][0][fresh["L"]], cursor.value(L))
    walk_all(Timeline(fresh["L"]), ref)
    expected = backward_grads(fresh["L"])
    for i, node in enumerate(Timeline(fresh["L"]).nodes):
        assert same(rebuilt.grads[i], expected[node])


def test_retarget_keeps_a_middle_position():
    g = lecture_expression()
    t = Timeline(g["L"])
    cursor = Cursor(t, 5)
    g["a"].data = 4.0
    cursor.retarget(t.rebuilt())
    assert cursor.position == 5
    assert_states_identical(cursor, Cursor(cursor.timeline, 5))
    assert cursor.value(index_of(t, g["e"])) == -12.0


# --- numerical check ---------------------------------------------------------------------------------


def test_numerical_grad_of_any_node_agrees_with_the_recorded_grad():
    g = lecture_expression()
    t = Timeline(g["L"])
    for i in range(len(t.nodes)):
        assert t.numerical_grad(i) == pytest.approx(t.grads[i], abs=1e-4), t.name(i)
    assert t.numerical_grad(index_of(t, g["b"]), h=0.001) == pytest.approx(-3.9999999999995595, abs=1e-12)

    neuron = lecture_neuron()
    tn = Timeline(neuron["o"])
    for i in range(len(tn.nodes)):
        assert tn.numerical_grad(i) == pytest.approx(tn.grads[i], abs=1e-5), tn.name(i)


# --- random graphs and random walks ------------------------------------------------------------------

UNARY = ("tanh", "relu", "exp", "square", "cube", "inverse", "sqrt", "neg")
BINARY = ("+", "*", "-", "/", "self+", "self*")


@st.composite
def graphs(draw, max_ops: int = 30) -> Value:
    """A random DAG: nodes are reused (fan-out), squared by themselves (a*a), mixed ops; no errors."""
    leaf_value = st.one_of(
        st.floats(-3, 3, allow_nan=False, allow_infinity=False),
        st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5]),
    )
    nodes = [Value(draw(leaf_value), label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(0, max_ops))):
        # one operand among the latest few nodes (depth), the other anywhere (sharing, fan-out)
        a = nodes[-1 - draw(st.integers(0, min(2, len(nodes) - 1)))]
        kind = draw(st.sampled_from(UNARY + BINARY))
        x = a.data
        if kind in BINARY:
            b = nodes[draw(st.integers(0, len(nodes) - 1))]
            if kind == "+":
                node = a + b
            elif kind == "*":
                node = a * b
            elif kind == "-":
                node = a - b
            elif kind == "/":
                node = a / b if 1e-3 < abs(b.data) < 1e3 else a * b
            elif kind == "self+":
                node = a + a
            else:
                node = a * a
        elif kind == "tanh":
            node = a.tanh()
        elif kind == "relu":
            node = a.relu()
        elif kind == "exp":
            node = a.exp() if x < 20 else a.tanh()
        elif kind == "neg":
            node = -a
        elif not 1e-3 < abs(x) < 1e3:
            node = a.tanh()
        elif kind == "square":
            node = a**2
        elif kind == "cube":
            node = a**3
        elif kind == "inverse":
            node = a**-1
        else:
            node = a**0.5 if x > 0 else a**2
        nodes.append(node)
    out = nodes[-1]
    for _ in range(draw(st.integers(0, 3))):  # pull in some more of the graph
        out = out + nodes[draw(st.integers(0, len(nodes) - 1))]
    return out


MOVES = st.one_of(
    st.tuples(st.sampled_from(["next", "previous", "start", "end", "next_phase", "previous_phase"])),
    st.tuples(st.just("seek"), st.integers(-3, 80)),
    st.tuples(st.sampled_from(["next_touching", "previous_touching"]), st.integers(0, 10**6)),
)


def expected_position(t: Timeline, position: int, move: tuple) -> int:
    """Where a move should land, worked out from the steps themselves."""
    name, n = move[0], len(t)
    if name == "next":
        return min(position + 1, n)
    if name == "previous":
        return max(position - 1, 0)
    if name == "start":
        return 0
    if name == "end":
        return n
    if name == "seek":
        return max(0, min(move[1], n))
    boundaries = sorted({0, t.seed_step, n})
    if name == "next_phase":
        return next((b for b in boundaries if b > position), position)
    if name == "previous_phase":
        return next((b for b in reversed(boundaries) if b < position), 0)
    node = move[1] % len(t.nodes)
    touching = [
        k for k in range(n) if t.step(k).node == node or (t.step(k).phase != "seed" and node in t.step(k).operands)
    ]
    ends = [k + 1 for k in touching]
    if name == "next_touching":
        return next((p for p in ends if p > position), position)
    return next((p for p in reversed(ends) if p < position), position)


def perform(cursor: Cursor, move: tuple) -> bool:
    name = move[0]
    if name in ("next_touching", "previous_touching"):
        return getattr(cursor, name)(move[1] % len(cursor.timeline.nodes))
    return getattr(cursor, name)(*move[1:])


def step_to(stepper: Cursor, position: int) -> None:
    while stepper.position < position:
        assert stepper.next()
    while stepper.position > position:
        assert stepper.previous()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.lists(MOVES, max_size=25))
def test_random_walks_agree_with_a_fresh_cursor_stepping_and_the_reference(output, moves):
    t = Timeline(output)
    ref = Reference(output)
    assert t.nodes == ref.order
    walker, stepper = Cursor(t), Cursor(t)
    calls = []
    walker.observe(lambda c, old: calls.append(old))
    for move in moves:
        before = walker.position
        want = expected_position(t, before, move)
        moved = perform(walker, move)
        assert walker.position == want, move
        assert moved == (want != before)
        assert calls == ([before] if moved else [])
        calls.clear()
        assert_states_identical(walker, Cursor(t, want))
        step_to(stepper, want)
        assert_states_identical(walker, stepper)
        ref.assert_matches(walker)
    walker.end()
    expected = backward_grads(output)
    for i, node in enumerate(t.nodes):
        assert same(walker.grad(i), expected[node]), t.name(i)
    walker.start()
    assert_states_identical(walker, Cursor(t))


@settings(max_examples=60, deadline=None)
@given(graphs(max_ops=12))
def test_random_graphs_contributions_chain_up_per_operand(output):
    t = Timeline(output)
    ref = Reference(output)
    last_after: dict[int, float] = {t.output_index: 1.0}
    seen_final: set[int] = set()
    for k in range(t.seed_step + 1, len(t)):
        step = t.step(k)
        assert len(step.contributions) == len(step.operands) == len(step.text)
        assert same(step.value, t.grads[step.node])
        for c in step.contributions:
            assert c.operand not in seen_final
            assert same(c.upstream, t.grads[step.node])
            if c.before is None:
                assert c.operand not in last_after
            else:
                assert same(c.before, last_after[c.operand])
            assert same(c.after, (0.0 if c.before is None else c.before) + c.product)
            last_after[c.operand] = c.after
            assert c.final == (
                ref.last_grad_step[ref.order[c.operand]] == k
                and c is step.contributions[max(j for j, o in enumerate(step.operands) if o == c.operand)]
            )
            if c.final:
                seen_final.add(c.operand)
                assert same(c.after, t.grads[c.operand])
    assert seen_final | {t.output_index} == set(range(len(t.nodes)))


def test_nan_and_inf_are_recorded_and_restored_like_any_number():
    x = Value(1000.0, label="x")
    z = Value(0.0, label="z")
    big = x.exp()  # inf
    bad = big * z  # nan
    out = (bad + x).relu() + big.tanh()
    t = Timeline(out)
    ref = Reference(out)
    walk_all(t, ref)
    cursor = Cursor(t, len(t))
    assert math.isnan(cursor.value(index_of(t, bad)))
    assert cursor.value(index_of(t, big)) == math.inf
    expected = backward_grads(out)
    for i, node in enumerate(t.nodes):
        assert same(cursor.grad(i), expected[node])
    cursor.seek(3)
    assert_states_identical(cursor, Cursor(t, 3))


def test_integer_leaves_read_the_same_whichever_way_the_cursor_came():
    a = Value(2, label="a")  # an int, as Value(1) from `1 + x` or Value(-1) from `-x` is
    b = Value(3.0, label="b")
    out = (a * b + 1) * -a
    t = Timeline(out)
    n = len(t)
    for p in range(n + 1):
        fresh = Cursor(t, p)
        for route in ([n, p], [0, p], [t.seed_step, p], [p + 1, p]):
            cursor = Cursor(t)
            for q in route:
                cursor.seek(q)
            assert_states_identical(cursor, fresh)


# --- big and deep graphs ----------------------------------------------------------------------------


def moons_loss(n_samples: int) -> Value:
    xs, ys = moons(n_samples)
    model = MLP(2, [16, 16, 1], seed=1337)
    return Trainer(Training(model, xs, ys, loss="hinge")).loss_graph()


def test_a_100k_node_graph_builds_and_ends_where_backward_does():
    loss = moons_loss(155)
    t = Timeline(loss)
    assert len(t.nodes) >= 100_000
    assert len(t) == 2 * len(t.computed) + 1
    cursor = Cursor(t)
    cursor.end()
    expected = backward_grads(loss)
    assert all(same(cursor.grad(i), expected[v]) for i, v in enumerate(t.nodes))
    assert all(same(cursor.value(i), float(v.data)) for i, v in enumerate(t.nodes))
    # a few moves around the middle agree with a fresh cursor
    for p in (t.seed_step - 1, t.seed_step + 1, t.seed_step + 2):
        cursor.seek(p)
        fresh = Cursor(t, p)
        assert cursor.value(t.output_index) == fresh.value(t.output_index)
        assert [cursor.grad(i) for i in range(len(t.nodes))] == [fresh.grad(i) for i in range(len(t.nodes))]
    cursor.start()
    assert all(cursor.grad(i) is None for i in range(len(t.nodes)))


def test_long_jumps_on_a_mid_sized_graph_agree_with_stepping():
    """Jumps long enough to go through the start / forward-done / end states, checked against a
    cursor that only ever takes single steps."""
    loss = moons_loss(2)
    t = Timeline(loss)
    rng = random.Random(7)
    n = len(t)
    targets = [rng.randrange(n + 1) for _ in range(30)]
    targets += [1, n - 1, t.seed_step + 1, t.seed_step - 1, 0, n, t.seed_step, 2, n - 2]
    walker, stepper = Cursor(t), Cursor(t)
    for target in targets:
        walker.seek(target)
        step_to(stepper, target)
        assert_states_identical(walker, stepper)
        assert_states_identical(Cursor(t, target), stepper)


def test_a_single_step_next_to_a_phase_boundary_costs_that_step_not_a_copy_of_the_state():
    """Measured in memory, not time: a move allocates next to nothing, even into the start,
    the forward/backward boundary or the end, where a copy of the whole state would be at hand."""
    t = Timeline(moons_loss(14))
    assert len(t.nodes) > 10_000
    n, seed = len(t), t.seed_step
    cursor = Cursor(t)
    for start, move in [
        (1, "previous"),
        (seed - 1, "next"),
        (seed + 1, "previous"),
        (n - 1, "next"),
        (0, "next"),
        (seed, "next"),
        (seed, "previous"),
        (n, "previous"),
    ]:
        cursor.seek(start)
        tracemalloc.start()
        assert getattr(cursor, move)()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 4096, (start, move, peak)


@pytest.mark.parametrize("depth", [5_000, 200_000])
def test_a_deep_chain_builds_and_seeks_without_recursion(depth):
    w = Value(0.5, label="w")
    v = Value(0.3, label="x")
    for i in range(depth):
        v = v * w if i % 2 else v.tanh()
    t = Timeline(v)
    assert len(t.nodes) == depth + 2
    cursor = Cursor(t)
    assert cursor.end()
    assert all(cursor.grad_is_final(i) for i in range(len(t.nodes)))
    x = next(i for i, node in enumerate(t.nodes) if node.label == "x")
    assert cursor.grad(x) is not None and math.isfinite(cursor.grad(x))
    v.grad = 0.0
    for node in t.nodes:
        node.grad = 0.0
    v.backward()
    assert all(same(cursor.grad(i), node.grad) for i, node in enumerate(t.nodes))
    assert cursor.seek(len(t) // 3) and cursor.start()
    assert cursor.value(t.output_index) is None and cursor.grad(x) is None
    assert cursor.next_touching(x) and cursor.position == 1  # read by the first step
    assert cursor.next_touching(x) and cursor.position == len(t)  # given its grad by the last
    assert t.numerical_grad(x) == pytest.approx(t.grads[x], abs=1e-4)
