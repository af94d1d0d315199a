"""The lecture's training loop, one epoch at a time: forward, zero grad, backward, update.

`Training` describes a run (what a scenario's ``training()`` returns); a `Trainer` runs it epoch by
epoch, so a script, the headless printer and the training view all drive the very same loop.

The first epoch builds a real graph, as the lecture does; later epochs replay it from a tape
(`engine.tape`) when they can, which gives the very same floats without building a graph. When the
tape cannot stand in for the graph, training rebuilds it every epoch and `Trainer.tape_note` says why.

Epochs are counted from 1, as they are printed; a learning-rate schedule is called with the
lecture's step number k = epoch − 1 (micrograd's demo: ``1.0 - 0.9*k/100`` for k = 0 … 99). Every
figure of an epoch — loss, accuracy, scores, grads, validation — is measured at the weights that
epoch started from, before its update.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext

from engine.curve import Curve
from engine.foreign import label_of
from engine.nn import Module
from engine.purity import PurityWatch, engine_code_only
from engine.recording import collector_paused
from engine.records import EpochRecord, Snapshot, TrainingDiverged
from engine.replay import Replay
from engine.taping import ValidationTape, check_tape
from engine.text import one_line, printable
from engine.training_setup import Training
from engine.value import Value

__all__ = ["EpochRecord", "Snapshot", "Trainer", "Training", "TrainingDiverged", "train"]

TAPE_KINDS = ("auto", "python", "numpy", "off")  # how epochs after the first run (see Trainer)
HISTORY = 1000  # records kept in Trainer.history: a run of any length keeps bounded memory


class Trainer:
    """Runs a `Training` one epoch at a time and can start it over from the same weights.

    `tape`: ``"auto"`` replays epochs from a tape when it applies (with numpy if installed),
    ``"python"`` or ``"numpy"`` choose the replay, ``"off"`` rebuilds the graph every epoch.

    Whatever calls the scenario's code (`step`, `look_ahead`) belongs on one thread; `latest`,
    `curve`, `history` and the plain attributes may be read from another while it runs.
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
        self.parameter_labels = parameter_names(training.model, self.parameters)
        self.initial_weights = [p.data for p in self.parameters]
        self._weights_of_last_epoch = list(self.initial_weights)
        self.epochs_planned = training.epochs  # more once a finished run is continued (`extend`)
        self.history: deque[EpochRecord] = deque(maxlen=HISTORY)  # the latest epochs' records
        self.curve = Curve()  # every epoch's loss, in bounded memory
        self.validation_curve = Curve()
        self.latest: Snapshot | None = None  # the last epoch run, as the view paints it
        self.diverged: EpochRecord | None = None
        self.rate_scale = 1.0  # the training view doubles / halves the schedule
        self.l2 = training.l2_strength  # the loss's L2 strength (None: it has no L2 term)
        self._l2_wanted = self.l2  # set from any thread; the next epoch takes it up (never cleared: no race)
        self._epochs_run = 0
        self._schedule_cache: tuple[int, float] | None = None  # (k, the schedule's rate at k)
        self.tape_kind = tape
        self.replay: Replay | None = None  # the tape's replay once the first epoch recorded one
        self.tape_note = ""  # why epochs rebuild the graph although a tape was asked for
        self._tape_tried = tape == "off" or self.own_values  # a learner's model runs their own backward()
        self.validation = ValidationTape(tape) if training.validation is not None else None
        # Since the last restart: (first epoch, lr scale, L2 strength) each time they changed. With
        # the scenario, it fixes every number of the run: another trainer can `follow` it bit for bit.
        self.settings: list[tuple[int, float, float | None]] = []

    # --- where the run is ----------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        """How many epochs have run (the number of the last one)."""
        return self._epochs_run

    @property
    def finished(self) -> bool:
        return self.diverged is not None or self.epoch >= self.epochs_planned

    def extend(self, epochs: int) -> None:
        """Plan `epochs` more epochs: a finished run carries on from its last weights."""
        if epochs < 1:
            raise ValueError(f"extend by at least one epoch, got {epochs}")
        self.epochs_planned += epochs

    # --- the learning rate and the L2 strength ---------------------------------------------------

    def scheduled_rate(self, epoch: int) -> float:
        """The schedule's rate for the epoch after `epoch` epochs (k = `epoch`); past the planned
        epochs of a continued run, its last one (`schedule_held`). Calls the scenario's schedule,
        once per epoch: only from the thread that trains."""
        rate = self.training.learning_rate
        if not callable(rate):
            return float(rate)
        k = min(epoch, self.training.epochs - 1)
        if self._schedule_cache is None or self._schedule_cache[0] != k:
            self._schedule_cache = (k, self.training.rate(k))
        return self._schedule_cache[1]

    def look_ahead(self) -> float:
        """The next epoch's learning rate, asking the schedule now, so `next_learning_rate` knows it."""
        return self.scheduled_rate(self.epoch) * self.rate_scale

    @property
    def next_learning_rate(self) -> float | None:
        """The next epoch's learning rate, if known without calling the scenario's code (a number,
        or a schedule already asked by `look_ahead` or `step`); else None."""
        rate = self.training.learning_rate
        if not callable(rate):
            return float(rate) * self.rate_scale
        k = min(self.epoch, self.training.epochs - 1)
        cache = self._schedule_cache
        return cache[1] * self.rate_scale if cache is not None and cache[0] == k else None

    @property
    def schedule_held(self) -> bool:
        """A continued run past the schedule's planned epochs: it keeps the schedule's last rate."""
        return callable(self.training.learning_rate) and self.epoch >= self.training.epochs

    def request_l2(self, alpha: float) -> None:
        """Train with L2 strength `alpha` from the next epoch on (safe while another thread trains).
        The strength is a constant of the graph: that epoch builds a real graph and records a new tape."""
        if self.l2 is None:
            raise ValueError(f"the loss {self.training.loss_name!r} has no L2 term (no alpha parameter)")
        if not (alpha >= 0 and math.isfinite(alpha)):
            raise ValueError(f"the L2 strength must be a number ≥ 0, got {alpha!r}")
        self._l2_wanted = float(alpha)

    @property
    def next_l2(self) -> float | None:
        """The L2 strength the next epoch will use."""
        return self._l2_wanted

    def _take_l2_request(self) -> None:
        alpha = self._l2_wanted
        if alpha != self.l2:
            self.l2 = alpha
            self._forget_tapes()

    def _forget_tapes(self) -> None:
        """The next epoch records the tapes afresh (and checks them against its real graph)."""
        self.replay = None
        self.tape_note = ""
        self._tape_tried = self.tape_kind == "off" or self.own_values
        if self.validation is not None:
            self.validation.forget()

    # --- one epoch -------------------------------------------------------------------------------

    def step(self) -> EpochRecord:
        """One epoch: forward, zero grad, backward, update. Raises `TrainingDiverged` on NaN/inf."""
        if self.diverged is not None:
            raise TrainingDiverged(self.diverged)
        if self.epoch >= self.epochs_planned:
            raise RuntimeError(f"training is over: all {self.epochs_planned} epochs have run")
        self._take_l2_request()
        if not self.settings or self.settings[-1][1:] != (self.rate_scale, self.l2):
            self.settings.append((self.epoch + 1, self.rate_scale, self.l2))
        training, model = self.training, self.training.model
        learning_rate = self.scheduled_rate(self.epoch) * self.rate_scale
        weights = [p.data for p in self.parameters]
        self._weights_of_last_epoch = weights

        if self.replay is not None:
            loss, scores = self._replayed_epoch(model)
        else:
            with collector_paused():  # a graph of ~130,000 nodes per moons epoch, no cycle to find among them
                loss, scores = self._rebuilt_epoch(model)
        finite = math.isfinite(loss)
        grads = [p.grad for p in self.parameters]
        grad_norm, max_abs_grad = _norms(grads) if finite else (math.nan, math.nan)
        measure = training.measure.of(scores, training.targets)
        validation_loss = validation_measure = None
        validation_scores: tuple[float, ...] = ()
        if self.validation is not None:
            validation_loss, validation_scores = self.validation.numbers(self, model)
            validation_measure = training.measure.of(validation_scores, training.validation[1])
        record = EpochRecord(
            epoch=self.epoch + 1,
            loss=loss,
            measure=measure,
            learning_rate=learning_rate,
            grad_norm=grad_norm,
            max_abs_grad=max_abs_grad,
            scores=scores,
            validation_loss=validation_loss,
            validation_measure=validation_measure,
            l2=self.l2,
        )
        self._remember(Snapshot(record, tuple(weights), tuple(grads), validation_scores))
        if not finite:
            self.diverged = record
            raise TrainingDiverged(record)
        for p in self.parameters:
            p.data -= learning_rate * p.grad
        return record

    def _remember(self, snapshot: Snapshot) -> None:
        record = snapshot.record
        self._epochs_run = record.epoch
        self.history.append(record)
        self.curve.append(record.epoch, record.loss)
        if record.validation_loss is not None:
            self.validation_curve.append(record.epoch, record.validation_loss)
        self.latest = snapshot

    def _rebuilt_epoch(self, model: Module) -> tuple[float, tuple[float, ...]]:
        """The lecture's epoch on a real graph: the loss and the scores, and (if the loss is
        finite) every parameter's grad. The first one also records the tape."""
        recording = not self._tape_tried
        watching = recording and not engine_code_only(model, self.training.loss_fn)
        with PurityWatch() if watching else nullcontext() as watch:
            loss, scores = self._forward(model)
        if math.isfinite(loss.data):
            if self.training.zero_grad:
                self._zero_grad(model)
            starts = {id(p): p.grad for p in self.parameters}  # what backward adds to
            loss.backward()
            if recording:
                self._start_tape(model, loss, scores, watch, starts)
        return loss.data, tuple(s.data for s in scores)

    def _zero_grad(self, model: Module) -> None:
        if self.own_values:  # the lecture's zero_grad: a learner's model may have none
            for p in self.parameters:
                p.grad = 0.0
        else:
            model.zero_grad()

    def _replayed_epoch(self, model: Module) -> tuple[float, tuple[float, ...]]:
        """The same epoch from the tape: the same loss, scores and grads, without a graph."""
        replay = self.replay
        try:
            loss, scores = replay.forward()
            starts = None if self.training.zero_grad else [p.grad for p in replay.tape.parameters]
            grads = replay.backward(starts) if math.isfinite(loss) else None
        except Exception as error:
            # A domain error, say: rebuild this epoch, so that what is raised is exactly what the
            # real graph raises. Should the real graph not fail, the tape was wrong: stop using it.
            numbers = self._rebuilt_epoch(model)
            self.replay = None
            failed = one_line(error)  # the learner's code may have raised it: shown, so printable
            self.tape_note = f"rebuilding the graph every epoch: the tape failed at epoch {self.epoch + 1} ({failed})"
            return numbers
        if grads is not None:  # what zero_grad (or not) and loss.backward() leave in the parameters
            for p, grad in zip(self.parameters, grads):
                p.grad = grad
        return loss, scores

    def _start_tape(
        self, model: Module, loss: Value, scores: list[Value], watch: PurityWatch | None, starts: dict[int, float]
    ) -> None:
        """Record this epoch's graph and check the tape against it: same loss, scores and grads."""
        self._tape_tried = True
        candidate, why_not = check_tape(self, model, loss, scores, watch, starts)
        if why_not is None:
            self.replay = candidate
        else:
            self.tape_note = printable(f"rebuilding the graph every epoch: {why_not}")

    def restart(self, keep_settings: bool = False) -> None:
        """Back to the initial weights and epoch 0, as if the scenario had just been loaded; the
        learning-rate scale and the L2 strength too, unless `keep_settings`."""
        for p, w in zip(self.parameters, self.initial_weights):
            p.data = w
            p.grad = 0.0
        self._weights_of_last_epoch = list(self.initial_weights)
        self.history.clear()
        self.curve.clear()
        self.validation_curve.clear()
        self.latest = None
        self.diverged = None
        self._epochs_run = 0
        self.epochs_planned = self.training.epochs
        self.settings = []
        if not keep_settings:
            self.rate_scale = 1.0
            if self.l2 is not None:
                self._l2_wanted = self.training.l2_strength

    def follow(self, epoch: int, settings: Sequence[tuple[int, float, float | None]]) -> None:
        """Bring this run to `epoch` epochs of another run of the same scenario that used these
        `settings`, so its numbers are that run's, bit for bit: carry on where the two agree so
        far, else start over. Stops early where that run would have (a loss that diverged)."""
        settings = [tuple(entry) for entry in settings]
        ran_alike = self.settings == [entry for entry in settings if entry[0] <= self.epoch]
        if self.epoch > epoch or not ran_alike:
            self.restart()
        while self.epoch < epoch and self.diverged is None:
            _, scale, l2 = next(entry for entry in reversed(settings) if entry[0] <= self.epoch + 1)
            self.rate_scale = scale
            if l2 is not None and self.l2 is not None:
                self.request_l2(l2)
            if self.epoch >= self.epochs_planned:
                self.extend(epoch - self.epoch)
            try:
                self.step()
            except TrainingDiverged:
                return

    # --- graphs and predictions at an epoch's weights ------------------------------------------------

    def loss_graph(
        self, sample: int | None = None, weights: Sequence[float] | None = None, l2: float | None = None
    ) -> Value:
        """The loss graph of the last epoch run (of the first one before any has run), or at
        `weights` with L2 strength `l2` (an epoch's, from its `Snapshot`).

        Built on a copy of the model holding those weights, so its output equals that epoch's
        reported loss and stepping through it never disturbs training. With `sample`, the loss of
        that one sample instead of the whole batch.
        """
        model = self._model_at(self._weights_of_last_epoch if weights is None else weights)
        indices = range(len(self.training.inputs)) if sample is None else [sample]
        loss, _ = self._forward(model, indices, l2=self.l2 if l2 is None else l2)
        return loss

    def _model_at(self, weights: Sequence[float]) -> Module:
        model = copy.deepcopy(self.training.model)
        for p, w, name in zip(model.parameters(), weights, self.parameter_labels):
            p.data = w
            if self.own_values and not getattr(p, "label", ""):  # the copy's weights: named for the graph view
                _label(p, name)
        return model

    def predictor(self, weights: Sequence[float] | None = None) -> Callable[[Sequence[float]], float]:
        """The model's score for a plain input, frozen at today's weights (or at `weights`): safe to
        call on another thread while training goes on."""
        model = self.training.model if weights is None else self._model_at(weights)
        if hasattr(model, "predictor"):
            return model.predictor()
        frozen = copy.deepcopy(model) if weights is None else model  # a learner's model: a snapshot of its Values
        value = self._input_value
        return lambda x: float(_one_output(frozen([value(xi, "") for xi in x])).data)

    def _forward(
        self,
        model: Module,
        indices: Sequence[int] | None = None,
        l2: float | None = None,
        validation: bool = False,
    ) -> tuple[Value, list[Value]]:
        training = self.training
        inputs, targets = training.validation if validation else (training.inputs, training.targets)
        if indices is None:
            indices = range(len(inputs))
        value, prefix = self._input_value, "v" if validation else ""
        xs = [[value(x, f"{prefix}x{s}.{j}") for j, x in enumerate(inputs[s])] for s in indices]
        scores = [_one_output(model(x)) for x in xs]
        kind = Value if not self.own_values else type(self.parameters[0])
        if not all(isinstance(s, kind) for s in scores):
            raise TypeError(f"the model must output one {kind.__name__} per sample (make its last layer one neuron)")
        for s, score in zip(indices, scores):
            _label(score, f"{prefix}score{s}")
        wanted = [targets[s] for s in indices]
        alpha = self.l2 if l2 is None else l2
        try:
            if alpha is None:
                loss = training.loss_fn(scores, wanted, model)
            else:
                loss = training.loss_fn(scores, wanted, model, alpha=alpha)
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


def _norms(grads: Sequence[float]) -> tuple[float, float]:
    """(L2 norm of the gradients, largest |gradient|): `engine.nn.parameter_norms`, from the floats."""
    if not grads:
        return 0.0, 0.0
    return math.sqrt(sum(g * g for g in grads)), max(abs(g) for g in grads)


def _one_output(output: object) -> object:
    """A layer of one neuron returns its Value; the lecture's returns a list of one."""
    if isinstance(output, list) and len(output) == 1:
        return output[0]
    return output


def parameter_names(model: object, parameters: list) -> list[str]:
    """Each parameter's label, or else its place in the model as the engine's nn names it,
    ``L1.n3.w5`` / ``L1.n3.b``, when the model is built the lecture's way (``layers`` of ``neurons``
    with ``w`` and ``b``, as micrograd's nn is too); else ``p7``, its index in ``parameters()``."""
    places: dict[int, str] = {}
    try:  # a learner's model: attributes of any shape, or none
        for i, layer in enumerate(model.layers):
            for j, neuron in enumerate(layer.neurons):
                for k, w in enumerate(neuron.w):
                    places[id(w)] = f"L{i}.n{j}.w{k}"
                places[id(neuron.b)] = f"L{i}.n{j}.b"
    except Exception:
        places = {}
    return [label_of(p) or places.get(id(p), f"p{i}") for i, p in enumerate(parameters)]


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


def train(training: Training, tape: str = "auto") -> Iterator[EpochRecord]:
    """Run every epoch of `training`, yielding one record per epoch (stops on NaN/inf loss)."""
    trainer = Trainer(training, tape)
    while not trainer.finished:
        try:
            yield trainer.step()
        except TrainingDiverged as diverged:
            yield diverged.record
            return
