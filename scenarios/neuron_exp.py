"""The same neuron with tanh spelled out: o = (e − 1) / (e + 1), e = exp(2n)

The lecture's second half breaks tanh into exp, +, ** -1 and * to show that any composition of
operations works as long as each knows its local derivative. Same leaf grads as `neuron`.
"""

from engine import Value


def graph():
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    e = (2 * n).exp()
    e.label = "e"
    o = (e - 1) / (e + 1)
    o.label = "o"
    return o
