"""What one epoch of training did, as the trainer reports it (see `engine.train`)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class EpochRecord:
    """What epoch `epoch` (counted from 1) did, measured before its update.

    `measure` is the training's measure (accuracy for classes, else the largest error) of `scores`;
    the validation figures are None without a validation set; `l2` is the L2 strength of its loss.
    """

    epoch: int
    loss: float
    measure: float
    learning_rate: float
    grad_norm: float
    max_abs_grad: float
    scores: tuple[float, ...]
    validation_loss: float | None = None
    validation_measure: float | None = None
    l2: float | None = None

    @property
    def finite(self) -> bool:
        return math.isfinite(self.loss)


@dataclass(frozen=True)
class Snapshot:
    """One epoch as the training view paints it: its record, the weights it ran on (before its
    update) and the grads its update used, one entry per parameter, and the validation scores."""

    record: EpochRecord
    weights: tuple[float, ...]
    grads: tuple[float, ...]
    validation_scores: tuple[float, ...] = ()


class TrainingDiverged(ArithmeticError):
    """The loss became NaN or infinite; training cannot go on from there."""

    def __init__(self, record: EpochRecord) -> None:
        super().__init__(f"loss became {record.loss} at epoch {record.epoch}: training stopped")
        self.record = record
