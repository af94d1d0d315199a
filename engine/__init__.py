"""A micrograd-compatible autograd engine: `from engine import Value` instead of micrograd's."""

from engine.value import Value, topological_order

__all__ = ["Value", "topological_order"]
