"""The lecture's training loop, one epoch at a time: forward, zero grad, backward, update.

`Training` describes a run (what a scenario's ``training()`` returns); a `Trainer` runs it epoch by
epoch, so a script, the headless printer and the training view all drive the very same loop.

The first epoch builds a real graph, as the lecture does; later epochs replay it from a tape
(`engine.tape`) when they can, which gives the very same floats without building a graph. When the
tape cannot stand in for the graph, training rebuilds it every epoch and `Trainer.tape_note` says why.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

from engine.losses import LOSSES, Loss, accuracy
from engine.nn import Module, parameter_norms
from engine.purity import PurityWatch, engine_code_only
from engine.replay import Replay, new_replay, same_number
from engine.tape import NotRecordable, record
from engine.text import label_text, one_line, printable
from engine.value import Value

Schedule = Callable[[int], float]
TAPE_KINDS = ("auto", "python", "numpy", "off")  # how epochs after the first run (see Trainer)


@dataclass
class Training:
    """A training run: the model, the data, the loss, the learning rate and how many epochs.

    `loss` is a name (``"sse"``: the lecture's sum of squared errors, ``"mse"``: its mean,
    ``"hinge"``: micrograd's demo loss with L2) or a callable ``loss(scores, targets, model) -> Value``.
    `learning_rate` is a number or a function of the epoch (micrograd's demo: ``1.0 - 0.9*k/100``).
    """

    model: Module  # or a learner's own: anything with parameters() that maps inputs to a Value
    inputs: Sequence[Sequence[float]]
    targets: Sequence[float]
    loss: str | Loss = "mse"
    learning_rate: float | Schedule = 0.05
    epochs: int = 100
    loss_fn: Loss = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.model, Module) and not (
            callable(self.model) and callable(getattr(self.model, "parameters", None))
        ):
            raise TypeError(
                "model must be an engine.nn Module (MLP, Layer, Neuron) or your own model: callable on an input, "
                f"with a parameters() method; got {type(self.model).__name__}"
            )
        if len(self.inputs) == 0:
            raise ValueError("inputs is empty: training needs at least one sample")
        if len(self.inputs) != len(self.targets):
            raise ValueError(f"{len(self.inputs)} inputs but {len(self.targets)} targets: they must pair up")
        _check_data(self.inputs, self.targets, _input_width(self.model))
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"epochs must be a whole number ≥ 1, got {self.epochs!r}")
        if isinstance(self.loss, str):
            if self.loss not in LOSSES:
                raise ValueError(f"unknown loss {self.loss!r}: use one of {', '.join(LOSSES)} or a function")
            self.loss_fn = LOSSES[self.loss]
        elif callable(self.loss):
            self.loss_fn = self.loss
        else:
            raise TypeError(f"loss must be a name or a function, got {type(self.loss).__name__}")
        if not callable(self.learning_rate) and not isinstance(self.learning_rate, (int, float)):
            raise TypeError(f"learning_rate must be a number or a function of the epoch, got {self.learning_rate!r}")

    def rate(self, epoch: int) -> float:
        rate = self.learning_rate(epoch) if callable(self.learning_rate) else self.learning_rate
        return float(rate)

    @property
    def loss_name(self) -> str:
        name = self.loss if isinstance(self.loss, str) else getattr(self.loss, "__name__", "custom")
        return label_text(name) or "custom"  # shown beside the loss: the learner's function may be named anything


def _input_width(model: object) -> int | None:
    """How many numbers one input of `model` takes, where the model says: an engine Neuron, Layer
    or MLP, or a learner's built the lecture's way (``layers`` of ``neurons`` with weights ``w``)."""
    for _ in range(3):
        weights = getattr(model, "w", None)
        if isinstance(weights, (list, tuple)):
            return len(weights)
        parts = getattr(model, "layers", None) or getattr(model, "neurons", None)
        if not isinstance(parts, (list, tuple)) or not parts:
            return None
        model = parts[0]
    return None


def _check_data(inputs: Sequence, targets: Sequence, width: int | None) -> None:
    """Refuse data that would train on something else than what was written: the neuron's
    ``zip(self.w, x)`` silently drops the numbers of a row wider than the model, and uses fewer
    weights for a shorter one, so a ragged or misfitting row would train without a word."""
    first = None
    for i, row in enumerate(inputs):  # lists, tuples, numpy rows: anything with a length
        if isinstance(row, (str, bytes, dict)) or not hasattr(row, "__len__"):
            raise TypeError(f"inputs[{i}] must be a list of numbers, got {type(row).__name__}")
        if first is None:
            first = len(row)
        elif len(row) != first:
            raise ValueError(f"inputs[{i}] has {_numbers(len(row))} but inputs[0] has {first}: rows must be one width")
        for j, x in enumerate(row):
            if not isinstance(x, numbers.Real):
                raise TypeError(f"inputs[{i}][{j}] must be a number, got {type(x).__name__}")
    if width is not None and first != width:
        raise ValueError(f"each input has {_numbers(first)} but the model takes {width}: make them match")
    for i, y in enumerate(targets):
        if not isinstance(y, numbers.Real):
            raise TypeError(f"targets[{i}] must be a number, got {type(y).__name__}")


def _numbers(count: int) -> str:
    return "1 number" if count == 1 else f"{count} numbers"


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did. `loss` and `accuracy` are measured before that epoch's update."""

    epoch: int
    loss: float
    accuracy: float
    learning_rate: float
    grad_norm: float
    max_abs_grad: float
    scores: tuple[float, ...]

    @property
    def finite(self) -> bool:
        return math.isfinite(self.loss)


class TrainingDiverged(ArithmeticError):
    """The loss became NaN or infinite; training cannot go on from there."""

    def __init__(self, record: EpochRecord) -> None:  # epochs count from 1, as the epoch lines do
        super().__init__(f"loss became {record.loss} at epoch {record.epoch + 1}: training stopped")
        self.record = record


class Trainer:
    """Runs a `Training` one epoch at a time and can start it over from the same weights.

    `tape`: ``"auto"`` replays epochs from a tape when it applies (with numpy if installed),
    ``"python"`` or ``"numpy"`` choose the replay, ``"off"`` rebuilds the graph every epoch.
    """

    def __init__(self, training: Training, tape: str = "auto") -> None:
        if tape not in TAPE_KINDS:
            raise ValueError(f"tape must be one of {', '.join(TAPE_KINDS)}, got {tape!r}")
        if tape == "numpy":
            import numpy  # noqa: F401  (asked for by name: say now that it is missing, not mid-run)
        self.training = training
        self.parameters = list(training.model.parameters())
        self.own_values = not isinstance(training.model, Module)  # a learner's model, of their own Values
        if self.own_values:
            _check_parameters(self.parameters)
        self._initial_weights = [p.data for p in self.parameters]
        self._weights_of_last_epoch = list(self._initial_weights)
        self.history: list[EpochRecord] = []
        self.diverged: EpochRecord | None = None
        self.rate_scale = 1.0  # the training view doubles / halves the schedule while paused
        self.tape_kind = tape
        self.replay: Replay | None = None  # the tape's replay once the first epoch recorded one
        self.tape_note = ""  # why epochs rebuild the graph although a tape was asked for
        self._tape_tried = tape == "off" or self.own_values  # a learner's model runs their own backward()

    @property
    def epoch(self) -> int:
        """How many epochs have run."""
        return len(self.history)

    @property
    def finished(self) -> bool:
        return self.diverged is not None or self.epoch >= self.training.epochs

    @property
    def next_learning_rate(self) -> float:
        return self.training.rate(self.epoch) * self.rate_scale

    def step(self) -> EpochRecord:
        """One epoch: forward, zero grad, backward, update. Raises `TrainingDiverged` on NaN/inf."""
        if self.diverged is not None:
            raise TrainingDiverged(self.diverged)
        if self.epoch >= self.training.epochs:
            raise RuntimeError(f"training is over: all {self.training.epochs} epochs have run")
        model, learning_rate = self.training.model, self.next_learning_rate
        self._weights_of_last_epoch = [p.data for p in self.parameters]

        loss, scores = self._replayed_epoch(model) if self.replay is not None else self._rebuilt_epoch(model)
        if math.isfinite(loss):
            grad_norm, max_abs_grad = parameter_norms(self.parameters)
        else:
            grad_norm = max_abs_grad = math.nan
        record = EpochRecord(
            epoch=self.epoch,
            loss=loss,
            accuracy=accuracy(scores, self.training.targets),
            learning_rate=learning_rate,
            grad_norm=grad_norm,
            max_abs_grad=max_abs_grad,
            scores=scores,
        )
        self.history.append(record)
        if not record.finite:
            self.diverged = record
            raise TrainingDiverged(record)
        for p in self.parameters:
            p.data -= learning_rate * p.grad
        return record

    def _rebuilt_epoch(self, model: Module) -> tuple[float, tuple[float, ...]]:
        """The lecture's epoch on a real graph: the loss and the scores, and (if the loss is
        finite) every parameter's grad. The first one also records the tape."""
        recording = not self._tape_tried
        watching = recording and not engine_code_only(model, self.training.loss_fn)
        with PurityWatch() if watching else nullcontext() as watch:
            loss, scores = self._forward(model)
        if math.isfinite(loss.data):
            if self.own_values:  # the lecture's zero_grad: a learner's model may have none
                for p in self.parameters:
                    p.grad = 0.0
            else:
                model.zero_grad()
            loss.backward()
            if recording:
                self._start_tape(model, loss, scores, watch)
        return loss.data, tuple(s.data for s in scores)

    def _replayed_epoch(self, model: Module) -> tuple[float, tuple[float, ...]]:
        """The same epoch from the tape: the same loss, scores and grads, without a graph."""
        try:
            loss, scores = self.replay.forward()
            grads = self.replay.backward() if math.isfinite(loss) else None
        except Exception as error:
            # A domain error, say: rebuild this epoch, so that what is raised is exactly what the
            # real graph raises. Should the real graph not fail, the tape was wrong: stop using it.
            numbers = self._rebuilt_epoch(model)
            self.replay = None
            failed = one_line(error)  # the learner's code may have raised it: shown, so printable
            self.tape_note = f"rebuilding the graph every epoch: the tape failed at epoch {self.epoch + 1} ({failed})"
            return numbers
        if grads is not None:  # what model.zero_grad(); loss.backward() leaves in the parameters
            for p, grad in zip(self.parameters, grads):
                p.grad = grad
        return loss, scores

    def _start_tape(self, model: Module, loss: Value, scores: list[Value], watch: PurityWatch | None) -> None:
        """Record this epoch's graph and check the tape against it: same loss, scores and grads."""
        self._tape_tried = True
        why_not = self._why_no_tape(model, watch)
        if why_not is None:
            try:
                candidate = new_replay(record(loss, scores, self.parameters), self.tape_kind)
                why_not = _disagreement(candidate, loss, scores, self.parameters)
            except NotRecordable as error:
                why_not = str(error)
            except Exception as error:  # a tape failing where the graph did not: rebuild, and say so
                why_not = f"the tape failed on the first epoch ({error!r})"
        if why_not is None:
            self.replay = candidate
        else:
            self.tape_note = printable(f"rebuilding the graph every epoch: {why_not}")

    def _why_no_tape(self, model: Module, watch: PurityWatch | None) -> str | None:
        if not isinstance(model, Module):
            return "the model is not an engine.nn Module"
        if type(model).zero_grad is not Module.zero_grad:
            return "the model has its own zero_grad()"
        if [id(p) for p in model.parameters()] != [id(p) for p in self.parameters]:
            return "model.parameters() changed since training began"
        if watch is not None:
            return watch.found
        return None

    def restart(self) -> None:
        """Back to the initial weights and epoch 0, as if the scenario had just been loaded."""
        for p, w in zip(self.parameters, self._initial_weights):
            p.data = w
            p.grad = 0.0
        self._weights_of_last_epoch = list(self._initial_weights)
        self.history.clear()
        self.diverged = None
        self.rate_scale = 1.0

    def loss_graph(self, sample: int | None = None) -> Value:
        """The loss graph of the last epoch run (of the first one before any has run).

        Built on a copy of the model holding that epoch's weights, so its output equals that
        epoch's reported loss and stepping through it never disturbs training. With `sample`,
        the loss of that one sample instead of the whole batch.
        """
        model = copy.deepcopy(self.training.model)
        for p, w in zip(model.parameters(), self._weights_of_last_epoch):
            p.data = w
        indices = range(len(self.training.inputs)) if sample is None else [sample]
        loss, _ = self._forward(model, indices)
        return loss

    def _forward(self, model: Module, indices: Sequence[int] | None = None) -> tuple[Value, list[Value]]:
        training = self.training
        if indices is None:
            indices = range(len(training.inputs))
        value = self._input_value
        inputs = [[value(x, f"x{s}.{j}") for j, x in enumerate(training.inputs[s])] for s in indices]
        scores = [_one_output(model(x)) for x in inputs]
        kind = Value if not self.own_values else type(self.parameters[0])
        if not all(isinstance(s, kind) for s in scores):
            raise TypeError(f"the model must output one {kind.__name__} per sample (make its last layer one neuron)")
        for s, score in zip(indices, scores):
            _label(score, f"score{s}")
        targets = [training.targets[s] for s in indices]
        try:
            loss = training.loss_fn(scores, targets, model)
        except AttributeError as error:
            if not self.own_values:
                raise
            raise TypeError(
                f"the loss {training.loss_name!r} cannot be built with your {kind.__name__}: {error}"
            ) from None
        if not isinstance(loss, kind):
            raise TypeError(f"the loss must return a {kind.__name__}, got {type(loss).__name__}")
        return loss, scores

    def _input_value(self, x: float, label: str) -> object:
        """An input as a leaf of the model's own Value class (a plain float if it cannot be one)."""
        if not self.own_values:
            return Value(x, label=label)
        try:
            leaf = type(self.parameters[0])(x)
        except Exception:  # a constructor that wants more: their operators wrap floats themselves
            return x
        _label(leaf, label)
        return leaf

    def predictor(self) -> Callable[[Sequence[float]], float]:
        """The model's score for a plain input, frozen at today's weights (safe on another thread)."""
        model = self.training.model
        if hasattr(model, "predictor"):
            return model.predictor()
        frozen = copy.deepcopy(model)  # a learner's model: a snapshot of its own Values
        value = self._input_value
        return lambda x: float(_one_output(frozen([value(xi, "") for xi in x])).data)


def _one_output(output: object) -> object:
    """A layer of one neuron returns its Value; the lecture's returns a list of one."""
    if isinstance(output, list) and len(output) == 1:
        return output[0]
    return output


def _label(value: object, label: str) -> None:
    """Name a node for the debugger; a learner's class without a label slot stays unnamed."""
    try:
        value.label = label
    except (AttributeError, TypeError):
        pass


def _check_parameters(parameters: list) -> None:
    if not parameters:
        raise ValueError("the model has no parameters: parameters() returned nothing to train")
    kind = type(parameters[0])
    for p in parameters:
        if not (hasattr(p, "data") and hasattr(p, "grad")):
            raise TypeError(f"parameters() must return Values (with data and grad), got a {type(p).__name__}")
        if type(p) is not kind:
            raise TypeError(f"parameters() mixes {kind.__name__} and {type(p).__name__}: one Value class per model")
    if not callable(getattr(parameters[0], "backward", None)):
        raise TypeError(f"{kind.__name__} has no backward(): the lecture's training loop calls loss.backward()")


def _disagreement(candidate: Replay, loss: Value, scores: list[Value], parameters: list[Value]) -> str | None:
    """Where the tape's first epoch differs from the real graph's (None: nowhere, bit for bit)."""
    tape_loss, tape_scores = candidate.forward()
    if not same_number(tape_loss, loss.data):
        return f"the tape's loss {tape_loss!r} is not the graph's {loss.data!r}"
    for i, (tape_score, score) in enumerate(zip(tape_scores, scores)):
        if not same_number(tape_score, score.data):
            return f"the tape's score {i} {tape_score!r} is not the graph's {score.data!r}"
    for p, grad in zip(parameters, candidate.backward()):
        if not same_number(grad, p.grad):
            return f"the tape's grad of {p.label or 'a parameter'} {grad!r} is not the graph's {p.grad!r}"
    return None


def train(training: Training, tape: str = "auto") -> Iterator[EpochRecord]:
    """Run every epoch of `training`, yielding one record per epoch (stops on NaN/inf loss)."""
    trainer = Trainer(training, tape)
    while not trainer.finished:
        try:
            yield trainer.step()
        except TrainingDiverged as diverged:
            yield diverged.record
            return
