"""One line at the top: the scenario's title on the left, where we are on the right."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    def show(self, title: str, where: str) -> None:
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(Text(title, style="bold"), Text(f" {where}"))
        self.update(grid, layout=False)
