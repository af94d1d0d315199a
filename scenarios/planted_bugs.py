"""The lecture's two classic bugs, planted: = instead of +=, and a wrong tanh derivative

o = tanh(a + a), with a chosen so that a + a is the lecture's n = 0.8814 and o = 1/√2. The class
below is the lecture's Value with two methods rewritten wrongly, as learners do:

- __add__ sets the grads with = instead of adding with +=, so when both operands are the same
  node (a + a) the second contribution overwrites the first: a.grad ends at 0.29, not 0.59;
- tanh's local derivative is written 1 - t instead of 1 - t**2 (0.29 instead of 0.5).

Step backward and watch both steps get marked ⚠, or run `mgtui planted_bugs --check`.
"""

import math

import lecture_value


class Value(lecture_value.Value):
    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = 1.0 * out.grad  # bug: = where += belongs
            other.grad = 1.0 * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t) * out.grad  # bug: the derivative of tanh is 1 - t**2

        out._backward = _backward
        return out


def graph():
    a = Value(0.4406867935097716, label="a")
    n = a + a
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o
