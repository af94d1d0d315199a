"""`Training`: what a scenario's ``training()`` returns — the run, and the lecture's switches on it.

Imported as ``from engine.train import Training``; it lives here so that the loop in `engine.train`
stays one reader's worth.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine.losses import LOSSES, Loss
from engine.measures import Classes, Measure, MeasureFunction, as_measure, classes_of, default_measure
from engine.nn import Module
from engine.text import label_text

Schedule = Callable[[int], float]


@dataclass
class Training:
    """A training run: the model, the data, the loss, the learning rate and how many epochs.

    `loss` is a name (``"sse"``: the lecture's sum of squared errors, ``"mse"``: its mean,
    ``"hinge"``: micrograd's demo loss with L2) or a callable ``loss(scores, targets, model) -> Value``.
    `learning_rate` is a number or a function of the step k = 0, 1, … (micrograd's demo:
    ``1.0 - 0.9*k/100``).

    The lecture's switches:

    - `l2`: the strength alpha of the loss's L2 term ``alpha · Σ p²``. A loss is regularised if it
      takes an ``alpha`` argument: ``"hinge"`` (alpha 1e-4, the demo's) and your own; ``"sse"`` and
      ``"mse"`` take one too but add no term unless `l2` is given.
    - `zero_grad=False`: the lecture's forgotten ``zero_grad``; grads add up across epochs.
    - `validation=(inputs, targets)`: samples the model never trains on, measured every epoch.
    - `measure`: what to report beside the loss (default: accuracy for ±1 or 0/1 targets, else the
      largest absolute error); a `engine.measures.Measure` or a function ``f(scores, targets)``.

    For the training view: `paused` opens it paused; `pace` is its speed in epochs per second
    (default: by the run's length, a few seconds for a short run; ``math.inf``: as fast as it goes).
    """

    model: Module  # or a learner's own: anything with parameters() that maps inputs to a Value
    inputs: Sequence[Sequence[float]]
    targets: Sequence[float]
    loss: str | Loss = "mse"
    learning_rate: float | Schedule = 0.05
    epochs: int = 100
    l2: float | None = None
    zero_grad: bool = True
    validation: tuple[Sequence[Sequence[float]], Sequence[float]] | None = None
    measure: Measure | MeasureFunction | None = None
    paused: bool = False
    pace: float | None = None
    loss_fn: Loss = field(init=False, repr=False)
    l2_strength: float | None = field(init=False, repr=False)  # the L2 strength training starts with
    classes: Classes | None = field(init=False, repr=False)  # the targets' classes (None: a regression)

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
        self.l2_strength = self._l2_strength()
        self._check_validation()
        self.classes = classes_of(self.targets)
        self.measure = default_measure(self.targets) if self.measure is None else as_measure(self.measure)
        if not isinstance(self.zero_grad, bool):
            raise TypeError(f"zero_grad must be True or False, got {self.zero_grad!r}")
        if self.pace is not None and not (isinstance(self.pace, (int, float)) and self.pace > 0):
            raise ValueError(f"pace must be epochs per second > 0 (math.inf: full speed), got {self.pace!r}")

    def _l2_strength(self) -> float | None:
        takes_alpha, default = _alpha_parameter(self.loss_fn)
        if self.l2 is None:
            return default if takes_alpha else None
        if not takes_alpha:
            raise TypeError(
                f"l2 is the strength of the loss's L2 term, but the loss {self.loss_name!r} has no alpha "
                "parameter to set it (give it one: loss(scores, targets, model, alpha))"
            )
        if isinstance(self.l2, bool) or not isinstance(self.l2, (int, float)) or not (self.l2 >= 0):
            raise ValueError(f"l2 must be a number ≥ 0, got {self.l2!r}")
        return float(self.l2)

    def _check_validation(self) -> None:
        if self.validation is None:
            return
        try:
            inputs, targets = self.validation
        except (TypeError, ValueError):
            raise TypeError("validation must be a pair (inputs, targets)") from None
        if len(inputs) == 0 or len(inputs) != len(targets):
            raise ValueError(
                f"validation has {len(inputs)} inputs and {len(targets)} targets: it needs at least one pair"
            )
        width = len(self.inputs[0])
        if any(len(x) != width for x in inputs):
            raise ValueError(f"validation inputs must have {width} numbers each, like the training inputs")

    def rate(self, epoch: int) -> float:
        """The learning rate at step k = `epoch` (counted from 0, as the schedule counts)."""
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


def _alpha_parameter(loss: Loss) -> tuple[bool, float | None]:
    """Whether the loss takes an ``alpha`` (its L2 strength) by keyword, and its default (None: none)."""
    try:
        parameter = inspect.signature(loss).parameters.get("alpha")
    except (TypeError, ValueError):  # a builtin or a callable object without a signature
        return False, None
    if parameter is None or parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
        return False, None
    default = parameter.default
    if default is parameter.empty or default is None:
        return True, None
    if isinstance(default, (int, float)) and not isinstance(default, bool) and math.isfinite(default):
        return True, float(default)
    return True, None
