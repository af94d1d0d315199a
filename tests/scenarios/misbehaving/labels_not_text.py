"""Labels that are not strings: an int, None, a float."""

from engine import Value


def graph():
    a = Value(1.0, label=1)
    b = Value(2.0, label=None)
    c = a * b
    c.label = 2.5
    return c
