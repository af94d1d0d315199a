"""A learning-rate schedule that never returns after the first epoch (time.sleep for days)."""

import time

from engine.nn import MLP
from engine.train import Training


def schedule(epoch):
    if epoch > 0:
        time.sleep(10**6)
    return 0.05


def training():
    return Training(MLP(2, [3, 1], seed=1), [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0], learning_rate=schedule, epochs=5)
