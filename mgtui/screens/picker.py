"""`mgtui` alone: pick one of the bundled scenarios."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mgtui.scenario import Scenario, ScenarioError, bundled_paths, load
from mgtui.widgets.key_bar import KeyBar
from mgtui.widgets.status_bar import StatusBar


class PickerScreen(Screen[Path]):
    def __init__(self) -> None:
        super().__init__()
        self.scenarios: dict[str, Scenario | ScenarioError] = {}
        for path in bundled_paths():
            try:
                self.scenarios[str(path)] = load(path)
            except ScenarioError as error:
                self.scenarios[str(path)] = error

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("Pick a scenario (↑ ↓, enter). Each is a file you can copy and edit:", id="picker-intro")
        options = []
        name_width = max((len(Path(path).stem) for path in self.scenarios), default=0)
        for path, scenario in self.scenarios.items():
            title = scenario.title if isinstance(scenario, Scenario) else f"(broken: {scenario})"
            row = Table.grid(padding=(0, 2))  # a long title wraps in its own column, never under the names
            row.add_column(width=name_width, no_wrap=True)
            row.add_column(ratio=1)
            row.add_row(Path(path).stem, title)
            options.append(Option(row, id=path))
        yield OptionList(*options, id="picker-list")
        yield Static("", id="picker-description")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(StatusBar).show("mgtui", "bundled scenarios")
        self.query_one(OptionList).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        scenario = self.scenarios.get(event.option.id or "")
        text = scenario.description if isinstance(scenario, Scenario) else ""
        where = f"\n{event.option.id}" if event.option.id else ""
        self.query_one("#picker-description", Static).update(Text(text + where))  # text, not markup

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(Path(event.option.id))
