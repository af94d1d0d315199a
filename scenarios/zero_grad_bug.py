"""The lecture's bug: the tiny MLP trained without zero_grad, so grads add up across epochs

tiny_mlp's net, data and learning rate, with zero_grad=False: the loop the lecture first wrote,
forward, backward, update, and no p.grad = 0 in between. Each update then follows the sum of every
epoch's gradient so far, and the loss bounces: 6.005, 3.202, 2.433, 1.143, 0.046, then back up to
0.174 at epoch 8 and 3.784 at epoch 12. Compare with tiny_mlp, which zeroes the grads.
"""

from engine.data import LECTURE_XS, LECTURE_YS
from engine.nn import MLP
from engine.train import Trainer, Training


def training():
    model = MLP(3, [4, 4, 1], activation="tanh", seed=1337)
    return Training(model, LECTURE_XS, LECTURE_YS, loss="sse", learning_rate=0.1, epochs=20, zero_grad=False)


def graph():
    return Trainer(training()).loss_graph()
