"""Not a scenario: a module the scenarios next to it import late."""

from engine import Value


def expression():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b
    out.label = "helped"
    return out
