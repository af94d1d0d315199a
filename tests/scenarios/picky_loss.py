"""A loss that gives up on its fourth call (the first is the check when the scenario opens)."""

from engine.nn import MLP
from engine.train import Training

calls = []


def picky_loss(scores, targets, model):
    calls.append(1)
    if len(calls) > 3:
        raise RuntimeError("out of patience")
    return sum((s - t) ** 2 for s, t in zip(scores, targets))


def training():
    return Training(MLP(1, [2, 1], seed=3), [[1.0]], [1.0], loss=picky_loss, epochs=10)
