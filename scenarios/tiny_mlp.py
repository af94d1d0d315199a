"""The lecture's tiny MLP: MLP(3, [4, 4, 1]) with tanh, four samples, sum of squared errors

graph() is the loss of the freshly initialised net on the four samples (about 400 nodes);
training() runs the lecture's loop: forward, zero grad, backward, p.data += -0.1 · p.grad.
"""

from engine.data import LECTURE_XS, LECTURE_YS
from engine.nn import MLP
from engine.train import Trainer, Training


def training():
    model = MLP(3, [4, 4, 1], activation="tanh", seed=1337)
    return Training(model, LECTURE_XS, LECTURE_YS, loss="sse", learning_rate=0.1, epochs=20)


def graph():
    return Trainer(training()).loss_graph()
