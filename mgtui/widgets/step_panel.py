"""The step panel: the current step of the pass explained in numbers (the words are `mgtui.explain`'s).

It is as tall as what it has to say (at least `MIN_LINES`, at most 60% of the screen), and changes
its height only when a step needs a different number of lines than the one before: no relayout for
the usual step, and never an equation cut off under the border.
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

    def show(self, cursor: Cursor, layout: TreeLayout | None = None, nudge: Nudge | None = None) -> None:
        timeline, step = cursor.timeline, cursor.last_step
        if nudge is not None:
            lines = nudge_lines(timeline, nudge)
        elif step is None:
            lines = start_lines(timeline)
        else:
            lines = step_lines(timeline, step, layout, at_end=cursor.at_end)
        self._lines = lines
        self._fit()
        self.update(Group(*lines), layout=False)

    def _fit(self) -> None:
        width = self.content_region.width
        console = self.app.console
        needed = sum(len(line.wrap(console, width)) for line in self._lines) if width > 0 else len(self._lines)
        height = max(MIN_LINES, needed) + self.styles.gutter.height
        if height != self._height:
            self._height = height
            self.styles.height = height

    def on_resize(self, _: Resize) -> None:
        self._fit()
