"""A graph turned into a cycle by hand: a's operands are rewired to depend on d."""

from engine import Value
from engine.ops import op_named


def graph():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    a._a, a._b, a._op = d, b, op_named("*")
    return d
