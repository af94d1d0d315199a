"""The lecture's nudge in the graph view (section III): move the leaves along their grads by h, run the
forward pass again, and see the output move as the gradients said it would.

`h` nudges every leaf, `H` the selected leaf alone, `<` `>` make h ten times smaller or larger (the
nudge shown is redone), `z` undoes it. The numbers come from `engine.nudge`, on the recorded pass:
no Value, no timeline and no other view ever sees a nudged number.
"""

from __future__ import annotations

from textual import work
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from engine.nudge import Nudge, nudge, nudgeable_leaves
from engine.stepping import Cursor
from mgtui.widgets.graph_tree import GraphTree

H_STEPS = (1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 1.0)  # what < and > step through
H_DEFAULT = 0.01  # the lecture's h


class Nudging(Screen):
    """The nudge part of the graph view, mixed into `GraphScreen` (which gives it `cursor`,
    `graph_tree`, `say` and `show_panel`)."""

    BINDINGS = [
        Binding(
            "h",
            "nudge",
            "Nudge",
            show=False,
            id="nudge.all",
            tooltip="Nudge every leaf by h · its grad, run the forward pass again: the output against the prediction",
        ),
        Binding(
            "H",
            "nudge_selected",
            "Nudge leaf",
            show=False,
            id="nudge.selected",
            tooltip="Nudge only the selected leaf by h · its grad: its own effect on the output",
        ),
        Binding("z", "undo_nudge", "Undo nudge", show=False, id="nudge.undo", tooltip="Undo the nudge"),
        Binding(
            "greater_than_sign",
            "scale_h(10)",
            "h ×10",
            show=False,
            key_display=">",
            id="nudge.bigger",
            tooltip="Nudge by a ten times larger h",
        ),
        Binding(
            "less_than_sign",
            "scale_h(0.1)",
            "h ÷10",
            show=False,
            key_display="<",
            id="nudge.smaller",
            tooltip="Nudge by a ten times smaller h",
        ),
    ]

    nudged: reactive[Nudge | None] = reactive(None, init=False)
    h: reactive[float] = reactive(H_DEFAULT, init=False)
    cursor: Cursor
    graph_tree: GraphTree
    _nudge_leaves: tuple[int, ...] | None = None  # what the nudge shown moves (None: every leaf)

    def action_nudge(self) -> None:
        self._nudge(None)

    def action_nudge_selected(self) -> None:
        node = self.graph_tree.selected_node()
        timeline = self.cursor.timeline
        if node is None or timeline.operands[node]:
            self.say("H nudges a leaf: select one in the tree first (h nudges them all)")
            return
        self._nudge((node,))

    def _nudge(self, leaves: tuple[int, ...] | None) -> None:
        """Nudge along the grads, which must be the pass's final ones: the direction is theirs."""
        cursor = self.cursor
        moved = leaves if leaves is not None else nudgeable_leaves(cursor.timeline)
        if not all(cursor.grad_is_final(leaf) for leaf in moved):
            self.say("the nudge follows the grads, and they are not all final yet: e goes to the end of the pass")
            return
        self._nudge_leaves = leaves
        self._compute(self.h, leaves)

    @work(thread=True, exclusive=True, group="nudge")
    def _compute(self, h: float, leaves: tuple[int, ...] | None) -> None:
        """The forward pass again, off the UI thread (a second or so on a 100,000-node graph)."""
        try:
            result = nudge(self.cursor.timeline, h, leaves)
        except (ValueError, ArithmeticError) as error:
            self.app.call_from_thread(self.say, f"cannot nudge: {error}")
            return
        self.app.call_from_thread(setattr, self, "nudged", result)

    def watch_nudged(self, nudged: Nudge | None) -> None:
        self.show_panel()
        self.refresh_status()

    def action_undo_nudge(self) -> None:
        if self.nudged is None:
            self.say("nothing is nudged (h nudges every leaf, H the selected one)")
            return
        self.nudged = None
        self.say("nudge undone: every number is the recorded pass's again")

    def action_scale_h(self, factor: float) -> None:
        index = min(range(len(H_STEPS)), key=lambda i: abs(H_STEPS[i] - self.h)) + (1 if factor > 1 else -1)
        self.h = H_STEPS[max(0, min(index, len(H_STEPS) - 1))]

    def watch_h(self, h: float) -> None:
        if self.nudged is not None:
            self._compute(h, self._nudge_leaves)
        else:
            self.say(f"nudge step h = {h:g} (h nudges every leaf, H the selected one)")

    def nudge_text(self) -> str:
        """For the status bar while a nudge is shown."""
        return f"nudged by h={self.nudged.h:g} (z undoes)" if self.nudged is not None else ""
