"""The smallest accumulation bug: b = a + a

Both operands of b are the same node. With `=` instead of `+=` in backward, a.grad would be 1;
step backward and watch the second contribution arrive: a.grad = 1 + 1 = 2.
"""

from engine import Value


def graph():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    return b
