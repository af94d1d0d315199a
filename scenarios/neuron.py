"""The lecture's neuron: o = tanh(x1·w1 + x2·w2 + b)

Two inputs, two weights and a bias chosen so that o = 1/√2 = 0.7071. Backward: the tanh passes
1 − o² = 0.5 down, so x1.grad = -1.5, w1.grad = 1.0, x2.grad = 0.5, w2.grad = 0, b.grad = 0.5.
"""

from engine import Value


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
