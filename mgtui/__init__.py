"""mgtui: a terminal step-through debugger for backpropagation, after the micrograd lecture."""

__version__ = "0.1.0"
