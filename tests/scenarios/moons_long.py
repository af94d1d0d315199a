"""micrograd's moons net for a million epochs: a run no test outlasts, however fast epochs get."""

from engine.data import moons
from engine.nn import MLP
from engine.train import Training


def training():
    xs, ys = moons(n_samples=100, noise=0.1, seed=1337)
    return Training(MLP(2, [16, 16, 1], seed=1337), xs, ys, loss="hinge", learning_rate=0.05, epochs=1_000_000)
