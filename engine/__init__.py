"""A micrograd-compatible autograd engine: `from engine import Value` instead of micrograd's."""

from engine.value import Value, labelled_sum, topological_order

__all__ = ["Value", "labelled_sum", "topological_order"]
