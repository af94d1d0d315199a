"""The mgtui app: the graph view and, for scenarios that train, the training view."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from mgtui.scenario import ScenarioError, load
from mgtui.screens.graph import GraphScreen
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
        self,
        session: Session | None,
        start_in_training: bool = False,
        autostart_training: bool = True,
        start_in_picture: bool = False,
    ) -> None:
        self.session = session
        self.start_in_training = start_in_training
        self.start_in_picture = start_in_picture
        self.autostart_training = autostart_training
        if session is not None:  # open straight into the scenario's first screen, no empty one first
            self.MODES = self._modes_for(session)
            self.DEFAULT_MODE = self._first_mode(session)
        super().__init__()

    @property
    def has_training(self) -> bool:
        return self.session is not None and self.session.training is not None

    def on_mount(self) -> None:
        self.call_after_refresh(self._freeze_long_lived_objects)
        if self.session is None:
            from mgtui.screens.picker import PickerScreen

            self.push_screen(PickerScreen(), self._picked)

    def _picked(self, path: Path) -> None:
        try:
            session = Session.open(load(path))
        except ScenarioError as error:
            from mgtui.screens.picker import PickerScreen

            self.notify(str(error), title="Cannot open this scenario", severity="error")
            self.push_screen(PickerScreen(), self._picked)
            return
        self.session = session
        for mode, screen in self._modes_for(session).items():
            self.add_mode(mode, screen)
        self.switch_mode(self._first_mode(session))

    def _freeze_long_lived_objects(self) -> None:
        """Hide what lives as long as the app (widgets, styles, the recorded timeline) from the
        cycle collector. Training allocates some 130,000 short-lived nodes per epoch, and every
        full collection would otherwise walk these too: measured, training in the view took
        1.3–1.5× its headless time, and 1.0× with them frozen."""
        gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()  # frozen objects are collectable again once the app is gone (tests run many apps)

    def _modes_for(self, session: Session) -> dict[str, Callable[[], Screen]]:
        """The graph view, and the training view for scenarios that train."""
        title = session.scenario.title
        modes: dict[str, Callable[[], Screen]] = {
            "graph": lambda: GraphScreen(
                session.timeline, title, session.position or 0, start_in_picture=self.start_in_picture
            )
        }
        if session.training is not None:
            from mgtui.screens.training import TrainingScreen

            modes["training"] = lambda: TrainingScreen(
                session.trainer(), title, self.autostart_training, session.scenario.path
            )
        return modes

    def _first_mode(self, session: Session) -> str:
        return "training" if self.start_in_training and session.training is not None else "graph"

    def action_help(self) -> None:
        from mgtui.screens.help import HelpScreen  # imported on first use: start-up time counts

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
