"""The mgtui app: the graph view and, for scenarios that train, the training view."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from mgtui.scenario import ScenarioError, load
from mgtui.screens.graph import GraphScreen
from mgtui.screens.help import HelpScreen
from mgtui.screens.picker import PickerScreen
from mgtui.session import Session


class MgtuiApp(App[int]):
    ENABLE_COMMAND_PALETTE = False  # every action has a key; ? lists them
    CSS_PATH = "app.tcss"
    TITLE = "mgtui"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.interrupt"),
    ]

    def __init__(
        self, session: Session | None, start_in_training: bool = False, autostart_training: bool = True
    ) -> None:
        super().__init__()
        self.session = session
        self.start_in_training = start_in_training
        self.autostart_training = autostart_training

    @property
    def has_training(self) -> bool:
        return self.session is not None and self.session.training is not None

    def on_mount(self) -> None:
        if self.session is None:
            self.push_screen(PickerScreen(), self._picked)
        else:
            self._open(self.session)

    def _picked(self, path: Path | None) -> None:
        if path is None:
            self.exit(0)
            return
        try:
            session = Session.open(load(path))
        except ScenarioError as error:
            self.notify(str(error), title="Cannot open this scenario", severity="error")
            self.push_screen(PickerScreen(), self._picked)
            return
        self.session = session
        self._open(session)

    def _open(self, session: Session) -> None:
        title = session.scenario.title
        position = session.position or 0
        self.add_mode("graph", lambda: GraphScreen(session.timeline, title, position))
        if session.training is not None:
            from mgtui.screens.training import TrainingScreen

            self.add_mode("training", lambda: TrainingScreen(session.trainer(), title, self.autostart_training))
        self.switch_mode("training" if self.start_in_training and session.training else "graph")

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
