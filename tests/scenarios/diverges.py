"""Diverges: a learning rate of 1e150 sends the loss to inf within two epochs."""

from engine.nn import MLP
from engine.train import Training


def training():
    model = MLP(1, [4, 1], seed=1)
    return Training(model, [[1.0], [2.0]], [1.0, -1.0], loss="sse", learning_rate=1e150, epochs=50)
