"""The decision boundary of a model with 2-D inputs, drawn in the terminal, data points on top.

One character per grid point. The model's score decides each cell: the colour says which class
and how sure (three shades), and — for terminals without colour — the +1 region is also drawn
with a light shade glyph. Data points are ``●`` (+1) and ``○`` (−1), and ``×`` where the model
gets them wrong, so the picture reads in monochrome too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

Predictor = Callable[[Sequence[float]], float]

POSITIVE = ("#1f3f7a", "#2a5ab0", "#3d7be0")  # unsure → sure, class +1
NEGATIVE = ("#6e2a2a", "#a33a3a", "#d9534f")  # unsure → sure, class −1


def grid_scores(predict: Predictor, bounds: tuple[float, float, float, float], size: Size) -> list[list[float]]:
    """The model's score at the centre of every cell, top row first (plain floats, no graph)."""
    x_min, x_max, y_min, y_max = bounds
    width, height = max(size.width, 1), max(size.height, 1)
    dx, dy = (x_max - x_min) / width, (y_max - y_min) / height
    return [
        [predict([x_min + (col + 0.5) * dx, y_max - (row + 0.5) * dy]) for col in range(width)] for row in range(height)
    ]


def data_bounds(points: Sequence[Sequence[float]], size: Size) -> tuple[float, float, float, float]:
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
    """Renders a grid of scores and the data set; the screen computes the grid off the UI thread."""

    def __init__(self, points: Sequence[Sequence[float]], labels: Sequence[float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.points = points
        self.labels = labels
        self.scores: list[list[float]] = []
        self.bounds = (0.0, 1.0, 0.0, 1.0)
        self.point_scores: Sequence[float] = []
        self.monochrome = False
        self._point_cells: dict[tuple[int, int], str] = {}

    def show(self, scores: list[list[float]], bounds: tuple[float, float, float, float], point_scores) -> None:
        self.scores, self.bounds, self.point_scores = scores, bounds, point_scores
        self._point_cells = self._cells_of_points()
        self.refresh()

    def _cells_of_points(self) -> dict[tuple[int, int], str]:
        x_min, x_max, y_min, y_max = self.bounds
        width, height = self.size.width, self.size.height
        cells: dict[tuple[int, int], str] = {}
        for i, (point, label) in enumerate(zip(self.points, self.labels)):
            col = int((point[0] - x_min) / (x_max - x_min) * width)
            row = int((y_max - point[1]) / (y_max - y_min) * height)
            if 0 <= col < width and 0 <= row < height:
                wrong = i < len(self.point_scores) and (self.point_scores[i] > 0) != (label > 0)
                cells[(row, col)] = "×" if wrong else ("●" if label > 0 else "○")
        return cells

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self.scores) or not self.scores:
            return Strip.blank(width, self.rich_style)
        points = self._point_cells
        segments = []
        for col, score in enumerate(self.scores[y][:width]):
            glyph = points.get((y, col))
            background = _shade(score)
            if glyph is None:
                glyph = "░" if self.monochrome and score > 0 else " "
            foreground = "#ffffff" if glyph in "●×" else "#101010"
            segments.append(Segment(glyph, Style(color=foreground, bgcolor=background, bold=glyph == "×")))
        return Strip(segments, width).simplify()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return viewport.height


def _shade(score: float) -> str:
    if not math.isfinite(score):
        return "#000000"
    level = 0 if abs(score) < 0.5 else (1 if abs(score) < 1.5 else 2)
    return POSITIVE[level] if score > 0 else NEGATIVE[level]
