"""The decision boundary of a model with 2-D inputs, drawn in the terminal, data points on top.

One character per grid point, scored at the weights of one epoch's `Snapshot`, the same epoch
whose loss and accuracy the stats show. For classes the colour says which class the model calls
and how sure (three shades; for terminals without colour the positive region is also drawn with a
light shade glyph); data points are ``●``/``○`` (training, positive/negative), ``◆``/``◇``
(validation), and ``×`` where the shown epoch's score — the very one its accuracy counted — calls
them wrong. A regression is shaded from its lowest to its highest target, its samples ``•``.

Scoring the grid is the costly part: for the engine's own nets it is a few numpy products (a
millisecond), for a learner's model one forward pass of their Values per cell; either way the
screen runs it off the UI thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from engine.measures import Classes
from engine.nn import MLP, Layer, Neuron
from engine.train import Snapshot, Trainer

Predictor = Callable[[Sequence[float]], float]
Bounds = tuple[float, float, float, float]

POSITIVE = ("#1f3f7a", "#2a5ab0", "#3d7be0")  # unsure → sure, the positive class
NEGATIVE = ("#6e2a2a", "#a33a3a", "#d9534f")  # unsure → sure, the negative class
LEVELS = ("#2d1f4f", "#3b3a7a", "#3d6a9e", "#3f9a9a", "#6dbb6d", "#c8c850")  # a regression, low → high
SURE = (0.4, 0.8)  # |sureness| past these: the middle and the strongest shade


@dataclass(frozen=True)
class BoundaryPicture:
    """Everything one frame of the map shows, all from one epoch."""

    epoch: int
    size: Size
    bounds: Bounds
    scores: list[list[float]]  # the model's score at each cell's centre, top row first
    points: dict[tuple[int, int], str]  # (row, column) → the glyph of the data point there


def picture_of(
    trainer: Trainer, shown: Snapshot | None, size: Size, model_lock: AbstractContextManager | None = None
) -> BoundaryPicture:
    """The map at the shown epoch's weights (the initial ones before any epoch): for a thread.
    A learner's model is called cell by cell while holding `model_lock` (their code runs on one
    thread at a time); the engine's nets need no lock, only their weights."""
    training = trainer.training
    weights = trainer.initial_weights if shown is None else shown.weights
    inputs = list(training.inputs) + (list(training.validation[0]) if training.validation else [])
    bounds = data_bounds(inputs, size)
    scores = fast_grid_scores(training.model, weights, bounds, size)
    if scores is None:
        with model_lock or nullcontext():
            scores = grid_scores(trainer.predictor(weights), bounds, size)
    points = _point_glyphs(trainer, shown, bounds, size)
    return BoundaryPicture(0 if shown is None else shown.record.epoch, size, bounds, scores, points)


def _point_glyphs(trainer: Trainer, shown: Snapshot | None, bounds: Bounds, size: Size) -> dict:
    training, classes = trainer.training, trainer.training.classes
    sets = [(training.inputs, training.targets, None if shown is None else shown.record.scores, "●○")]
    if training.validation is not None:
        validation_scores = None if shown is None else shown.validation_scores
        sets.append((training.validation[0], training.validation[1], validation_scores, "◆◇"))
    cells: dict[tuple[int, int], str] = {}
    for inputs, targets, scores, (positive, negative) in sets:
        for i, (point, target) in enumerate(zip(inputs, targets)):
            cell = _cell_of(point, bounds, size)
            if cell is None:
                continue
            if classes is None:
                cells[cell] = "•"
            elif scores is not None and not classes.correct(scores[i], target):
                cells[cell] = "×"
            else:
                cells[cell] = positive if target == classes.positive else negative
    return cells


def _cell_of(point: Sequence[float], bounds: Bounds, size: Size) -> tuple[int, int] | None:
    x_min, x_max, y_min, y_max = bounds
    col = int((point[0] - x_min) / (x_max - x_min) * size.width)
    row = int((y_max - point[1]) / (y_max - y_min) * size.height)
    return (row, col) if 0 <= col < size.width and 0 <= row < size.height else None


def grid_scores(predict: Predictor, bounds: Bounds, size: Size) -> list[list[float]]:
    """The model's score at the centre of every cell, top row first (plain floats, no graph)."""
    x_min, x_max, y_min, y_max = bounds
    width, height = max(size.width, 1), max(size.height, 1)
    dx, dy = (x_max - x_min) / width, (y_max - y_min) / height
    return [
        [predict([x_min + (col + 0.5) * dx, y_max - (row + 0.5) * dy]) for col in range(width)] for row in range(height)
    ]


_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
}


def fast_grid_scores(model: object, weights: Sequence[float], bounds: Bounds, size: Size) -> list[list[float]] | None:
    """`grid_scores` for the engine's own MLP, Layer or Neuron at `weights`, as a few matrix
    products (a picture, not a check: numpy's tanh may differ from math.tanh in the last bits).
    None for any other model."""
    layers = _matrices(model, weights)
    if layers is None:
        return None
    x_min, x_max, y_min, y_max = bounds
    width, height = max(size.width, 1), max(size.height, 1)
    xs = x_min + (np.arange(width) + 0.5) * ((x_max - x_min) / width)
    ys = y_max - (np.arange(height) + 0.5) * ((y_max - y_min) / height)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        for w, b, activation in layers:
            grid = grid @ w.T + b
            if activation is not None:
                grid = _ACTIVATIONS[activation](grid)
    return grid[:, 0].reshape(height, width).tolist()


def _matrices(model: object, weights: Sequence[float]) -> list[tuple[np.ndarray, np.ndarray, str | None]] | None:
    """Each layer's weight matrix, biases and nonlinearity, read from the flat `weights` in the
    order of `model.parameters()` (per neuron: its weights, then its bias)."""
    if type(model) is MLP:
        layers = model.layers
    elif type(model) is Layer:
        layers = [model]
    elif type(model) is Neuron:
        layers = [[model]]
    else:
        return None
    matrices, k = [], 0
    for layer in layers:
        neurons = layer if isinstance(layer, list) else layer.neurons
        if any(type(n) is not Neuron for n in neurons):
            return None
        activations = {n.activation if n.nonlin else None for n in neurons}
        if len(activations) != 1:
            return None
        rows, biases = [], []
        for n in neurons:
            rows.append(weights[k : k + len(n.w)])
            biases.append(weights[k + len(n.w)])
            k += len(n.w) + 1
        matrices.append((np.array(rows, dtype=float), np.array(biases, dtype=float), activations.pop()))
    if matrices[-1][0].shape[0] != 1:
        return None  # more than one output: not a score per point
    return matrices


def data_bounds(points: Sequence[Sequence[float]], size: Size) -> Bounds:
    """The points' extent plus a margin, widened so that one unit looks as long across as up.

    A terminal cell is about twice as tall as it is wide, so a cell spans half as much x as y.
    """
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_min, x_max, y_min, y_max = min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5
    width, height = max(size.width, 1), max(size.height, 1)
    x_per_cell, y_per_cell = (x_max - x_min) / width, (y_max - y_min) / height
    if x_per_cell * 2 < y_per_cell:  # too narrow: widen x
        grow = (y_per_cell / 2 * width - (x_max - x_min)) / 2
        x_min, x_max = x_min - grow, x_max + grow
    else:
        grow = (x_per_cell * 2 * height - (y_max - y_min)) / 2
        y_min, y_max = y_min - grow, y_max + grow
    return x_min, x_max, y_min, y_max


class BoundaryMap(Widget):
    """Renders a `BoundaryPicture`; the screen computes pictures off the UI thread."""

    def __init__(self, classes: Classes | None, targets: Sequence[float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.target_classes = classes
        self.target_range = (min(targets), max(targets))
        self.picture: BoundaryPicture | None = None
        self.monochrome = False

    def show(self, picture: BoundaryPicture) -> None:
        """Draw `picture`, repainting only the rows it changes: from one epoch to the next most of a
        map stays the same, and over SSH a repainted row costs bytes whether it changed or not."""
        old, self.picture = self.picture, picture
        if old is None or old.size != picture.size or old.bounds != picture.bounds:
            self.refresh()
            return
        width = self.size.width
        for y, (before, after) in enumerate(zip(old.scores, picture.scores)):
            row_points = [(cell, glyph) for cell, glyph in picture.points.items() if cell[0] == y]
            old_points = [(cell, glyph) for cell, glyph in old.points.items() if cell[0] == y]
            if row_points != old_points or [self._shade(s) for s in before] != [self._shade(s) for s in after]:
                self.refresh(Region(0, y, width, 1))

    def render_line(self, y: int) -> Strip:
        width, picture = self.size.width, self.picture
        if picture is None or y >= len(picture.scores):
            return Strip.blank(width, self.rich_style)
        points, segments = picture.points, []
        for col, score in enumerate(picture.scores[y][:width]):
            glyph = points.get((y, col))
            background, positive = self._shade(score)
            if glyph is None:
                glyph = "░" if self.monochrome and positive else " "
            bright = glyph in "●×◆•"
            style = Style(color="#ffffff" if bright else "#101010", bgcolor=background, bold=glyph == "×")
            segments.append(Segment(glyph, style))
        return Strip(segments, width).simplify()

    def _shade(self, score: float) -> tuple[str, bool]:
        """The cell's colour, and whether it is the positive side (for the monochrome glyph)."""
        if not math.isfinite(score):
            return "#000000", False
        classes = self.target_classes
        if classes is None:
            low, high = self.target_range
            share = 0.5 if high == low else (score - low) / (high - low)
            level = min(len(LEVELS) - 1, max(0, int(share * len(LEVELS))))
            return LEVELS[level], level >= len(LEVELS) // 2
        sureness = abs(classes.sureness(score))
        level = 0 if sureness < SURE[0] else (1 if sureness < SURE[1] else 2)
        positive = classes.calls_positive(score)
        return (POSITIVE if positive else NEGATIVE)[level], positive

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return viewport.height
