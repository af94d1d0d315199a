"""Losses of the lecture and of micrograd's demo, written the way they build their graphs.

Each loss takes the model's scores, the targets and the model (for regularisation) and returns one
`Value`. The expressions are spelled exactly as in the lecture and the demo, so that the graph, its
node count and every float come out the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.nn import Module
from engine.value import Value, labelled_sum

Loss = Callable[[Sequence[Value], Sequence[float], Module], Value]


def sse(
    scores: Sequence[Value], targets: Sequence[float], model: Module | None = None, alpha: float | None = None
) -> Value:
    """The lecture's loss: the sum of squared errors, ``sum((yout - ygt)**2)``; with `alpha`, plus
    the L2 term ``alpha · Σ p²`` (none by default: the lecture's loss has none)."""
    errors = []
    for i, (ygt, yout) in enumerate(zip(targets, scores)):
        error = yout - ygt
        error.label = f"err{i}"
        errors.append(_named(error**2, f"sq_err{i}"))
    return _with_l2(labelled_sum(errors, 0, _counted("sse_sum", len(errors))), model, alpha)


def mse(
    scores: Sequence[Value], targets: Sequence[float], model: Module | None = None, alpha: float | None = None
) -> Value:
    """The mean of the squared errors (the lecture's sum divided by the number of samples); with
    `alpha`, plus the L2 term ``alpha · Σ p²``."""
    return _with_l2(_named(sse(scores, targets), "sse") * (1.0 / len(scores)), model, alpha)


def hinge(scores: Sequence[Value], targets: Sequence[float], model: Module | None = None, alpha: float = 1e-4) -> Value:
    """micrograd's demo loss: mean max-margin ``relu(1 - y·score)`` plus L2 ``alpha · Σ p²``."""
    losses = []
    for i, (yi, scorei) in enumerate(zip(targets, scores)):
        signed = _named(-yi * scorei, f"-y·score{i}")
        losses.append(_named(_named(1 + signed, f"1-y·score{i}").relu(), f"margin{i}"))
    margins = labelled_sum(losses, 0, _counted("margin_sum", len(losses)))
    return _with_l2(margins * (1.0 / len(losses)), model, alpha)


def _with_l2(data_loss: Value, model: Module | None, alpha: float | None) -> Value:
    """``data_loss + alpha · Σ p²`` spelled as the demo spells its L2 term, or the data loss alone."""
    if alpha is None or model is None:
        return _named(data_loss, "loss")
    parameters = model.parameters()
    squares = [p * p for p in parameters]
    for p, square in zip(parameters, squares):
        square.label = f"{p.label}²"
    reg_loss = _named(alpha * labelled_sum(squares, 0, _counted("p²_sum", len(squares))), "reg_loss")
    return _named(_named(data_loss, "data_loss") + reg_loss, "loss")


def _counted(name: str, count: int) -> list[str]:
    return [f"{name}{i}" for i in range(count)]


def _named(value: Value, label: str) -> Value:
    """Label a node for the debugger's eyes; the numbers are untouched."""
    value.label = label
    return value


LOSSES: dict[str, Loss] = {"sse": sse, "mse": mse, "hinge": hinge}


def accuracy(scores: Sequence[float], targets: Sequence[float]) -> float:
    """The fraction of samples whose score has the target's sign (targets are ±1)."""
    if not scores:
        return 0.0
    hits = sum((y > 0) == (s > 0) for s, y in zip(scores, targets))
    return hits / len(scores)
