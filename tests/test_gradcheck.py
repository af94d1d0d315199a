"""engine.gradcheck: the lecture's bump-and-recompute derivative, for leaves and intermediate nodes."""

from __future__ import annotations

import pytest

from engine import Value
from engine.gradcheck import GradCheck, check_gradients, forward_values, numerical_grad
from engine.value import topological_order


def lecture_L():
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    d = e + c
    L = d * f
    return a, b, c, d, e, f, L


def test_numerical_grad_of_leaves_and_intermediate_nodes():
    a, b, c, d, e, f, L = lecture_L()
    expected = {a: 6.0, b: -4.0, c: -2.0, d: -2.0, e: -2.0, f: 4.0, L: 1.0}
    for node, grad in expected.items():
        assert numerical_grad(L, node) == pytest.approx(grad, abs=1e-6)
    assert numerical_grad(L, d) != -2.0  # a forward difference of rounded floats, not the backprop value


def test_numerical_grad_is_the_lectures_number():
    _, b, *_, L = lecture_L()
    assert numerical_grad(L, b, h=0.001) == -3.9999999999995595  # the lecture's lol() cell

    x = Value(2 / 3)
    y = 3 * x**2 - 4 * x + 5
    assert numerical_grad(y, x, h=1e-6) == 2.999378523327323e-06  # f(x) = 3x² - 4x + 5 at 2/3


def test_numerical_grad_of_the_tanh_neuron():
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    assert numerical_grad(o, n) == pytest.approx(0.5, abs=1e-6)
    assert numerical_grad(o, x1) == pytest.approx(-1.5, abs=1e-5)
    assert numerical_grad(o, w2) == pytest.approx(0.0, abs=1e-6)


def test_numerical_grad_leaves_the_graph_as_it_was():
    a, b, c, d, e, f, L = lecture_L()
    L.backward()
    before = [(v.data, v.grad) for v in (a, b, c, d, e, f, L)]
    numerical_grad(L, e)
    numerical_grad(L, a, h=0.5)
    assert [(v.data, v.grad) for v in (a, b, c, d, e, f, L)] == before


def test_numerical_grad_of_a_node_outside_the_graph():
    *_, L = lecture_L()
    with pytest.raises(ValueError, match="not part of the graph"):
        numerical_grad(L, Value(1.0))


def test_forward_values_recomputes_with_overrides():
    a, _, _, d, e, _, L = lecture_L()
    order = topological_order(L)
    values = forward_values(order)
    assert [values[v] for v in (e, d, L)] == [-6.0, 4.0, -8.0]
    bumped = forward_values(order, {e: 0.0})
    assert [bumped[v] for v in (e, d, L)] == [0.0, 10.0, -20.0]
    assert bumped[a] == 2.0


def test_check_gradients_on_every_leaf():
    x = Value(0.7)
    w = Value(-1.3)
    y = ((x * w).tanh() + (x**2).exp() / (w * w + 1)).sigmoid() - (x + 3).log()
    checks = check_gradients(y)
    assert {c.node for c in checks} == {v for v in topological_order(y) if not v._prev}
    assert all(isinstance(c, GradCheck) and c.agrees() for c in checks)
    assert max(c.error for c in checks) < 1e-5
    assert {c.node: c.backprop for c in checks}[x] == x.grad  # left as backward() left it


def test_check_gradients_zeroes_stale_grads_first():
    a, _, _, d, e, _, L = lecture_L()
    a.grad, d.grad = 100.0, -7.0
    checks = check_gradients(L, [a, d, e])
    assert [c.backprop for c in checks] == [6.0, -2.0, -2.0]
    assert all(c.agrees(1e-6) for c in checks)


def test_gradcheck_agreement():
    node = Value(1.0)
    assert GradCheck(node, 1.0, 1.00001).agrees()
    assert not GradCheck(node, 1.0, 1.1).agrees()
    assert GradCheck(node, 1000.0, 1000.05).agrees()  # relative to the larger side
    assert not GradCheck(node, 1e-3, 2e-3).agrees(1e-4)
    assert GradCheck(node, 2.0, 2.5).error == 0.5
