"""One line at the top: the scenario's title on the left, where we are on the right."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    """The title, or instead the error of the last save while the file does not load; in follow
    mode, first what the classroom link says (followers, or following / looking around)."""

    def show(self, title: str, where: str) -> None:
        self._title, self._where = title, where
        alert = getattr(self.app, "reload_error", "")
        classroom = getattr(self.app, "classroom_status", lambda: "")()
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        if alert:
            heading = Text(f"⚠ {alert}", style="bold red")
        elif classroom:
            heading = Text.assemble((classroom, "bold reverse"), " ", (title, "bold"))
        else:
            heading = Text(title, style="bold")
        grid.add_row(heading, Text(f" {where}"))
        self.update(grid, layout=False)

    def refresh_status(self) -> None:
        """Show again (the app's reload error or the classroom link's state changed)."""
        self.show(getattr(self, "_title", ""), getattr(self, "_where", ""))
