"""engine.Value: every op against numerical derivatives (and PyTorch when installed), random graphs
with shared nodes, micrograd 0.1.0 and its own tests, the lecture's worked examples, the Value API."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import Value, topological_order

# --- helpers -----------------------------------------------------------------------------------


def central_difference(f, xs: tuple[float, ...], i: int, h: float = 1e-6) -> float:
    """d f / d xs[i] by central differences, on plain floats."""
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (up[i] - down[i])


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def relu(x: float) -> float:
    return max(0.0, x)


# (id, expression on Values (and torch tensors), the same on floats or None if the same lambda works,
#  the analytic derivatives, points). Constants sit on either side to reach the reflected forms.
OPS = [
    ("a+b", lambda a, b: a + b, None, lambda a, b: (1.0, 1.0), [(1.5, -2.25), (0.0, 3.0)]),
    ("a+number", lambda a: a + 3.5, None, lambda a: (1.0,), [(-0.75,)]),
    ("number+a", lambda a: 3.5 + a, None, lambda a: (1.0,), [(-0.75,)]),
    ("a+a", lambda a: a + a, None, lambda a: (2.0,), [(1.25,)]),
    ("a-b", lambda a, b: a - b, None, lambda a, b: (1.0, -1.0), [(1.5, -2.25)]),
    ("a-number", lambda a: a - 3.5, None, lambda a: (1.0,), [(0.3,)]),
    ("number-a", lambda a: 3.5 - a, None, lambda a: (-1.0,), [(0.3,)]),
    ("a-a", lambda a: a - a, None, lambda a: (0.0,), [(0.3,)]),
    ("a*b", lambda a, b: a * b, None, lambda a, b: (b, a), [(1.5, -2.25), (-0.5, 4.0)]),
    ("a*number", lambda a: a * -2.5, None, lambda a: (-2.5,), [(0.7,)]),
    ("number*a", lambda a: -2.5 * a, None, lambda a: (-2.5,), [(0.7,)]),
    ("a*a", lambda a: a * a, None, lambda a: (2 * a,), [(-1.3,)]),
    ("a/b", lambda a, b: a / b, None, lambda a, b: (1 / b, -a / b**2), [(1.5, -2.25), (-3.0, 0.4)]),
    ("a/number", lambda a: a / 4.0, None, lambda a: (0.25,), [(-1.7,)]),
    ("number/a", lambda a: 3.0 / a, None, lambda a: (-3.0 / a**2,), [(-1.7,), (0.6,)]),
    ("a/a", lambda a: a / a, None, lambda a: (0.0,), [(1.7,)]),
    ("-a", lambda a: -a, None, lambda a: (-1.0,), [(1.7,), (-0.2,)]),
    ("a**2", lambda a: a**2, None, lambda a: (2 * a,), [(1.7,), (-0.6,)]),
    ("a**3", lambda a: a**3, None, lambda a: (3 * a**2,), [(-1.4,)]),
    ("a**-1", lambda a: a**-1, None, lambda a: (-1 / a**2,), [(-1.4,), (0.8,)]),
    ("a**0.5", lambda a: a**0.5, None, lambda a: (0.5 / math.sqrt(a),), [(2.3,)]),
    ("a**-2.5", lambda a: a**-2.5, None, lambda a: (-2.5 * a**-3.5,), [(1.3,)]),
    ("a**0", lambda a: a**0, None, lambda a: (0.0,), [(1.3,)]),
    ("a**1", lambda a: a**1, None, lambda a: (1.0,), [(-1.3,)]),
    ("tanh", lambda a: a.tanh(), math.tanh, lambda a: (1 - math.tanh(a) ** 2,), [(0.45,), (-1.9,)]),
    ("relu", lambda a: a.relu(), relu, lambda a: (1.0 if a > 0 else 0.0,), [(0.8,), (-1.3,)]),
    ("exp", lambda a: a.exp(), math.exp, lambda a: (math.exp(a),), [(0.45,), (-2.2,)]),
    ("log", lambda a: a.log(), math.log, lambda a: (1 / a,), [(0.45,), (3.7,)]),
    ("sigmoid", lambda a: a.sigmoid(), sigmoid, lambda a: (sigmoid(a) * (1 - sigmoid(a)),), [(0.45,), (-2.2,)]),
]

OP_CASES = [
    pytest.param(fn, ffn or fn, grads, point, id=f"{name}@{','.join(map(str, point))}")
    for name, fn, ffn, grads, points in OPS
    for point in points
]

UPSTREAM = 1.5  # the op's result is multiplied by this, so every local derivative must be chained


# --- every op: data and gradient ----------------------------------------------------------------


@pytest.mark.parametrize(("fn", "ffn", "grads", "point"), OP_CASES)
def test_op_data(fn, ffn, grads, point):
    out = fn(*(Value(x) for x in point))
    assert isinstance(out, Value)
    assert out.data == pytest.approx(ffn(*point), rel=1e-15, abs=1e-300)


@pytest.mark.parametrize(("fn", "ffn", "grads", "point"), OP_CASES)
def test_op_gradient_against_numerical_and_analytic_derivative(fn, ffn, grads, point):
    leaves = [Value(x) for x in point]
    loss = fn(*leaves) * UPSTREAM
    loss.backward()
    for i, leaf in enumerate(leaves):
        numerical = UPSTREAM * central_difference(ffn, point, i)
        assert leaf.grad == pytest.approx(numerical, rel=1e-6, abs=1e-8), f"operand {i}"
        assert leaf.grad == pytest.approx(UPSTREAM * grads(*point)[i], rel=1e-12, abs=1e-15), f"operand {i}"


@pytest.mark.parametrize(("fn", "ffn", "grads", "point"), OP_CASES)
def test_op_against_torch(fn, ffn, grads, point):
    torch = pytest.importorskip("torch")
    leaves = [Value(x) for x in point]
    tensors = [torch.tensor([x], dtype=torch.float64, requires_grad=True) for x in point]
    loss, loss_pt = fn(*leaves) * UPSTREAM, fn(*tensors) * UPSTREAM
    loss.backward()
    loss_pt.backward()
    assert loss.data == pytest.approx(loss_pt.item(), rel=1e-14, abs=1e-300)
    for leaf, tensor in zip(leaves, tensors):
        assert leaf.grad == pytest.approx(tensor.grad.item(), rel=1e-12, abs=1e-15)


def test_number_operands_are_wrapped_as_constant_leaves():
    a = Value(2.0)
    for out, constant_position in [(a + 3.0, 1), (3.0 + a, 1), (a * 4, 1), (4 * a, 1)]:
        constant = out._prev[constant_position]
        assert out._prev[1 - constant_position] is a
        assert isinstance(constant, Value) and constant._prev == ()
    assert (a + 3.0)._prev[1].data == 3.0


# --- micrograd's own tests (test/test_engine.py) ------------------------------------------------


def sanity_check(x):
    """micrograd's test_sanity_check expression; works on Values and on torch tensors."""
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return y


def more_ops_values(a, b):
    """micrograd's test_more_ops, spelled with += as upstream does on the Value side."""
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
    return g


def more_ops_torch(a, b):
    """The torch side of test_more_ops, as upstream spells it."""
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


def test_sanity_check_constants():
    x = Value(-4.0)
    y = sanity_check(x)
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


def test_more_ops_constants():
    a, b = Value(-4.0), Value(2.0)
    g = more_ops_values(a, b)
    g.backward()
    tol = 1e-6
    assert abs(g.data - 24.70408163265306) < tol
    assert abs(a.grad - 138.83381924198252) < tol
    assert abs(b.grad - 645.5772594752186) < tol


def test_sanity_check_against_torch():
    torch = pytest.importorskip("torch")
    x = Value(-4.0)
    y = sanity_check(x)
    y.backward()
    x_pt = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    y_pt = sanity_check(x_pt)
    y_pt.backward()
    assert y.data == y_pt.data.item() == -20.0
    assert x.grad == x_pt.grad.item() == 46.0


def test_more_ops_against_torch():
    torch = pytest.importorskip("torch")
    a, b = Value(-4.0), Value(2.0)
    g = more_ops_values(a, b)
    g.backward()
    a_pt = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    b_pt = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    g_pt = more_ops_torch(a_pt, b_pt)
    g_pt.backward()
    tol = 1e-6
    assert abs(g.data - g_pt.data.item()) < tol
    assert abs(a.grad - a_pt.grad.item()) < tol
    assert abs(b.grad - b_pt.grad.item()) < tol


def test_micrograd_tests_agree_with_micrograd_itself():
    mg = pytest.importorskip("micrograd.engine")
    x, x_mg = Value(-4.0), mg.Value(-4.0)
    y, y_mg = sanity_check(x), sanity_check(x_mg)
    y.backward()
    y_mg.backward()
    assert (y.data, x.grad) == (y_mg.data, x_mg.grad)

    a, b, a_mg, b_mg = Value(-4.0), Value(2.0), mg.Value(-4.0), mg.Value(2.0)
    g, g_mg = more_ops_values(a, b), more_ops_values(a_mg, b_mg)
    g.backward()
    g_mg.backward()
    assert g.data == g_mg.data
    assert a.grad == pytest.approx(a_mg.grad, rel=1e-12)
    assert b.grad == pytest.approx(b_mg.grad, rel=1e-12)


# --- random expression graphs with shared nodes -------------------------------------------------


def _tanh(v):
    return v.tanh() if isinstance(v, Value) else math.tanh(v)


def _exp(v):
    return v.exp() if isinstance(v, Value) else math.exp(v)


def _log(v):
    return v.log() if isinstance(v, Value) else math.log(v)


def _sigmoid(v):
    return v.sigmoid() if isinstance(v, Value) else sigmoid(v)


def _relu(v):
    return v.relu() if not isinstance(v, float | int) else relu(v)


# Smooth everywhere on the reals (denominators and log arguments are kept positive), except relu.
SMOOTH_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "radd": lambda a, b: 2.5 + a,
    "rsub": lambda a, b: 1.5 - a,
    "rmul": lambda a, b: -0.5 * a,
    "rdiv": lambda a, b: 2.0 / (a * a + 0.5),
    "neg": lambda a, b: -a,
    "pow2": lambda a, b: a**2,
    "pow3": lambda a, b: a**3,
    "sqrt": lambda a, b: (a * a + 1) ** 0.5,
    "tanh": lambda a, b: _tanh(a),
    "exp": lambda a, b: _exp(a),
    "log": lambda a, b: _log(a * a + 0.5),
    "sigmoid": lambda a, b: _sigmoid(a),
    "relu": lambda a, b: _relu(a),
}

# The ops micrograd 0.1.0 has (division may hit zero, so it is guarded in the test).
MICROGRAD_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "radd": lambda a, b: 2.5 + a,
    "rsub": lambda a, b: 1.5 - a,
    "rmul": lambda a, b: -0.5 * a,
    "rdiv": lambda a, b: 2.0 / a,
    "neg": lambda a, b: -a,
    "pow2": lambda a, b: a**2,
    "pow3": lambda a, b: a**3,
    "relu": lambda a, b: a.relu(),
}


@st.composite
def programs(draw, ops: dict, leaf_values=None):
    """Leaves, then instructions (op, i, j) over every node made so far: operands are shared freely."""
    if leaf_values is None:
        leaf_values = st.floats(-2, 2, allow_nan=False)
    leaves = draw(st.lists(leaf_values, min_size=1, max_size=4))
    n = draw(st.integers(1, 10))
    instructions = [
        (draw(st.sampled_from(sorted(ops))), draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))) for _ in range(n)
    ]
    return leaves, instructions


def run(program, leaves, ops, watch=None):
    """Every node of the program, on whatever `leaves` are (Values or floats); the output sums them
    all, so each intermediate node is used at least twice."""
    _, instructions = program
    nodes = list(leaves)
    for op, i, j in instructions:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if watch is not None:
            watch(op, a, b)
        nodes.append(ops[op](a, b))
    output = nodes[len(leaves)]
    for node in nodes[len(leaves) + 1 :]:
        output = output + node
    return nodes, output


def _data(v):
    return v.data if isinstance(v, Value) else v


def run_or_reject(program, leaves, ops, watch=None):
    """`run`, rejecting the example when a NaN reached a log (inf - inf) or micrograd overflowed."""
    try:
        return run(program, leaves, ops, watch)
    except (ValueError, OverflowError, ZeroDivisionError):
        assume(False)
        raise  # unreachable: assume(False) raises


@settings(max_examples=300, deadline=None)
@given(programs(SMOOTH_OPS))
def test_random_graphs_against_numerical_derivatives(program):
    leaf_data = program[0]
    leaves = [Value(x) for x in leaf_data]
    nodes, output = run_or_reject(program, leaves, SMOOTH_OPS)
    assume(all(abs(n.data) < 1e3 for n in nodes) and abs(output.data) < 1e4)
    output.backward()

    relu_inputs: list[float] = []

    def watch(op, a, b):
        if op == "relu":
            relu_inputs.append(_data(a))

    run(program, leaf_data, SMOOTH_OPS, watch)
    base = list(relu_inputs)
    assume(all(abs(x) > 1e-6 for x in base))

    def f(*xs):
        relu_inputs.clear()
        value = run(program, list(xs), SMOOTH_OPS, watch)[1]
        assume([x > 0 for x in relu_inputs] == [x > 0 for x in base])  # no bump crosses a relu kink
        return value

    for i, leaf in enumerate(leaves):
        numerical = central_difference(f, tuple(leaf_data), i)
        assert abs(leaf.grad - numerical) <= 1e-5 * max(1.0, abs(numerical)), (i, leaf.grad, numerical)


@settings(max_examples=300, deadline=None)
@given(programs(MICROGRAD_OPS, st.one_of(st.integers(-8, 8).map(lambda k: k / 4), st.floats(-3, 3))))
def test_random_graphs_agree_with_micrograd(program):
    mg = pytest.importorskip("micrograd.engine")

    def no_zero_divisor(op, a, b):
        assume(not (op == "div" and _data(b) == 0) and not (op == "rdiv" and _data(a) == 0))

    nodes, output = run_or_reject(program, [Value(x) for x in program[0]], MICROGRAD_OPS, no_zero_divisor)
    nodes_mg, output_mg = run_or_reject(program, [mg.Value(x) for x in program[0]], MICROGRAD_OPS)
    assume(all(abs(n.data) < 1e100 for n in nodes_mg))
    output.backward()
    try:
        output_mg.backward()
    except OverflowError:
        assume(False)
    assume(all(abs(n.grad) < 1e100 for n in nodes_mg))

    assert [n.data for n in nodes] == [n.data for n in nodes_mg]  # the very same float operations
    # micrograd sums each grad in set order, so the last bits differ, by up to a few ulps of the
    # sum of the |terms| (which can be far larger than the grad itself when terms cancel)
    size = term_magnitudes(output)
    assume(all(math.isfinite(m) for m in size.values()))
    for node, node_mg in zip(nodes, nodes_mg):
        assert abs(node.grad - node_mg.grad) <= 1e-10 * size.get(node, 0.0), (node, node_mg)


def term_magnitudes(output):
    """For every node, the sum over all paths to `output` of |product of local derivatives|."""
    size = {output: 1.0}
    for node in reversed(topological_order(output)):
        operands = node._prev
        if operands:
            local = node._op.local(node.data, *(v.data for v in operands))
            for operand, d in zip(operands, local):
                size[operand] = size.get(operand, 0.0) + abs(d) * size.get(node, 0.0)
    return size


@settings(max_examples=100, deadline=None)
@given(programs(SMOOTH_OPS))
def test_backward_is_bit_for_bit_deterministic(program):
    """Operands are ordered tuples, so two builds of one graph give identical floats (micrograd: not so)."""
    first, out1 = run_or_reject(program, [Value(x) for x in program[0]], SMOOTH_OPS)
    second, out2 = run_or_reject(program, [Value(x) for x in program[0]], SMOOTH_OPS)
    assume(all(math.isfinite(n.data) for n in first))
    out1.backward()
    out2.backward()
    assert [n.grad for n in first] == [n.grad for n in second]


# --- the lecture's worked examples --------------------------------------------------------------


def lecture_L():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return a, b, c, d, e, f, L


def test_lecture_L_expression():
    a, b, c, d, e, f, L = lecture_L()
    assert (e.data, d.data, L.data) == (-6.0, 4.0, -8.0)
    L.backward()
    grads = {v.label: v.grad for v in (a, b, c, d, e, f, L)}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}


def test_lecture_nudge_step():
    a, b, c, _, _, f, L = lecture_L()
    L.backward()
    for leaf in (a, b, c, f):
        leaf.data += 0.01 * leaf.grad
    e = a * b
    d = e + c
    L = d * f
    assert round(L.data, 6) == -7.286496
    assert L.data > -8.0


def lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    return (x1, x2, w1, w2, b), n


NEURON_GRADS = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}


def test_lecture_tanh_neuron():
    leaves, n = lecture_neuron()
    o = n.tanh()
    assert n.data == pytest.approx(0.8813735870195432, abs=1e-15)
    assert o.data == pytest.approx(0.7071067811865476, abs=1e-12)
    o.backward()
    assert n.grad == pytest.approx(0.5, abs=1e-12)
    for leaf in leaves:
        assert leaf.grad == pytest.approx(NEURON_GRADS[leaf.label], abs=1e-12), leaf.label


def test_lecture_tanh_neuron_expanded_through_exp():
    leaves, n = lecture_neuron()
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    assert o.data == pytest.approx(0.7071067811865476, abs=1e-12)
    assert e.data == pytest.approx(5.828427124746192, rel=1e-12)
    o.backward()
    assert e.grad == pytest.approx(0.04289321881345247, rel=1e-9)
    for leaf in leaves:
        assert leaf.grad == pytest.approx(NEURON_GRADS[leaf.label], abs=1e-12), leaf.label


def test_lecture_tanh_neuron_against_torch():
    torch = pytest.importorskip("torch")
    values = [2.0, 0.0, -3.0, 1.0, 6.8813735870195432]
    x1, x2, w1, w2, b = (torch.tensor([v], dtype=torch.float64, requires_grad=True) for v in values)
    o_pt = torch.tanh(x1 * w1 + x2 * w2 + b)
    o_pt.backward()
    leaves, n = lecture_neuron()
    o = n.tanh()
    o.backward()
    assert o.data == pytest.approx(o_pt.item(), abs=1e-12)
    for leaf, tensor in zip(leaves, (x1, x2, w1, w2, b)):
        assert leaf.grad == pytest.approx(tensor.grad.item(), abs=1e-12)


def test_lecture_a_plus_a_accumulates():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert b.data == 6.0
    assert a.grad == 2.0


def test_lecture_shared_leaves():
    a, b = Value(-2.0), Value(3.0)
    d = a * b
    e = a + b
    f = d * e
    f.backward()
    assert (f.data, d.data, e.data) == (-6.0, -6.0, 1.0)
    assert (d.grad, e.grad) == (1.0, -6.0)
    assert (a.grad, b.grad) == (-3.0, -8.0)


def test_lecture_reused_intermediate_node_needs_the_topological_order():
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert (b.grad, a.grad) == (2.0, 4.0)


def test_lecture_numerical_slopes():
    def f(x):
        return 3 * x**2 - 4 * x + 5

    assert f(3.0) == 20.0
    h = 0.000001
    x = 2 / 3
    assert (f(x + h) - f(x)) / h == 2.999378523327323e-06
    assert (f(3.0 + 0.001) - f(3.0)) / 0.001 == 14.00300000000243

    h = 0.0001
    a, b, c = 2.0, -3.0, 10.0
    d1 = a * b + c
    d2 = a * b + (c + h)
    assert d1 == 4.0
    assert (d2 - d1) / h == 0.9999999999976694


# --- the Value API --------------------------------------------------------------------------------


def test_prev_is_a_tuple_in_operand_order():
    a, b = Value(2.0), Value(3.0)
    assert (a * b)._prev == (a, b)
    assert (b * a)._prev == (b, a)
    assert (a + b)._prev == (a, b)
    assert (a * a)._prev == (a, a)
    assert (a**2)._prev == (a,)
    assert a.tanh()._prev == (a,)
    assert a._prev == ()
    assert isinstance((a * b)._prev, tuple)


def test_grad_starts_at_float_zero():
    a = Value(3)
    for v in (a, a + 1, a * a, a.tanh(), a**2):
        assert v.grad == 0.0
        assert type(v.grad) is float
    assert a.data == 3 and type(a.data) is int  # data is kept as given, as micrograd does


def test_repr_shows_data_grad_and_label():
    a = Value(2.0, label="a")
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"
    assert repr(Value(-1.5)) == "Value(data=-1.5, grad=0.0)"
    b = a * 3.0
    b.backward()
    assert repr(b) == "Value(data=6.0, grad=1.0)"
    assert repr(a) == "Value(data=2.0, grad=3.0, label='a')"


def test_iadd_builds_a_new_node():
    a, b = Value(1.0), Value(2.0)
    c = a + b
    before = c
    c += 1
    assert c is not before
    assert c._prev[0] is before
    assert (before.data, c.data) == (3.0, 4.0)
    c.backward()
    assert (a.grad, b.grad, before.grad) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize(
    ("build", "op"),
    [
        (lambda a, b: a + b, "+"),
        (lambda a, b: a * b, "*"),
        (lambda a, b: a**2, "**2"),
        (lambda a, b: a**-1, "**-1"),
        (lambda a, b: a**0.5, "**0.5"),
        (lambda a, b: a.relu(), "ReLU"),
        (lambda a, b: a.tanh(), "tanh"),
        (lambda a, b: a.exp(), "exp"),
        (lambda a, b: a.log(), "log"),
        (lambda a, b: a.sigmoid(), "sigmoid"),
        (lambda a, b: -a, "*"),  # micrograd: self * -1
        (lambda a, b: a - b, "+"),  # micrograd: self + (-other)
        (lambda a, b: a / b, "*"),  # micrograd: self * other**-1
        (lambda a, b: a, ""),
    ],
)
def test_micrograd_op_strings(build, op):
    node = build(Value(2.0), Value(4.0))
    assert node._op == op
    assert isinstance(node._op, str)


def test_decomposed_ops_have_micrograd_shape():
    a, b = Value(2.0), Value(4.0)
    neg = -a
    assert neg._prev[0] is a and neg._prev[1].data == -1
    quotient = a / b
    assert quotient._prev[0] is a
    assert quotient._prev[1]._op == "**-1" and quotient._prev[1]._prev == (b,)
    difference = a - b
    assert difference._prev[0] is a and difference._prev[1]._op == "*"


def test_op_strings_round_trip_through_the_constructor():
    a = Value(2.0)
    for op in ("tanh", "**2", "ReLU", "exp"):
        node = Value(1.0, (a,), op)
        assert node._op == op and node._prev == (a,)
    with pytest.raises(ValueError, match="operand"):
        Value(1.0, (a,), "+")
    with pytest.raises(ValueError, match="unknown op"):
        Value(1.0, (a,), "sin")
    with pytest.raises(TypeError, match="operands must be Values"):
        Value(1.0, (a, 2.0), "+")


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: Value(0.0).log(), "log"),
        (lambda: Value(-1.0).log(), "log"),
        (lambda: Value(2.0) / Value(0.0), "division"),
        (lambda: Value(2.0) / Value(0), "division"),
        (lambda: Value(2.0) / 0, "division"),
        (lambda: Value(2.0) / 0.0, "division"),
        (lambda: 1 / Value(0.0), "division"),
        (lambda: Value(0) ** -1, r"\*\*-1"),
        (lambda: Value(0.0) ** -2.5, r"\*\*-2.5"),
        (lambda: Value(-2.0) ** 0.5, r"\*\*0.5"),
    ],
)
def test_domain_errors_raise_value_error_naming_the_op(build, name):
    with pytest.raises(ValueError, match=name):
        build()


def test_exponent_must_be_a_number():
    with pytest.raises(TypeError, match=r"\*\*"):
        Value(2.0) ** Value(3.0)


def test_negative_base_with_whole_exponent_is_fine():
    a = Value(-2.0)
    cube = a**3
    cube.backward()
    assert (cube.data, a.grad) == (-8.0, 12.0)


def test_tanh_saturates_without_overflow():
    for x, expected in [(1000.0, 1.0), (-1000.0, -1.0)]:
        a = Value(x)
        o = a.tanh()
        o.backward()
        assert o.data == expected
        assert a.grad == 0.0


def test_sigmoid_of_large_inputs_does_not_overflow():
    for x, expected in [(-1000.0, 0.0), (1000.0, 1.0)]:
        a = Value(x)
        o = a.sigmoid()
        o.backward()
        assert o.data == expected
        assert a.grad == 0.0
    assert Value(-30.0).sigmoid().data == pytest.approx(sigmoid(-30.0), rel=1e-14)


def test_exp_overflows_to_inf_not_an_exception():
    a = Value(1000.0)
    o = a.exp()
    assert o.data == math.inf
    o.backward()
    assert a.grad == math.inf


def test_power_gradient_at_a_vertical_slope_or_overflow_is_inf():
    root_base = Value(0.0)
    root = root_base**0.5
    root.backward()
    assert (root.data, root_base.grad) == (0.0, math.inf)

    inf = math.inf
    for x, k, data, grad in [(1e200, 3, inf, inf), (-1e200, 3, -inf, inf), (-1e200, 4, inf, -inf)]:
        a = Value(x)
        out = a**k
        out.backward()
        assert (out.data, a.grad) == (data, grad)


def test_backward_accumulates_when_called_twice():
    a, b = Value(3.0), Value(-2.0)
    p = a * b
    p.backward()
    p.backward()
    assert (a.grad, b.grad) == (-4.0, 6.0)

    a, b, c, d, e, f, L = lecture_L()
    L.backward()
    L.backward()
    # the root is re-seeded to 1, every other grad accumulates, and accumulated grads flow on
    assert (L.grad, d.grad, f.grad, e.grad, c.grad) == (1.0, -4.0, 8.0, -6.0, -6.0)
    assert (a.grad, b.grad) == (24.0, -16.0)


def test_backward_accumulates_like_micrograd():
    mg = pytest.importorskip("micrograd.engine")
    a, b, c, _, _, f, L = lecture_L()
    a_mg, b_mg, c_mg, f_mg = mg.Value(2.0), mg.Value(-3.0), mg.Value(10.0), mg.Value(-2.0)
    L_mg = (a_mg * b_mg + c_mg) * f_mg
    for _ in range(3):
        L.backward()
        L_mg.backward()
        assert [v.grad for v in (a, b, c, f, L)] == [v.grad for v in (a_mg, b_mg, c_mg, f_mg, L_mg)]


# --- topological order ------------------------------------------------------------------------------


def test_topological_order_is_public_and_depth_first_in_operand_order():
    a, b, c, d, e, f, L = lecture_L()
    assert topological_order(L) == [a, b, e, c, d, f, L]
    assert topological_order(a) == [a]


def reference_order(root):
    """micrograd's recursive build_topo, with the operands in operand order."""
    order, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            order.append(v)

    build(root)
    return order


@settings(max_examples=100, deadline=None)
@given(programs(SMOOTH_OPS))
def test_topological_order_matches_recursive_build_topo(program):
    leaves = [Value(x) for x in program[0]]
    nodes, output = run_or_reject(program, leaves, SMOOTH_OPS)
    order = topological_order(output)
    assert order == reference_order(output)
    assert len(set(order)) == len(order)
    position = {node: i for i, node in enumerate(order)}
    assert all(position[child] < position[node] for node in order for child in node._prev)
    assert order[-1] is output
    assert all(node in position for node in nodes[len(leaves) :])  # leaves may go unused


def test_deep_chain_backward_without_recursion():
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    depth = 200_000
    for i in range(depth):
        y = y * 1.0000001 if i % 2 else y + 0.5
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad == pytest.approx(1.0000001 ** (depth // 2), rel=1e-9)
    assert len(topological_order(y)) == 2 * depth + 1  # each op adds its node and a constant leaf


def test_the_lectures_manual_backward_one_node_at_a_time():
    """The lecture calls o._backward(), n._backward(), ... by hand before writing backward()."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    for node in (o, n, x1w1x2w2, x2w2, x1w1):
        node._backward()
    assert n.grad == pytest.approx(0.5, abs=1e-12)
    assert (x1.grad, w1.grad, x2.grad, w2.grad, b.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0, 0.5), abs=1e-12)
    x1._backward()  # a leaf has nothing to pass on
    assert x1.grad == pytest.approx(-1.5, abs=1e-12)
