"""The lecture's numerical derivative: bump one node by h, run the forward pass again, see the change.

Works for any node of a graph, leaf or intermediate: an intermediate node is treated as an input
(its value replaced by value + h and everything downstream recomputed from the op table), which is
exactly what its ``grad`` claims to measure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.value import Value, topological_order


def forward_values(order: list[Value], overrides: dict[Value, float] | None = None) -> dict[Value, float]:
    """Every node's value, recomputed in topological order from the leaves' current data."""
    overrides = overrides or {}
    values: dict[Value, float] = {}
    for node in order:
        if node in overrides:
            values[node] = overrides[node]
        elif node._a is None:
            values[node] = node.data
        else:
            values[node] = node._op.forward(*(values[operand] for operand in node._prev))
    return values


def numerical_grad(output: Value, node: Value, h: float = 1e-6) -> float:
    """d output / d node measured the lecture's way: ``(f(x + h) - f(x)) / h``."""
    order = topological_order(output)
    if node not in set(order):
        raise ValueError(f"{node!r} is not part of the graph of {output!r}")
    base = forward_values(order)
    bumped = forward_values(order, {node: base[node] + h})
    return (bumped[output] - base[output]) / h


@dataclass(frozen=True)
class GradCheck:
    node: Value
    backprop: float
    numerical: float

    @property
    def error(self) -> float:
        return abs(self.backprop - self.numerical)

    def agrees(self, tolerance: float = 1e-4) -> bool:
        return self.error <= tolerance * max(1.0, abs(self.backprop), abs(self.numerical))


def check_gradients(output: Value, nodes: Iterable[Value] | None = None, h: float = 1e-6) -> list[GradCheck]:
    """Run `backward()` from zeroed grads and compare each node's grad (default: every leaf)
    with its numerical derivative. Leaves the graph's grads as `backward()` left them."""
    order = topological_order(output)
    for node in order:
        node.grad = 0.0
    output.backward()
    chosen = [n for n in order if n._a is None] if nodes is None else list(nodes)
    return [GradCheck(node, node.grad, numerical_grad(output, node, h)) for node in chosen]
