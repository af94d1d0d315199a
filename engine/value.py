"""`Value`: a scalar that remembers the operation and the operands that produced it.

Unlike micrograd, a node holds no closure: it keeps its op (an `engine.ops.Op`) and its operands,
and `_backward()` is a method that looks the local derivatives up in the op table. Without
closures a node is not part of a reference cycle, so a graph is freed by reference counting the
moment it is dropped, instead of waiting for the cycle collector (most of a micrograd step).

Operands live in two slots rather than a tuple: one tracked object per node instead of two halves
both the memory and the cycle collector's work while a graph is being built. `_prev` still reads
as micrograd's operand tuple.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Real

from engine.ops import ADD, EXP, LEAF, LOG, MUL, RELU, SIGMOID, TANH, Op, op_named, power
from engine.text import label_text

Number = int | float


class Value:
    """Stores a single scalar value, its gradient, and how it was computed."""

    __slots__ = ("data", "grad", "_a", "_b", "_op", "_label", "_visit")

    def __init__(
        self,
        data: Number,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self.data = data
        self.grad = 0.0
        self._op: Op = op_named(_op)
        self._a, self._b = _operand_slots(tuple(_children), self._op)
        self.label = label
        self._visit: object = None  # topological_order's mark (see there)

    @property
    def label(self) -> str:
        """The name the debugger shows; always a string ("" for none)."""
        return self._label

    @label.setter
    def label(self, label: object) -> None:
        # micrograd stores whatever it is given. A label is for the debugger's eyes, and one of 1
        # or None would break every place that treats labels as text (sorting, searching), one
        # with an ESC or a newline every place that shows them: so it is made one printable line.
        self._label = label_text(label)

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The operands, in operand order: ``(a*b)._prev == (a, b)``, ``(a*a)._prev == (a, a)``."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    # --- arithmetic ----------------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _result(other, None, None, LEAF)
        return _result(self.data + other.data, self, other, ADD)

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _result(other, None, None, LEAF)
        return _result(self.data * other.data, self, other, MUL)

    def __pow__(self, exponent: Number) -> Value:
        if not isinstance(exponent, Real) or isinstance(exponent, bool):
            raise TypeError(
                f"** needs a number exponent, got {type(exponent).__name__}; "
                "for a Value exponent write (exponent * base.log()).exp()"
            )
        op = power(exponent)
        return _result(op.forward(self.data), self, None, op)

    def __neg__(self) -> Value:  # -self, drawn as micrograd draws it: self * -1
        return self * -1

    def __radd__(self, other: Number) -> Value:  # other + self
        return self + other

    def __sub__(self, other: Value | Number) -> Value:  # self - other
        return self + (-other)

    def __rsub__(self, other: Number) -> Value:  # other - self
        return other + (-self)

    def __rmul__(self, other: Number) -> Value:  # other * self
        return self * other

    def __truediv__(self, other: Value | Number) -> Value:  # self / other
        if _is_zero(other):
            raise ValueError(f"division by zero: {self!r} / {other!r}")
        return self * other**-1

    def __rtruediv__(self, other: Number) -> Value:  # other / self
        if self.data == 0:
            raise ValueError(f"division by zero: {other!r} / {self!r}")
        return other * self**-1

    # --- functions -----------------------------------------------------------------------------

    def tanh(self) -> Value:
        return _result(TANH.forward(self.data), self, None, TANH)

    def relu(self) -> Value:
        return _result(RELU.forward(self.data), self, None, RELU)

    def exp(self) -> Value:
        return _result(EXP.forward(self.data), self, None, EXP)

    def log(self) -> Value:
        return _result(LOG.forward(self.data), self, None, LOG)

    def sigmoid(self) -> Value:
        return _result(SIGMOID.forward(self.data), self, None, SIGMOID)

    # --- backpropagation -----------------------------------------------------------------------

    def backward(self) -> None:
        """Accumulate d self / d node into every node's grad, in reverse topological order.

        Like micrograd, grads are added to (never reset), so zero them between passes.
        """
        order = topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def _backward(self) -> None:
        """The chain rule at this node, once: ``operand.grad += local · self.grad`` per operand.

        micrograd keeps this step as a closure per node; here it is a method reading the op
        table, so the lecture's manual ``o._backward(); n._backward(); ...`` works as it did.
        """
        a, b = self._a, self._b
        if b is not None:
            local_a, local_b = self._op.local(self.data, a.data, b.data)
            a.grad += local_a * self.grad
            b.grad += local_b * self.grad
        elif a is not None:
            (local_a,) = self._op.local(self.data, a.data)
            a.grad += local_a * self.grad

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"


_new = object.__new__


def _result(data: Number, a: Value | None, b: Value | None, op: Op) -> Value:
    """The fast path of `Value(data, (a, b), op)` for the operators (and their constants)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._a = a
    out._b = b
    out._op = op
    out._label = ""
    out._visit = None
    return out


def _operand_slots(operands: tuple[Value, ...], op: Op) -> tuple[Value | None, Value | None]:
    if len(operands) != op.arity:
        raise ValueError(f"op {op!r} takes {op.arity} operand(s), got {len(operands)}")
    if not all(isinstance(operand, Value) for operand in operands):
        raise TypeError("operands must be Values")
    return (*operands, None, None)[:2]  # type: ignore[return-value]


def _is_zero(x: Value | Number) -> bool:
    return (x.data if isinstance(x, Value) else x) == 0


def labelled_sum(terms: Iterable[Value], start: Value | Number, labels: Iterable[str]) -> Value:
    """``sum(terms, start)`` — the very same nodes in the same order — with each partial sum
    labelled, so a long sum reads as ``sum0, sum1, ...`` in the debugger instead of ids."""
    total = start
    for term, label in zip(terms, labels):
        total = total + term
        total.label = label
    return total  # type: ignore[return-value]


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, operands before the nodes that use them, `root` last.

    The same order as micrograd's recursive `build_topo` (depth first, operands in operand order),
    built with an explicit stack so that a graph a million nodes deep needs no recursion. Each walk
    marks the nodes it reaches with tokens of its own instead of keeping sets of them: half the
    time, and no set of a million entries. (So two walks over one graph must not run at once.)
    """
    entered, placed = object(), object()  # this walk's marks: operands pushed / node in `order`
    order: list[Value] = []
    stack = [root]
    while stack:
        node = stack[-1]
        visit = node._visit
        if visit is entered:  # back from its operands
            stack.pop()
            node._visit = placed
            order.append(node)
        elif visit is placed:  # a second entry of a node placed already
            stack.pop()
        else:  # first visit: push the operands, the first operand on top
            node._visit = entered
            a, b = node._a, node._b
            if b is not None:
                mark = b._visit
                if mark is entered:  # an operand still being walked is one of its own operands' operand
                    raise ValueError(cycle_message(b, stack, entered))
                if mark is not placed:
                    stack.append(b)
            if a is not None:
                mark = a._visit
                if mark is entered:
                    raise ValueError(cycle_message(a, stack, entered))
                if mark is not placed:
                    stack.append(a)
    return order


def cycle_message(back_to: Value, stack: list[Value], entered: object) -> str:
    """Name the nodes of a cycle that mutating ``_a``/``_b`` made (no forward pass can make one).

    The nodes marked `entered` are the walk's current path, each one's last place on the stack
    being the one where it was entered; the cycle runs from `back_to` along that path and back.
    """
    from engine.foreign import describe  # only for this message: keeps importing a Value light

    last_place = {id(node): (i, node) for i, node in enumerate(stack) if node._visit is entered}
    path = [node for _, node in sorted(last_place.values(), key=lambda pair: pair[0])]
    ids = [id(node) for node in path]
    cycle = path[ids.index(id(back_to)) :] if id(back_to) in ids else [back_to]
    names = [describe(node) for node in [*cycle, back_to]]
    if len(names) > 12:
        names = [*names[:5], f"… {len(names) - 10} more …", *names[-5:]]
    return "the graph has a cycle: " + " → ".join(names) + " (a node is its own operand, through _a/_b or _prev)"
