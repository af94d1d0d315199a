"""What a training run reports beside its loss: accuracy when the targets are classes, else a fit.

The targets decide. ±1 targets (the lecture's, micrograd's demo) are two classes told apart by the
score's sign; 0/1 targets (a sigmoid's) by a threshold at 0.5; anything else is a regression, where a
percentage means nothing: there the figure is the largest absolute error. A `Training` may name its
own `Measure` (or just a function of the scores and targets) instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.losses import accuracy as sign_accuracy

MeasureFunction = Callable[[Sequence[float], Sequence[float]], float]


@dataclass(frozen=True)
class Classes:
    """Two classes, by their target values; a score on the `positive` side of the midpoint calls it."""

    negative: float
    positive: float

    @property
    def threshold(self) -> float:
        return (self.negative + self.positive) / 2

    def calls_positive(self, score: float) -> bool:
        return score > self.threshold

    def correct(self, score: float, target: float) -> bool:
        return self.calls_positive(score) == (target == self.positive)

    def sureness(self, score: float) -> float:
        """How far past the threshold, in half-gaps: ±1 at a class's own target value."""
        return (score - self.threshold) / ((self.positive - self.negative) / 2)


SIGNS = Classes(-1.0, 1.0)  # the lecture's targets: the score's sign calls the class
BITS = Classes(0.0, 1.0)  # a sigmoid's targets: above 0.5 calls 1


def classes_of(targets: Sequence[float]) -> Classes | None:
    """The classes the targets name, or None for a regression. All-ones reads as ±1, the lecture's."""
    values = set(targets)
    if values <= {-1.0, 1.0}:
        return SIGNS
    if values <= {0.0, 1.0}:
        return BITS
    return None


@dataclass(frozen=True)
class Measure:
    """A figure of merit: `name` on screen, `of(scores, targets)` its value, shown as a percentage
    if `percent` (a fraction of samples), else as a number."""

    name: str
    of: MeasureFunction
    percent: bool = False

    def text(self, value: float | None) -> str:
        if value is None:
            return "—"
        if self.percent:
            return f"{value * 100:.1f}%"
        return f"{value:.4g}"


def threshold_accuracy(scores: Sequence[float], targets: Sequence[float]) -> float:
    """The fraction of samples whose score falls on their 0/1 target's side of 0.5."""
    if not scores:
        return 0.0
    return sum(BITS.correct(s, y) for s, y in zip(scores, targets)) / len(scores)


def max_abs_error(scores: Sequence[float], targets: Sequence[float]) -> float:
    """The largest |score − target|: the worst-fitted sample of a regression (NaN if any is NaN)."""
    errors = [abs(s - y) for s, y in zip(scores, targets)]
    if any(math.isnan(e) for e in errors):
        return math.nan
    return max(errors, default=0.0)


SIGN_ACCURACY = Measure("accuracy", sign_accuracy, percent=True)
THRESHOLD_ACCURACY = Measure("accuracy", threshold_accuracy, percent=True)
MAX_ABS_ERROR = Measure("max error", max_abs_error)  # the largest |score − target|


def default_measure(targets: Sequence[float]) -> Measure:
    classes = classes_of(targets)
    if classes is SIGNS:
        return SIGN_ACCURACY
    if classes is BITS:
        return THRESHOLD_ACCURACY
    return MAX_ABS_ERROR


def as_measure(measure: Measure | MeasureFunction) -> Measure:
    """A `Measure`, or a plain function named by its ``__name__`` and shown as a number."""
    if isinstance(measure, Measure):
        return measure
    if callable(measure):
        return Measure(getattr(measure, "__name__", "measure"), measure)
    raise TypeError(f"measure must be a Measure or a function of (scores, targets), got {type(measure).__name__}")
