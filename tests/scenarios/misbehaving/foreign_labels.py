"""A learner's own Value class with labels of every kind and an op name with an ESC in it."""


class Value:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), "\x1b[2J*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out


def graph():
    a = Value(2.0, label=7)
    b = Value(-3.0, label="b\x1b]0;title\x07")
    out = a * b
    out.label = None
    return out
