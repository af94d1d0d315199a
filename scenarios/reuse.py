"""A node used twice: f = (a·b) · (a + b)

a and b each feed two nodes, so each receives two contributions in two different backward steps,
and the += in backward adds them up: a.grad = -6 + 3 = -3, b.grad = -6 + (-2) = -8.
"""

from engine import Value


def graph():
    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    d = a * b
    d.label = "d"
    e = a + b
    e.label = "e"
    f = d * e
    f.label = "f"
    return f
