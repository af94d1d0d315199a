"""Where the graph view is, as follow mode publishes it, and going there when a teacher says so.

Mixed into `GraphScreen` (which gives it the cursor, the tree, the picture, the nudge and the note).
A state from a teacher is checked field by field: a field it gets wrong is left as it is.
"""

from __future__ import annotations

import math

from textual.screen import Screen

from engine.nudge import Nudge
from engine.stepping import Cursor
from mgtui.widgets.graph_tree import GraphTree
from mgtui.widgets.note_bar import NoteBar


class Followed(Screen):
    cursor: Cursor
    graph_tree: GraphTree
    note_bar: NoteBar
    nudged: Nudge | None
    picture: bool
    follow: bool
    source: str | None  # which epoch's graph this is ("sample 3@7"), or None for the scenario's
    _nudge_leaves: tuple[int, ...] | None

    def where(self) -> dict:
        """The step, the node the user chose (None while the tree follows the steps), the picture,
        the nudge and the note."""
        wired = hasattr(self, "note_bar")  # a view being pushed has a cursor before it has widgets
        state: dict = {
            "position": self.cursor.position,
            "selected": None if self.follow or not wired else self.graph_tree.selected_node(),
            "picture": self.picture,
            "note": self.note_bar.text if wired else "",
            "nudge": None,
        }
        if self.source is not None:
            state["graph"] = self.source
        if self.nudged is not None:
            leaves = None if self._nudge_leaves is None else list(self._nudge_leaves)
            state["nudge"] = {"h": self.nudged.h, "leaves": leaves}
        return state

    def go_to(self, state: dict) -> None:
        """Show what a teacher's graph view shows."""
        if not hasattr(self, "note_bar"):
            return
        nodes = len(self.cursor.timeline.nodes)
        position = state.get("position")
        if _is_int(position):
            self.cursor.seek(position)
        picture = state.get("picture")
        if isinstance(picture, bool) and picture != self.picture:
            self.action_toggle_picture()
        selected = state.get("selected")
        if _is_int(selected) and 0 <= selected < nodes:
            if self.follow or self.graph_tree.selected_node() != selected:
                self.follow = False
                self.graph_tree.reveal(selected)
        elif selected is None and not self.follow:
            self.follow_steps()
        self._follow_nudge(state.get("nudge"))
        note = state.get("note")
        if isinstance(note, str):
            self.say(note)

    def _follow_nudge(self, nudge: object) -> None:
        if nudge is None:
            if self.nudged is not None:
                self.nudged = None
            return
        if not isinstance(nudge, dict):
            return
        h, leaves = nudge.get("h"), nudge.get("leaves")
        if not (isinstance(h, float) and math.isfinite(h) and h != 0):
            return
        timeline = self.cursor.timeline
        if leaves is not None:
            if not (isinstance(leaves, list) and all(_is_int(i) and 0 <= i < len(timeline.nodes) for i in leaves)):
                return
            if any(timeline.operands[i] for i in leaves):
                return
            leaves = tuple(leaves)
        current = None if self.nudged is None else (self.nudged.h, self._nudge_leaves)
        if current != (h, leaves):
            self.set_reactive(type(self).h, h)
            self._nudge(leaves)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
