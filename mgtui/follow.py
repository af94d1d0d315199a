"""Follow mode in the app: what a teacher's mgtui publishes, and how a student's goes there.

The wire is `mgtui.classroom` (sockets, protocol); the screens know nothing of either. This module
reads where the app is (`where`) as a plain state of the protocol, and takes a student's app there
(`Following.go_to`): the view, the step, the node under the tree's cursor, the picture, the nudge
and the note, and for training the very epoch — the student's own trainer is brought to it with
the teacher's learning-rate and L2 settings, so its numbers are the teacher's bit for bit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.screen import ModalScreen, Screen

from mgtui.classroom import Follower, Publisher
from mgtui.screens.check import CheckScreen
from mgtui.screens.graph import GraphScreen

if TYPE_CHECKING:
    from mgtui.app import MgtuiApp

PUBLISH_EVERY = 0.05  # seconds: the teacher's app looks for a change this often (a step reaches students in ~1/20 s)
KEEPS_FOLLOWING = {"help", "quit", "follow", "follow_teacher", "close", "cancel", "focus_next", "focus_previous"}


def base_screen(app: MgtuiApp) -> Screen:
    """The view under any help, find or check dialog."""
    return next(screen for screen in reversed(app.screen_stack) if not isinstance(screen, ModalScreen))


def where(app: MgtuiApp) -> dict:
    """What the app shows, as a state of the protocol."""
    state: dict = {}
    screen = base_screen(app)
    if isinstance(screen, GraphScreen):
        state["view"] = "epoch" if screen.opened_from_training else "graph"
        state.update(screen.where())
        if isinstance(app.screen, CheckScreen):
            state["check"] = True  # the lecture's last section, shown to the class: C
    else:
        state["view"] = "training"
    training = app.training_view
    if training is not None:
        state["epoch"] = training.trainer.epoch
        state["training"] = training.where()
    return state


class Sharing:
    """The teacher's side: publish where the app is whenever it changes."""

    def __init__(self, app: MgtuiApp, publisher: Publisher) -> None:
        self.app, self.publisher = app, publisher
        self.followers = 0
        self._last: dict | None = None

    def start(self) -> None:
        self.app.set_interval(PUBLISH_EVERY, self.publish_if_changed)

    def publish_if_changed(self) -> None:
        """Publish where the app is if that changed (and show how many follow, if that did). The
        publisher's thread never calls into the app: nothing a follower does can hold it up."""
        state = where(self.app)
        if state != self._last:
            self._last = state
            self.publisher.publish(**state)
        followers = self.publisher.followers
        if followers != self.followers:
            self.followers = followers
            self.app.refresh_status()

    def status(self) -> str:
        return f"sharing: {self.followers} following"

    def close(self) -> None:
        self.publisher.close()


class Following:
    """The student's side: follow the teacher's state, unless the student is looking around."""

    def __init__(self, path: Path, sha256: str) -> None:
        self.path, self.sha256 = path, sha256
        self.app: MgtuiApp | None = None
        self.following = True
        self.connected = False
        self.teacher: dict | None = None  # the latest state the teacher published
        self._pending_epoch_graph: dict | None = None
        self._follower: Follower | None = None
        # Handed over by the follower's thread, taken by the app's timer: the latest only.
        self._arrived: dict | None = None
        self._teacher_there = False

    def start(self, app: MgtuiApp) -> None:
        self.app = app
        self._follower = Follower(self.path, self.sha256, self._state_came, self._teacher_came_or_went)
        self._follower.start()
        app.set_interval(PUBLISH_EVERY, self.take_what_arrived)

    def close(self) -> None:
        if self._follower is not None:
            self._follower.close()

    # --- from the follower's thread: a plain handover, never a call into the app ----------------

    def _state_came(self, state: dict) -> None:
        self._arrived = state

    def _teacher_came_or_went(self, connected: bool) -> None:
        self._teacher_there = connected

    # --- on the UI thread ----------------------------------------------------------------------

    def take_what_arrived(self) -> None:
        state, self._arrived = self._arrived, None
        if self._teacher_there != self.connected:
            self.connected = self._teacher_there
            self.app.refresh_status()
        if state is not None:
            self._teacher_moved(state)

    def _teacher_moved(self, state: dict) -> None:
        self.teacher = state
        if self.following:
            self.go_to(state)
        self.app.refresh_status()

    def detach(self) -> None:
        """The student pressed a key of their own: stay where they are until `f`."""
        if self.following:
            self.following = False
            self.app.refresh_status()

    def rejoin(self) -> None:
        self.following = True
        if self.teacher is not None:
            self.go_to(self.teacher)
        self.app.refresh_status()

    def status(self) -> str:
        if not self.connected:
            return "waiting for the teacher"
        if self.following:
            return "following the teacher"
        return f"looking around, f follows (teacher: {_teacher_where(self.teacher)})"

    def go_to(self, state: dict) -> None:
        """Show what the teacher shows; anything the state gets wrong is left as it is."""
        app = self.app
        view = state.get("view")
        training = app.training_view
        if isinstance(state.get("training"), dict) and isinstance(state.get("epoch"), int) and training is not None:
            training.follow_teacher(state["epoch"], state["training"])
        keep_check = state.get("check") is True
        while len(app.screen_stack) > 1 and isinstance(app.screen, ModalScreen):
            if keep_check and isinstance(app.screen, CheckScreen):
                break  # the check the teacher has open: opened once, not again with every state
            app.pop_screen()  # the student's own help or find: the teacher has moved on
        if view == "graph":
            self._leave_epoch_graph()
            if app.current_mode != "graph":
                app.switch_mode("graph")
            if app.graph_view is not None:
                app.graph_view.go_to(state)
                _follow_check(app, app.graph_view, state)
        elif view == "training" and "training" in app.modes_available:
            self._leave_epoch_graph()
            if app.current_mode != "training":
                app.switch_mode("training")
        elif view == "epoch" and "training" in app.modes_available:
            self._go_to_epoch_graph(state)

    def _leave_epoch_graph(self) -> None:
        app = self.app
        self._pending_epoch_graph = None
        while len(app.screen_stack) > 1:
            app.pop_screen()

    def _go_to_epoch_graph(self, state: dict) -> None:
        """The teacher opened an epoch's loss graph (i): open the same one, then go to its step."""
        app = self.app
        if app.current_mode != "training":
            app.switch_mode("training")
        screen = app.screen
        if isinstance(screen, GraphScreen) and screen.opened_from_training and screen.source == state.get("graph"):
            screen.go_to(state)
            _follow_check(app, screen, state)
            return
        self._pending_epoch_graph = state
        source = state.get("graph")
        sample = _sample_of(source)
        if sample is not False and app.training_view is not None:
            app.training_view.open_epoch_graph(sample, when_open=self._epoch_graph_open)

    def _epoch_graph_open(self, screen: GraphScreen) -> None:
        state, self._pending_epoch_graph = self._pending_epoch_graph, None
        if state is not None and self.following:
            screen.go_to(state)
            _follow_check(self.app, screen, state)


def _follow_check(app: MgtuiApp, screen: GraphScreen, state: dict, again: bool = True) -> None:
    """Open the end-to-end check over `screen` when the teacher has it open (it closes with the
    other dialogs when the teacher's does). A view just switched to is not on top until the next
    refresh: then once more."""
    if state.get("check") is not True or isinstance(app.screen, CheckScreen):
        return
    if app.screen is screen:
        screen.action_check_all()
    elif again:
        app.call_after_refresh(_follow_check, app, screen, state, False)


def _sample_of(source: object) -> int | bool | None:
    """``"batch@7"`` → None, ``"sample 3@7"`` → 3; False for anything else."""
    if not isinstance(source, str) or "@" not in source:
        return False
    which = source.split("@", 1)[0]
    if which == "batch":
        return None
    if which.startswith("sample ") and which[7:].isdigit():
        return int(which[7:])
    return False


def _teacher_where(state: dict | None) -> str:
    if state is None:
        return "nowhere yet"
    if state.get("view") == "training":
        return f"training, epoch {state.get('epoch', 0)}"
    position = state.get("position")
    graph = "an epoch's graph" if state.get("view") == "epoch" else "the graph"
    return f"{graph}, step {position}" if isinstance(position, int) else graph
