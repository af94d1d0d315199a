"""A custom loss that loops forever once training is under way (its 4th call on)."""

from engine.nn import MLP
from engine.train import Training

calls = 0


def endless(scores, targets, model):
    global calls
    calls += 1
    while calls > 3:  # the first forward passes (while loading) finish; training never does
        pass
    return sum(((s - y) ** 2 for s, y in zip(scores, targets)), 0.0)


def training():
    return Training(MLP(2, [3, 1], seed=1), [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0], loss=endless, epochs=50)
