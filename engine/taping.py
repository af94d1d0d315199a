"""When a trainer may replay its epochs from a tape: checking a fresh tape against the real graph.

A tape (`engine.tape`) stands in for the graph only if it gives that graph's numbers bit for bit.
`check_tape` records the first epoch's graph and compares: loss, scores, and every grad — grads
added to what the parameters held before backward, so that a run without ``zero_grad`` (the
lecture's bug: grads pile up across epochs) replays exactly too. `ValidationTape` does the same for
the validation set's forward pass, which needs no grads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.nn import Module
from engine.purity import PurityWatch
from engine.replay import Replay, new_replay, same_number
from engine.tape import NotRecordable, record
from engine.value import Value

if TYPE_CHECKING:
    from engine.train import Trainer


def check_tape(
    trainer: Trainer,
    model: Module,
    loss: Value,
    scores: list[Value],
    watch: PurityWatch | None,
    starts: dict[int, float],
) -> tuple[Replay | None, str | None]:
    """A replay of this graph that agrees with it, or None and why not. `starts`: each
    parameter's grad (by id) just before ``loss.backward()`` added this epoch's to it."""
    why_not = _why_no_tape(trainer, model, watch)
    if why_not is not None:
        return None, why_not
    try:
        candidate = new_replay(record(loss, scores, trainer.parameters), trainer.tape_kind)
        before = [starts[id(p)] for p in candidate.tape.parameters]
        why_not = _disagreement(candidate, loss, scores, trainer.parameters, before)
    except NotRecordable as error:
        return None, str(error)
    except Exception as error:  # a tape failing where the graph did not: rebuild, and say so
        return None, f"the tape failed on the first epoch ({error!r})"
    return (candidate, None) if why_not is None else (None, why_not)


def _why_no_tape(trainer: Trainer, model: Module, watch: PurityWatch | None) -> str | None:
    if not isinstance(model, Module):
        return "the model is not an engine.nn Module"
    if type(model).zero_grad is not Module.zero_grad:
        return "the model has its own zero_grad()"
    if [id(p) for p in model.parameters()] != [id(p) for p in trainer.parameters]:
        return "model.parameters() changed since training began"
    if watch is not None:
        return watch.found
    return None


def _disagreement(
    candidate: Replay, loss: Value, scores: list[Value], parameters: list[Value], starts: Sequence[float]
) -> str | None:
    """Where the tape's first epoch differs from the real graph's (None: nowhere, bit for bit)."""
    why = _forward_disagreement(candidate, loss, scores)
    if why is not None:
        return why
    for p, grad in zip(parameters, candidate.backward(starts)):
        if not same_number(grad, p.grad):
            return f"the tape's grad of {p.label or 'a parameter'} {grad!r} is not the graph's {p.grad!r}"
    return None


def _forward_disagreement(candidate: Replay, loss: Value, scores: list[Value]) -> str | None:
    tape_loss, tape_scores = candidate.forward()
    if not same_number(tape_loss, loss.data):
        return f"the tape's loss {tape_loss!r} is not the graph's {loss.data!r}"
    for i, (tape_score, score) in enumerate(zip(tape_scores, scores)):
        if not same_number(tape_score, score.data):
            return f"the tape's score {i} {tape_score!r} is not the graph's {score.data!r}"
    return None


class ValidationTape:
    """The validation set's loss and scores each epoch: from a tape once the training's own tape
    stands (the same code builds both graphs), checked against a real graph first; else rebuilt."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.replay: Replay | None = None
        self._tried = False

    def forget(self) -> None:
        """Record afresh at the next epoch (the loss changed: a new L2 strength)."""
        self.replay = None
        self._tried = False

    def numbers(self, trainer: Trainer, model: Module) -> tuple[float, tuple[float, ...]]:
        if self.replay is not None:
            try:
                return self.replay.forward()
            except Exception:  # rebuild: the real graph raises the real error, or the tape was wrong
                self.replay = None
        loss, scores = trainer._forward(model, validation=True)
        if trainer.replay is not None and not self._tried:
            self._tried = True
            try:
                candidate = new_replay(record(loss, scores, trainer.parameters), self.kind)
                if _forward_disagreement(candidate, loss, scores) is None:
                    self.replay = candidate
            except Exception:  # NotRecordable, or a tape failing where the graph did not: rebuild
                pass
        return loss.data, tuple(s.data for s in scores)
