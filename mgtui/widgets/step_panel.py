"""The step panel: the current step of the pass explained in numbers (the words are `mgtui.explain`'s).

It grows to what the longest step of this phase so far had to say (at least `MIN_LINES`, at most
half the screen, then it scrolls) and keeps that height until the phase changes or the terminal
is resized: no equation cut off under the border, and no relayout (a repaint of the whole screen)
as steps of different lengths alternate.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

from engine.nudge import Nudge
from engine.stepping import Cursor
from mgtui.explain import nudge_lines, start_lines, step_lines
from mgtui.layout import TreeLayout

MIN_LINES = 7


class StepPanel(Static):
    """Explains the step that led to the cursor's position (at the start, what comes first), or a nudge."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[Text] = []
        self._height = 0
        self._phase = ""

    def show(self, cursor: Cursor, layout: TreeLayout | None = None, nudge: Nudge | None = None) -> None:
        timeline, step = cursor.timeline, cursor.last_step
        if nudge is not None:
            lines = nudge_lines(timeline, nudge)
        elif step is None:
            lines = start_lines(timeline)
        else:
            lines = step_lines(timeline, step, layout, at_end=cursor.at_end)
        phase = "nudge" if nudge is not None else (step.phase if step is not None else "start")
        if phase != self._phase:  # forward steps say less than backward ones: fit the new phase afresh
            self._phase, self._height = phase, 0
        self._lines = lines
        self._fit()
        self.update(Group(*lines), layout=False)

    def _fit(self) -> None:
        width = self.content_region.width
        if width <= 0:
            return
        console = self.app.console
        needed = sum(len(line.wrap(console, width)) if line.cell_len > width else 1 for line in self._lines)
        height = max(MIN_LINES, needed) + self.styles.gutter.height
        if height > self._height:
            self._height = height
            self.styles.height = height

    def on_resize(self, event: Resize) -> None:
        if event.size.width != getattr(self, "_width", event.size.width):  # a new width: fit from scratch
            self._height = 0
        self._width = event.size.width
        self._fit()
