"""A custom loss that imports a neighbour each time it runs: mid-training, long after loading."""

from engine.nn import MLP
from engine.train import Training


def squared_errors(scores, targets, model):
    import neighbour_helper  # noqa: F401  (the import is the point: it must still work then)

    return sum(((s - y) ** 2 for s, y in zip(scores, targets)), 0.0)


def training():
    return Training(MLP(2, [3, 1], seed=1), [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0], loss=squared_errors, epochs=3)
