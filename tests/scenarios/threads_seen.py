"""Records on which thread its learning-rate schedule and its measure run; the schedule fails at step 3."""

import threading

from engine.nn import MLP
from engine.train import Training

seen = []  # (what, ran on the main thread?)


def schedule(k):
    seen.append(("schedule", threading.current_thread() is threading.main_thread()))
    if k == 3:
        raise ValueError("no rate for step 3")
    return 0.05


def fraction_positive(scores, targets):
    seen.append(("measure", threading.current_thread() is threading.main_thread()))
    return sum(s > 0 for s in scores) / len(scores)


def training():
    model = MLP(2, [3, 1], seed=1)
    xs, ys = [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0]
    return Training(model, xs, ys, loss="sse", learning_rate=schedule, measure=fraction_positive, epochs=10, pace=50)
