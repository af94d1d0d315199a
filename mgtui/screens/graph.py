"""The graph view: step through the forward and backward pass from the keyboard.

The screen owns a `Cursor` and turns keys into cursor moves; the cursor tells the screen it
moved (`Cursor.observe`), and the screen asks each widget to repaint what the move touched.
A timer, a file watcher or a socket could drive the same cursor.

This file holds the stepping keys and the wiring; the other jobs of the view are parts of their
own, mixed in: autoplay (`graph_play`), looking at one node (`graph_inspect`: check, find, its
steps) and the lecture's nudge (`graph_nudge`).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive

from engine.stepping import Cursor, Timeline
from mgtui import present
from mgtui.picture_draw import PICTURE_LIMIT
from mgtui.screens import forget_removed_widgets
from mgtui.screens.graph_inspect import Inspection
from mgtui.screens.graph_nudge import Nudging
from mgtui.screens.graph_play import Autoplay
from mgtui.widgets.graph_tree import GraphTree
from mgtui.widgets.key_bar import KeyBar
from mgtui.widgets.note_bar import NoteBar
from mgtui.widgets.picture import PictureView
from mgtui.widgets.status_bar import StatusBar
from mgtui.widgets.step_panel import StepPanel
from mgtui.widgets.topo_list import TopoList


class GraphScreen(Nudging, Inspection, Autoplay):
    """The graph as a tree and its topological order, or (v) as the lecture's picture; the step explained."""

    BINDINGS = [
        Binding("n", "next", "Next", id="step.next", tooltip="Next step of the pass"),
        Binding(
            "p",
            "previous",
            "Prev",
            id="step.previous",
            tooltip="Previous step: undoes the last one, every number restored exactly",
        ),
        Binding("e", "end", "End", id="step.end", tooltip="To the end of the pass"),
        Binding("r", "start", "Reset", id="step.start", tooltip="Reset to the start"),
        Binding(
            "right_square_bracket",
            "next_phase",
            "Next phase",
            show=False,
            key_display="]",
            id="step.next_phase",
            tooltip="Next phase: start → all values computed → all grads computed",
        ),
        Binding(
            "left_square_bracket",
            "previous_phase",
            "Prev phase",
            show=False,
            key_display="[",
            id="step.previous_phase",
            tooltip="Previous phase",
        ),
        Binding(
            "f", "follow", "Follow steps", show=False, id="tree.follow", tooltip="Make the tree follow the steps again"
        ),
        Binding(
            "o",
            "output",
            "To the output",
            show=False,
            id="tree.output",
            tooltip="Show the graph from the top: the output at the root, the tree's cursor on it",
        ),
        Binding(
            "t", "training", "Training", id="view.training", tooltip="The training view (scenarios with training())"
        ),
        Binding(
            "v",
            "toggle_picture",
            "Draw",  # draw_dot's picture; short, so the key bar still fits 80 columns with t Training
            id="view.picture",
            tooltip="The lecture's picture of the graph (draw_dot: boxes, ops, lines), or back to the tree",
        ),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (72, "-wide")]  # -narrow: a slimmer topological list

    follow: reactive[bool] = reactive(True, init=False)  # the tree moves to each step's node
    picture: reactive[bool] = reactive(False, init=False)  # the lecture's picture instead of tree and list

    def __init__(
        self,
        timeline: Timeline,
        title: str,
        position: int = 0,
        opened_from_training: bool = False,
        fresh_output: Callable[[], object] | None = None,
        start_in_picture: bool = False,
    ) -> None:
        super().__init__()
        self.start_in_picture = start_in_picture
        self.cursor = Cursor(timeline)
        self.fresh_output = fresh_output  # the graph built again, for the check of its own backward()
        self.scenario_title = title
        self.start_position = position
        self.opened_from_training = opened_from_training
        self.start_note = ""
        self.start_selected: int | None = None  # a node the user had chosen (kept across a reload)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="graph-main"):
            yield GraphTree(self.cursor, id="graph-tree")
            yield TopoList(self.cursor, id="topo-list")
        yield StepPanel(id="step-panel")
        yield NoteBar(id="note")
        yield KeyBar(id="key-bar")

    def on_mount(self) -> None:
        self._wire()
        if self.start_in_picture:
            self.action_toggle_picture()

    def _wire(self) -> None:
        """Find the widgets, put the cursor where it starts, and show it (on mount, and after a reload)."""
        self.status = self.query_one(StatusBar)
        self.graph_tree = self.query_one(GraphTree)
        self.topo_list = self.query_one(TopoList)
        self.topo_list.border_title = "topological order"
        self.watch_follow(self.follow)
        self.step_panel = self.query_one(StepPanel)
        self.note_bar = self.query_one(NoteBar)
        self.cursor.seek(self.start_position)
        self.cursor.observe(self._cursor_moved)
        self._show(full=True)
        self.say(self.start_note)
        self.graph_tree.focus()
        if self.start_selected is not None:
            self.follow = False
            self.graph_tree.reveal(self.start_selected)

    async def show_timeline(
        self,
        timeline: Timeline,
        position: int,
        note: str,
        selected: int | None = None,
        fresh_output: Callable[[], object] | None = None,
    ) -> None:
        """Show a reloaded scenario's pass: new widgets on a new cursor, at `position`."""
        self.playing = False
        self.set_reactive(GraphScreen.nudged, None)  # a nudge of the old graph
        self.cursor = Cursor(timeline)
        self.fresh_output = fresh_output
        self.start_position, self.start_note, self.start_selected = position, note, selected
        self.set_reactive(GraphScreen.follow, True)
        in_picture = self.picture
        self.set_reactive(GraphScreen.picture, False)  # its widget goes with the old graph: made again below
        await self.recompose()
        forget_removed_widgets(self)
        self._wire()
        if in_picture:
            self.action_toggle_picture()

    def kept_selection(self) -> int | None:
        """The node the user chose in the tree, if they are not following the steps."""
        return None if self.follow else self.graph_tree.selected_node()

    def refresh_status(self) -> None:
        cursor = self.cursor
        where = f"{present.position_text(cursor)} · step {cursor.position}/{len(cursor.timeline)}"
        flagged = len(cursor.timeline.findings)
        if flagged:
            where += f" · {present.BAD} {flagged} (w)"
        for extra in (self.playing_text(), self.nudge_text()):
            if extra:
                where = f"{extra} · {where}"
        self.status.show(self.scenario_title, where)

    def say(self, note: str) -> None:
        """A note on the last key, on a line of its own (until the cursor moves)."""
        self.note_bar.say(note)

    def show_panel(self) -> None:
        self.step_panel.show(self.cursor, self.graph_tree.layout_model, self.nudged)

    # --- keeping the widgets in step with the cursor ---------------------------------------------

    def _cursor_moved(self, cursor: Cursor, old_position: int) -> None:
        self.say("")
        if self.nudged is not None:  # a nudge is asked of the end of the pass: stepping leaves it
            self.set_reactive(GraphScreen.nudged, None)
        self._show(full=abs(cursor.position - old_position) > 1, old_position=old_position)

    def _show(self, full: bool, old_position: int | None = None) -> None:
        cursor = self.cursor
        self.refresh_status()
        touched: set[int] = set()
        if old_position is not None and not full:  # the one step applied or undone
            touched = cursor.timeline.nodes_changed_by(min(old_position, cursor.position))
        self.graph_tree.show_step(touched, full=full)
        self.topo_list.show_step(touched, full=full)
        if self.picture:
            self.query_one(PictureView).show_step(touched, full=full)
        self.show_panel()
        if self.follow:
            step = cursor.last_step  # at the start, the output: the story begins at the top
            if step is None:
                self.graph_tree.reveal(cursor.timeline.output_index)
            else:
                self.graph_tree.reveal(step.node, open_row=step.phase != "seed")

    def on_graph_tree_user_moved(self, _: GraphTree.UserMoved) -> None:
        self.follow = False

    def on_topo_list_chosen(self, event: TopoList.Chosen) -> None:
        self.follow = False
        self.graph_tree.reveal(event.node)
        self.graph_tree.focus()

    def watch_follow(self, follow: bool) -> None:
        nodes = f"{len(self.cursor.timeline.nodes):,} nodes"
        self.graph_tree.border_subtitle = nodes if follow else f"not following the steps (f: follow) · {nodes}"

    def show_found(self, node: int) -> None:
        """Show a node find went to (the tree stops following the steps to stay on it)."""
        self.follow = False
        self.graph_tree.reveal(node)
        if self.picture:
            self.query_one(PictureView).reveal(node)

    # --- stepping --------------------------------------------------------------------------------

    def action_next(self) -> None:
        self.cursor.next()

    def action_previous(self) -> None:
        self.cursor.previous()

    def action_end(self) -> None:
        self.cursor.end()

    def action_start(self) -> None:
        self.playing = False
        self.cursor.start()

    def action_next_phase(self) -> None:
        self.cursor.next_phase()

    def action_previous_phase(self) -> None:
        self.cursor.previous_phase()

    def action_follow(self) -> None:
        self.follow = True
        self._show(full=False)

    def action_output(self) -> None:
        self.graph_tree.go_to_output()

    # --- other views -----------------------------------------------------------------------------

    def action_toggle_picture(self) -> None:
        values = len(self.cursor.timeline.nodes)
        if not self.picture and values > PICTURE_LIMIT:
            self.say(f"the picture is for small graphs (up to {PICTURE_LIMIT} values; this one has {values:,})")
            return
        self.picture = not self.picture

    def watch_picture(self, picture: bool) -> None:
        """Show the picture in place of the tree and the list (made on first use: it lays the graph out)."""
        if picture and not self.query(PictureView):
            self.query_one("#graph-main").mount(PictureView(self.cursor, id="picture"))
        self.set_class(picture, "-picture")
        if picture:
            view = self.query_one(PictureView)
            view.show_step(set(), full=True)
            view.focus()
        else:
            self.graph_tree.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "training":
            return self.opened_from_training or getattr(self.app, "has_training", False)
        return super().check_action(action, parameters)

    def action_training(self) -> None:
        if self.opened_from_training:
            self.dismiss()
        else:
            self.app.switch_mode("training")
