"""A Static whose lines go to the terminal with as few style changes as they have.

Textual writes each segment of a line with its own SGR sequence and reset; a Rich table cell,
its padding and the space between columns are separate segments even when they share a style.
Over SSH every repaint of a panel costs those bytes, a few times a second while training runs, so
neighbouring segments of the same style are joined before they are written.
"""

from __future__ import annotations

from textual.strip import Strip
from textual.widgets import Static


class Panel(Static):
    def render_line(self, y: int) -> Strip:
        return super().render_line(y).simplify()
