"""`mgtui` alone: pick one of the bundled scenarios."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mgtui.scenario import ScenarioError, bundled_paths, load
from mgtui.widgets.key_bar import KeyBar
from mgtui.widgets.status_bar import StatusBar


class PickerScreen(Screen[Path]):
    BINDINGS = [Binding("enter", "open", "Open", show=True)]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("Pick a scenario (↑ ↓, enter). Each is a file you can copy and edit:", id="picker-intro")
        options = []
        for path in bundled_paths():
            try:
                title = load(path).title
            except ScenarioError as error:
                title = f"(broken: {error})"
            options.append(Option(f"{path.stem:<11} {title}", id=str(path)))
        yield OptionList(*options, id="picker-list")
        yield Static("", id="picker-description")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(StatusBar).show("mgtui", "bundled scenarios")
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(Path(event.option.id))
