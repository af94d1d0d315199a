"""Training inputs of different widths."""

from engine.nn import MLP
from engine.train import Training


def training():
    xs = [[0.0, 1.0], [1.0, 0.0, 5.0], [1.0, 1.0]]
    return Training(MLP(2, [3, 1], seed=1), xs, [1.0, -1.0, 1.0], loss="mse", epochs=5)
