"""Too high a learning rate: a linear neuron overshoots further each epoch until its loss is inf."""

from engine.nn import MLP
from engine.train import Training


def training():
    model = MLP(1, [1], seed=2)  # one linear neuron: w·x + b
    return Training(model, [[1.0], [2.0], [3.0]], [2.0, 4.0, 6.0], loss="sse", learning_rate=0.5, epochs=400)
