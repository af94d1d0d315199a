"""The lecture's third bug: a topological sort that lists each node before its operands

The lecture's Value (lecture_value.py) with backward() as a learner might first write it: its
build_topo puts a node into the list as soon as it visits it, before its operands, instead of
after them. Reversed, that list calls the leaves' _backward first and the output's last, long
before any grad has reached them. Every _backward is right, so stepping node by node (mgtui's own
topological order) shows nothing wrong. Press C, or run `mgtui topo_bug --check`: running your
backward() once gets 7 of the 10 grads wrong (x1.grad 0.0, not -1.5), and mgtui names a node it
called too early.
"""

import lecture_value


class Value(lecture_value.Value):
    def backward(self):
        topo, visited = [], set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                topo.append(v)  # bug: a node goes in after its operands, not before them
                for child in v._prev:
                    build_topo(child)

        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


def graph():
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o
