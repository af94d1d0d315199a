"""Your own Value class: the lecture's neuron, stepped through the class's own _backward closures

The graph is built with lecture_value.Value (next to this file), the class the lecture writes by
hand, not with mgtui's engine. Each backward step runs that class's own closure and mgtui checks
it against the chain rule: o = 0.7071, then x1.grad = -1.5, w1.grad = 1.0, x2.grad = 0.5,
w2.grad = 0, b.grad = 0.5. Copy this file and lecture_value.py, edit the class, and watch.
"""

from lecture_value import Value


def graph():
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o
