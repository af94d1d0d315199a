"""The mgtui app: the graph view and, for scenarios that train, the training view."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from pathlib import Path

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from engine.text import printable
from mgtui.classroom import Publisher
from mgtui.follow import KEEPS_FOLLOWING, Following, Sharing
from mgtui.scenario import ScenarioError, load
from mgtui.screens.graph import GraphScreen
from mgtui.session import Session

SLOW_RELOAD = 1.0  # seconds a reload may run the learner's code before the status bar says it still does


class MgtuiApp(App[int]):
    ENABLE_COMMAND_PALETTE = False  # every action has a key; ? lists them
    CSS_PATH = "app.tcss"
    TITLE = "mgtui"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.interrupt"),
        Binding(
            "f",
            "follow_teacher",
            "Follow",
            id="app.follow",
            tooltip="Go back to where the teacher is, and follow them again (--follow)",
        ),
    ]

    def __init__(
        self,
        session: Session | None,
        start_in_training: bool = False,
        autostart_training: bool = True,
        watch: bool = False,
        start_in_picture: bool = False,
        pace: float | None = None,
        share: Publisher | None = None,
        following: Following | None = None,
    ) -> None:
        self.session = session
        self.sharing = Sharing(self, share) if share is not None else None  # a teacher's: published
        self.following = following  # a student's: the teacher's app, followed
        self.pace = pace  # the training view's epochs per second (None: its own default)
        self.start_in_training = start_in_training
        self.start_in_picture = start_in_picture
        self.autostart_training = autostart_training
        self.watch = watch  # reload when the scenario or a module next to it is saved
        self.reload_error = ""  # the last save's error, shown until a save that loads
        self.graph_view: GraphScreen | None = None  # the scenario's views, once made (a reload updates them)
        self.training_view: Screen | None = None
        self._stop_watching = threading.Event()
        self._reloads_started = self._reloads_done = 0  # saves whose reload began / was shown
        if session is not None:  # open straight into the scenario's first screen, no empty one first
            self.MODES = self._modes_for(session)
            self.DEFAULT_MODE = self._first_mode(session)
        super().__init__()

    @property
    def has_training(self) -> bool:
        return self.session is not None and self.session.training is not None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Paste) and not event.is_forwarded:
            # A paste goes to find's box, which shows it as typed: its first line, printable (an
            # ESC pasted from a learner's output would reach the terminal raw otherwise).
            lines = event.text.splitlines()
            event.text = printable(lines[0]) if lines else ""
        await super().on_event(event)

    def on_mount(self) -> None:
        # Back from a stop (kill -TSTP, then fg): the terminal was given back meanwhile, so the
        # whole screen must be drawn again, not only what changed since.
        self.app_resume_signal.subscribe(self, lambda _: self.refresh(repaint=True, layout=True))
        self.call_after_refresh(self._freeze_long_lived_objects)
        if self.sharing is not None:
            self.sharing.start()
        if self.following is not None:
            self.following.start(self)
        if self.session is None:
            from mgtui.screens.picker import PickerScreen

            self.push_screen(PickerScreen(), self._picked)
        elif self.watch:
            self.call_after_refresh(self._watch_sources)

    def _picked(self, path: Path) -> None:
        try:
            session = Session.open(load(path))
        except ScenarioError as error:
            from mgtui.screens.picker import PickerScreen

            # markup=False: the message quotes the scenario's code, and "[/]" in it is not markup
            self.notify(str(error), title="Cannot open this scenario", severity="error", markup=False)
            self.push_screen(PickerScreen(), self._picked)
            return
        self.session = session
        for mode, screen in self._modes_for(session).items():
            self.add_mode(mode, screen)
        self.switch_mode(self._first_mode(session))
        if self.watch:
            self._watch_sources()

    def _freeze_long_lived_objects(self) -> None:
        """Hide what lives as long as the app (widgets, styles, the recorded timeline) from the
        cycle collector. Training allocates some 130,000 short-lived nodes per epoch, and every
        full collection would otherwise walk these too: measured, training in the view took
        1.3–1.5× its headless time, and 1.0× with them frozen."""
        gc.freeze()

    def on_unmount(self) -> None:
        self._stop_watching.set()
        if self.sharing is not None:
            self.sharing.close()
        if self.following is not None:
            self.following.close()
        gc.unfreeze()  # frozen objects are collectable again once the app is gone (tests run many apps)

    # --- reload on save --------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _watch_sources(self) -> None:
        """Reload after every save of the scenario or a module it imports from its folder.

        The learner's code runs here, in the watcher's thread, never on the UI thread; what it
        gives (a session, or the error of a broken save) is handed to the UI to show."""
        from mgtui.watch import saves

        path = self.session.scenario.path
        folder = self.session.scenario.folder  # the real one: a linked scenario's edits happen there
        for changed in saves(folder, lambda: self.session.scenario.sources, self._stop_watching):
            names = sorted(p.name for p in changed)
            self.call_from_thread(self._reload_started, names)
            try:
                reloaded: Session | ScenarioError = Session.open(load(path))
            except ScenarioError as error:
                reloaded = error
            if self._stop_watching.is_set():
                return
            self.call_from_thread(self.reloaded, reloaded, names)

    def _reload_started(self, changed: list[str]) -> None:
        """A reload runs the learner's code, which may take long or never return: after a while, say so."""
        self._reloads_started += 1
        started = self._reloads_started
        self.set_timer(SLOW_RELOAD, lambda: self._still_reloading(started, changed))

    def _still_reloading(self, started: int, changed: list[str]) -> None:
        if self._reloads_done < started:
            saved = ", ".join(changed) or "a source"
            self.reload_error = f"reloading after saving {saved}: your code still runs"
            self.refresh_status()

    def reloaded(self, reloaded: Session | ScenarioError, changed: list[str]) -> None:
        """Show what a save gave: the new graph, where the old one was if it has the same shape;
        for a broken save, its error, with the last good graph kept on screen."""
        self._reloads_done = self._reloads_started
        if isinstance(reloaded, ScenarioError):
            self.reload_error = f"{reloaded} (showing the last version that loaded)"
            self.refresh_status()
            return
        self.reload_error = ""
        old, graph = self.session, self.graph_view
        kept = old.timeline.same_shape(reloaded.timeline)
        position = graph.cursor.position if kept and graph is not None else 0
        selected = graph.kept_selection() if kept and graph is not None else None
        saved = ", ".join(changed) or "a source"
        outcome = "same graph, same step" if kept else "the graph changed shape, so it starts over"
        note = f"reloaded after saving {saved}: {outcome}"
        self.session = reloaded
        while len(self.screen_stack) > 1:  # help, find, check, an epoch's graph: they showed the old one
            self.pop_screen()
        if graph is not None:
            self.call_later(graph.show_timeline, reloaded.timeline, position, note, selected, reloaded.fresh_output)
        else:
            self._replace_mode("graph", self._modes_for(reloaded)["graph"])
        self._reload_training_view(reloaded, note)
        self.refresh_status()
        self.call_after_refresh(self._collect_the_old_graph)

    def _reload_training_view(self, session: Session, note: str) -> None:
        """The training view trains the reloaded model from its start, paused; a scenario that no
        longer trains loses the view (and one that now trains gains it)."""
        if session.training is None:
            self.training_view = None
            if "training" in self._modes:
                if self.current_mode == "training":
                    self.switch_mode("graph")
                self.remove_mode("training")
        elif self.training_view is not None:
            self.training_view.show_trainer(session.trainer(), note)
        else:
            self._replace_mode("training", self._modes_for(session, note)["training"])

    def _replace_mode(self, mode: str, make: Callable[[], Screen]) -> None:
        """A view not made yet: make it from the reloaded session when it is first shown."""
        if mode in self._modes:
            self.remove_mode(mode)
        self.add_mode(mode, make)

    def _collect_the_old_graph(self) -> None:
        """The old graph was frozen with the rest of the app (a learner's Values sit in reference
        cycles, so only the cycle collector frees them): thaw, collect, freeze what is left."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    # --- follow mode -----------------------------------------------------------------------------

    @property
    def modes_available(self) -> set[str]:
        return set(self._modes)

    def classroom_status(self) -> str:
        """The status line's word on sharing or following (empty otherwise)."""
        link = self.sharing or self.following
        return link.status() if link is not None else ""

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """A student's own key (moving, stepping, opening) leaves the teacher's side until `f`."""
        if self.following is not None and self.following.following:
            name = action if isinstance(action, str) else action[1]
            if name.split("(", 1)[0].rsplit(".", 1)[-1] not in KEEPS_FOLLOWING:
                self.following.detach()
        return await super().run_action(action, default_namespace, namespaces)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "follow_teacher":
            return self.following is not None
        return True

    def action_follow_teacher(self) -> None:
        if self.following is not None:
            self.following.rejoin()

    def refresh_status(self) -> None:
        refresh = getattr(self.screen, "refresh_status", None)
        if refresh is not None:
            refresh()

    def _modes_for(self, session: Session, note: str = "") -> dict[str, Callable[[], Screen]]:
        """The graph view, and the training view for scenarios that train (`note`: what a reload
        says; it also opens the training view paused). The views are made from the app's session
        when first shown, so a factory never keeps an old session (and its graph) alive."""

        def graph_view() -> GraphScreen:
            session = self.session
            self.graph_view = GraphScreen(
                session.timeline,
                session.scenario.title,
                session.position or 0,
                fresh_output=session.fresh_output,
                start_in_picture=self.start_in_picture,
            )
            return self.graph_view

        def training_view() -> Screen:
            from mgtui.screens.training import TrainingScreen

            session = self.session
            autostart = self.autostart_training and not note
            self.training_view = TrainingScreen(
                session.trainer(), session.scenario.title, autostart, session.scenario.path, note=note, pace=self.pace
            )
            return self.training_view

        modes: dict[str, Callable[[], Screen]] = {"graph": graph_view}
        if session.training is not None:
            modes["training"] = training_view
        return modes

    def _first_mode(self, session: Session) -> str:
        return "training" if self.start_in_training and session.training is not None else "graph"

    def action_help(self) -> None:
        from mgtui.screens.help import HelpScreen  # imported on first use: start-up time counts

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
