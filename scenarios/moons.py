"""micrograd's demo: an MLP(2, [16, 16, 1]) separating two moons

100 points, ReLU hidden layers, micrograd's max-margin loss with L2 regularisation, and a learning
rate falling from 1.0 to 0.1 over 100 epochs. Accuracy first reaches 100% at epoch 41 (the demo's
step 40: it counts from 0) and stays there from epoch 71 on; the last loss is 0.0109784, the demo's.
graph() is the full-batch loss at initialisation: about 66,000 nodes.
"""

from engine.data import moons
from engine.nn import MLP
from engine.train import Trainer, Training


def training():
    xs, ys = moons(n_samples=100, noise=0.1, seed=1337)
    model = MLP(2, [16, 16, 1], seed=1337)
    return Training(model, xs, ys, loss="hinge", learning_rate=lambda k: 1.0 - 0.9 * k / 100, epochs=100)


def graph():
    return Trainer(training()).loss_graph()
