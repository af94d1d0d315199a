"""A NaN in the inputs: the loss is NaN at the very first epoch."""

import math

from engine.nn import MLP
from engine.train import Training


def graph():
    from engine import Value

    return Value(1.0, label="x") * 2.0


def training():
    xs = [[math.nan, 1.0], [1.0, 0.0]]
    return Training(MLP(2, [3, 1], seed=1), xs, [1.0, -1.0], loss="mse", epochs=10)
