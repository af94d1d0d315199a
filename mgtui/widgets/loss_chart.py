"""The loss curve over every epoch so far, on real axes (textual-plot), linear or log scale.

textual-plot draws braille lines with nice ticks and costs a few KiB per redraw over SSH, which a
hand-drawn Sparkline does not (about 30 bytes per cell per frame). It imports numpy, so this
module is imported only when the training view opens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Grid
from textual.strip import Strip
from textual_hires_canvas import Canvas
from textual_plot import HiResMode, NumericAxisFormatter, PlotWidget
from textual_plot.plot_widget import Legend

MAX_POINTS = 400  # more than a terminal's plot has braille dots across: more points draw nothing new


def thinned(points: list[tuple[int, float]], limit: int) -> list[tuple[int, float]]:
    """At most about `limit` of the (epoch, loss) points, drawing the same curve: from each run of
    consecutive epochs its lowest and its highest loss, in epoch order, so no spike goes missing.
    Epochs replayed from a tape come by the thousand a second; plotting them all would make every
    repaint slower than the last."""
    if len(points) <= limit:
        return points
    size = math.ceil(len(points) / (limit // 2))
    kept: list[tuple[int, float]] = []
    for start in range(0, len(points), size):
        run = points[start : start + size]
        kept.extend(sorted({min(run, key=_loss), max(run, key=_loss)}))
    return kept


def _loss(point: tuple[int, float]) -> float:
    return point[1]


class _Canvas(Canvas):
    """textual-hires-canvas draws a not-yet-sized canvas as a blank strip with no style at all,
    which Textual's NO_COLOR (monochrome) filter cannot handle; give that strip a style."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        return strip if strip.cell_length else Strip.blank(0, self.rich_style)


class _PowersOfTen(NumericAxisFormatter):
    """Ticks placed on log10(loss), labelled with the loss itself."""

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        return [f"{10**t:.2g}" for t in ticks]


class LossChart(PlotWidget):
    """Loss per epoch. Never takes focus: its pan/zoom keys would shadow the app's arrows, + and -."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_pan_and_zoom=False, **kwargs)
        self.can_focus = False
        self.log_scale = False

    def compose(self) -> ComposeResult:
        """PlotWidget's own layout, with canvases that are safe under NO_COLOR."""
        with Grid():
            yield _Canvas(1, 1, id="margin-top")
            yield _Canvas(1, 1, id="margin-left")
            yield _Canvas(1, 1, id="plot")
            yield _Canvas(1, 1, id="margin-bottom")
        yield Legend(id="legend")

    def on_mount(self) -> None:
        super().on_mount()
        self.margin_top, self.margin_bottom, self.margin_left = 0, 2, 7
        self.set_xlabel("epoch")

    def show(self, losses: Sequence[float], epochs: int, log_scale: bool) -> None:
        self.clear()
        if log_scale != self.log_scale:
            self.log_scale = log_scale
            self.set_y_formatter(_PowersOfTen() if log_scale else NumericAxisFormatter())
        self.border_title = "loss per epoch (log scale: l)" if log_scale else "loss per epoch (l: log scale)"
        self.set_xlimits(0, max(epochs, 1))
        finite = [(i, y) for i, y in enumerate(losses) if math.isfinite(y) and (y > 0 or not log_scale)]
        if not finite:
            return
        finite = thinned(finite, MAX_POINTS)
        xs = [i for i, _ in finite]
        ys = [math.log10(y) if log_scale else y for _, y in finite]
        self.plot(xs, ys, line_style="bold", hires_mode=HiResMode.BRAILLE)
