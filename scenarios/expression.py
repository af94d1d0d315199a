"""The lecture's first expression: L = (a·b + c) · f

The graph Karpathy builds by hand at the start of "building micrograd". Step forward to see
L = -8.0 appear, then backward: dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4.
"""

from engine import Value


def graph():
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
    return L
