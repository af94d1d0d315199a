"""The loss curve over every epoch so far, on real axes (textual-plot), linear or log scale, with
the validation loss beside it when the training has a validation set.

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
from textual_plot import HiResMode, PlotWidget
from textual_plot.plot_widget import Legend

from mgtui.widgets.axes import EpochAxis, LossAxis

Point = tuple[int, float]  # (epoch, loss)
SEEN_WHOLE = 1000  # epochs: a run this long has its axis end at its last epoch
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


def axis_end(epoch: int, planned: int) -> int:
    """Where the epoch axis ends: at the last planned epoch for a run short enough to see whole
    (how far along it is, at a glance), else a little past the epoch shown, growing with the run."""
    if planned <= SEEN_WHOLE:
        return planned
    ahead = max(SEEN_WHOLE, epoch * 5 // 4)
    magnitude = 10 ** (len(str(ahead)) - 1)
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= ahead:
            return min(planned, multiple * magnitude)
    return planned


def _loss(point: tuple[int, float]) -> float:
    return point[1]


class _Canvas(Canvas):
    """textual-hires-canvas draws a not-yet-sized canvas as a blank strip with no style at all,
    which Textual's NO_COLOR (monochrome) filter cannot handle; give that strip a style."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        return strip.simplify() if strip.cell_length else Strip.blank(0, self.rich_style)


class LossChart(PlotWidget):
    """Loss per epoch. Never takes focus: its pan/zoom keys would shadow the app's arrows, + and -."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_pan_and_zoom=False, **kwargs)
        self.can_focus = False
        self.log_scale = False
        self.epoch_axis = EpochAxis()
        self.loss_axis = LossAxis()

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
        self.set_x_formatter(self.epoch_axis)
        self.set_y_formatter(self.loss_axis)

    def show(
        self,
        losses: Sequence[Point],
        x_max: int,
        log_scale: bool,
        validation: Sequence[Point] = (),
    ) -> None:
        """Plot (epoch, loss) points, and the validation losses beside them, on an epoch axis to `x_max`."""
        self.clear()
        self.log_scale = self.loss_axis.log = log_scale
        plot = self.query_one("#plot")
        self.epoch_axis.width = max(plot.size.width, 10)
        self.loss_axis.rows = max(plot.size.height, 4)
        self.border_title = "loss per epoch (log scale: l)" if log_scale else "loss per epoch (l: log scale)"
        self.border_subtitle = "bright: training, dim: validation" if validation else ""
        self.set_xlimits(0, max(x_max, 1))
        for points, style in ((validation, "dim"), (losses, "bold")):  # training's on top where they meet
            kept = [(i, y) for i, y in points if math.isfinite(y) and (y > 0 or not log_scale)]
            if not kept:
                continue
            kept = thinned(kept, MAX_POINTS)
            xs = [i for i, _ in kept]
            ys = [math.log10(y) if log_scale else y for _, y in kept]
            self.plot(xs, ys, line_style=style, hires_mode=HiResMode.BRAILLE)
