"""Value classes as learners write them, correct and with each classic bug, for the tests.

`Mini` is the lecture's class in miniature (``set`` children, closures, ``+ * ** tanh``, a recursive
``backward()``); every method builds its result with ``type(self)``, so a subclass that rewrites one
method wrongly is a whole graph of that buggy class.
"""

from __future__ import annotations

import math


class Mini:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def _wrap(self, other):
        return other if isinstance(other, Mini) else type(self)(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other):
        out = type(self)(self.data**other, (self,), f"**{other}")

        def _backward():
            self.grad += other * self.data ** (other - 1) * out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


class Overwrites(Mini):
    """``=`` where ``+=`` belongs, in ``+``."""

    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = 1.0 * out.grad
            other.grad = 1.0 * out.grad

        out._backward = _backward
        return out


class WrongTanh(Mini):
    """tanh's local derivative written 1 - t."""

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t) * out.grad

        out._backward = _backward
        return out


class ForgetsBackward(Mini):
    """``*`` defines its ``_backward`` but never assigns it to ``out._backward``."""

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        return out


class WrongProduct(Mini):
    """``*`` computes a sum."""

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out


class PassesValues(Mini):
    """``*`` multiplies by the other Value instead of its ``.data``: grads become Values."""

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other * out.grad
            other.grad += self * out.grad

        out._backward = _backward
        return out


class RaisesInTanh(Mini):
    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            raise ZeroDivisionError("a learner's mistake")

        out._backward = _backward
        return out


class SortsBackwards(Mini):
    """A topological sort that lists each node before its operands (then reverses it anyway)."""

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                topo.append(v)
                for child in v._prev:
                    build(child)

        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


def custom_op(a: Mini, b: Mini) -> Mini:
    """An op of the learner's own (``a² · b`` as one node) that the engine does not know."""
    out = type(a)(a.data**2 * b.data, (a, b), "sqmul")

    def _backward():
        a.grad += 2 * a.data * b.data * out.grad
        b.grad += a.data**2 * out.grad

    out._backward = _backward
    return out


def stray_op(a: Mini, bystander: Mini) -> Mini:
    """``tanh`` whose ``_backward`` also bumps a node that is not its operand."""
    out = a.tanh()
    inner = out._backward

    def _backward():
        inner()
        bystander.grad += 1.0

    out._backward = _backward
    return out


def neuron(cls: type = Mini):
    """The lecture's neuron: o = tanh(x1·w1 + x2·w2 + b) = 1/√2."""
    x1, x2 = cls(2.0, label="x1"), cls(0.0, label="x2")
    w1, w2 = cls(-3.0, label="w1"), cls(1.0, label="w2")
    b = cls(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "o": o}


def reuse(cls: type = Mini):
    """f = (a·b)·(a + b): a and b each feed two nodes (a.grad = -3, b.grad = -8)."""
    a, b = cls(-2.0, label="a"), cls(3.0, label="b")
    d, e = a * b, a + b
    d.label, e.label = "d", "e"
    f = d * e
    f.label = "f"
    return f, {"a": a, "b": b}


def doubled(cls: type = Mini):
    """o = tanh(a + a), with a + a the lecture's n: a.grad = 2 · 0.5 = 1."""
    a = cls(0.4406867935097716, label="a")
    n = a + a
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"a": a, "n": n}


class Neuron:
    """The lecture's Neuron, of whichever Value class: tanh(w · x + b)."""

    def __init__(self, weights: list[float], bias: float, cls: type = Mini):
        self.w = [cls(w) for w in weights]
        self.b = cls(bias)

    def __call__(self, x):
        return sum((wi * xi for wi, xi in zip(self.w, x)), self.b).tanh()

    def parameters(self):
        return [*self.w, self.b]


class Layer:
    def __init__(self, neurons: list[Neuron]):
        self.neurons = neurons

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    """The lecture's MLP with the given weights, so it can start where an engine MLP starts."""

    def __init__(self, engine_mlp, cls: type = Mini):
        self.layers = [
            Layer([Neuron([w.data for w in n.w], n.b.data, cls) for n in layer.neurons]) for layer in engine_mlp.layers
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
