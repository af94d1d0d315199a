"""The graph view: step through the forward and backward pass from the keyboard.

The screen owns a `Cursor` and turns keys into cursor moves; the cursor tells the screen it
moved (`Cursor.observe`), and the screen asks each widget to repaint what the move touched.
A timer, a file watcher or a socket could drive the same cursor.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer

from engine.stepping import Cursor, Timeline
from mgtui import present
from mgtui.picture_draw import PICTURE_LIMIT
from mgtui.screens import forget_removed_widgets
from mgtui.widgets.graph_tree import GraphTree
from mgtui.widgets.key_bar import KeyBar
from mgtui.widgets.picture import PictureView
from mgtui.widgets.status_bar import StatusBar
from mgtui.widgets.step_panel import StepPanel
from mgtui.widgets.topo_list import TopoList

SPEEDS = (0.5, 1, 2, 4, 8, 16, 32, 64)  # autoplay, steps per second


class GraphScreen(Screen):
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
        Binding("space", "play", "Play", id="step.play", priority=True, tooltip="Autoplay on/off"),
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
            "plus,equals_sign",
            "faster",
            "Faster",
            show=False,
            key_display="+",
            id="play.faster",
            tooltip="Autoplay faster (×2)",
        ),
        Binding(
            "minus", "slower", "Slower", show=False, key_display="-", id="play.slower", tooltip="Autoplay slower (÷2)"
        ),
        Binding(
            "full_stop",
            "next_touching",
            "Next step of node",
            show=False,
            key_display=".",
            id="step.touching",
            tooltip="To the next step that involves the node under the tree's cursor",
        ),
        Binding(
            "comma",
            "previous_touching",
            "Prev step of node",
            show=False,
            key_display=",",
            id="step.back_touching",
            tooltip="To the previous step that involves the node under the tree's cursor",
        ),
        Binding(
            "c",
            "check",
            "Check grad",
            show=False,
            id="node.check",
            tooltip="Check the selected node's grad numerically: (L(x+h) − L(x))/h",
        ),
        Binding(
            "w",
            "next_flagged",
            "Next ⚠",
            show=False,
            id="step.next_flagged",
            tooltip="To the next step where the graph's own _backward disagrees with the chain rule",
        ),
        Binding(
            "W",
            "previous_flagged",
            "Prev ⚠",
            show=False,
            id="step.previous_flagged",
            tooltip="To the previous step that disagrees with the chain rule",
        ),
        Binding(
            "C",
            "check_all",
            "Check all",
            show=False,
            id="graph.check_all",
            tooltip="Check the final grads end to end: mgtui's engine, the numerical derivative, PyTorch, backward()",
        ),
        Binding(
            "slash",
            "find",
            "Find",
            show=False,
            key_display="/",
            id="node.find",
            tooltip="Find a node by label (or #id)",
        ),
        Binding(
            "f", "follow", "Follow steps", show=False, id="tree.follow", tooltip="Make the tree follow the steps again"
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

    follow: reactive[bool] = reactive(True, init=False)  # the tree moves to each step's node
    playing: reactive[bool] = reactive(False, init=False)
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
        self.speed = 4.0
        self.note = ""
        self.start_selected: int | None = None  # a node the user had chosen (kept across a reload)
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="graph-main"):
            yield GraphTree(self.cursor, id="graph-tree")
            yield TopoList(self.cursor, id="topo-list")
        yield StepPanel(id="step-panel")
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
        self.cursor.seek(self.start_position)
        self.cursor.observe(self._cursor_moved)
        self._show(full=True)
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
        self.cursor = Cursor(timeline)
        self.fresh_output = fresh_output
        self.start_position, self.note, self.start_selected = position, note, selected
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
        self.status.refresh_status()

    # --- keeping the widgets in step with the cursor ---------------------------------------------

    def _cursor_moved(self, cursor: Cursor, old_position: int) -> None:
        self.note = ""
        self._show(full=abs(cursor.position - old_position) > 1, old_position=old_position)

    def _show(self, full: bool, old_position: int | None = None) -> None:
        cursor = self.cursor
        where = f"{present.position_text(cursor)} · step {cursor.position}/{len(cursor.timeline)}"
        flagged = len(cursor.timeline.findings)
        if flagged:
            where += f" · {present.BAD} {flagged} (w)"
        self.status.show(self.scenario_title, where)
        touched: set[int] = set()
        if old_position is not None and not full:  # the one step applied or undone
            touched = cursor.timeline.nodes_changed_by(min(old_position, cursor.position))
        self.graph_tree.show_step(touched, full=full)
        self.topo_list.show_step(touched, full=full)
        if self.picture:
            self.query_one(PictureView).show_step(touched, full=full)
        self.step_panel.show(cursor, self.note)
        if self.follow:
            step = cursor.current_step
            if step is not None:
                self.graph_tree.reveal(step.node)
        if self.playing and cursor.at_end:
            self.playing = False

    def on_graph_tree_user_moved(self, _: GraphTree.UserMoved) -> None:
        self.follow = False

    def on_topo_list_chosen(self, event: TopoList.Chosen) -> None:
        self.follow = False
        self.graph_tree.reveal(event.node)
        self.graph_tree.focus()

    def watch_follow(self, follow: bool) -> None:
        nodes = f"{len(self.cursor.timeline.nodes):,} nodes"
        self.graph_tree.border_subtitle = nodes if follow else f"not following the steps (f: follow) · {nodes}"

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

    def action_next_touching(self) -> None:
        node = self.graph_tree.selected_node()
        if node is not None:
            self.cursor.next_touching(node)

    def action_previous_touching(self) -> None:
        node = self.graph_tree.selected_node()
        if node is not None:
            self.cursor.previous_touching(node)

    def action_next_flagged(self) -> None:
        if not self.cursor.next_flagged():
            self._say(self._no_more_flags("after"))

    def action_previous_flagged(self) -> None:
        if not self.cursor.previous_flagged():
            self._say(self._no_more_flags("before"))

    def _no_more_flags(self, where: str) -> str:
        if not self.cursor.timeline.findings:
            return "every step follows the chain rule: nothing is marked ⚠"
        return f"no step {where} this one disagrees with the chain rule"

    def action_follow(self) -> None:
        self.follow = True
        step = self.cursor.current_step
        if step is not None:
            self.graph_tree.reveal(step.node)

    # --- autoplay --------------------------------------------------------------------------------

    def action_play(self) -> None:
        if self.cursor.at_end and not self.playing:
            self.cursor.start()
        self.playing = not self.playing

    def watch_playing(self, playing: bool) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if playing:
            self._timer = self.set_interval(1 / self.speed, self._tick)
        self._say(f"autoplay {'on' if playing else 'paused'} at {self.speed:g} steps/s (+/- to change)")

    def _tick(self) -> None:
        if not self.cursor.next():
            self.playing = False

    def action_faster(self) -> None:
        self._set_speed(+1)

    def action_slower(self) -> None:
        self._set_speed(-1)

    def _set_speed(self, direction: int) -> None:
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed)) + direction
        self.speed = SPEEDS[max(0, min(index, len(SPEEDS) - 1))]
        if self.playing:
            self.watch_playing(True)
        else:
            self._say(f"autoplay speed {self.speed:g} steps/s (space plays)")

    def _say(self, note: str) -> None:
        self.note = note
        self.step_panel.show(self.cursor, self.note)

    # --- inspecting nodes ------------------------------------------------------------------------

    def action_check(self) -> None:
        node = self.graph_tree.selected_node()
        if node is None:
            return
        self._say(f"checking {self.cursor.timeline.name(node)} numerically…")
        self._check(node)

    @work(thread=True, exclusive=True, group="check")
    def _check(self, node: int) -> None:
        timeline = self.cursor.timeline
        try:
            numerical = timeline.numerical_grad(node)
        except (ValueError, ArithmeticError) as error:
            self.app.call_from_thread(self._say, f"numerical check failed: {error}")
            return
        self.app.call_from_thread(self._show_check, node, numerical)

    def _show_check(self, node: int, numerical: float) -> None:
        timeline = self.cursor.timeline
        name, output = timeline.name(node), timeline.name(timeline.output_index)
        backprop = timeline.grads[node]
        error = abs(numerical - backprop)
        agrees = error <= 1e-4 * max(1.0, abs(backprop))
        verdict = f"{present.FINAL} agree" if agrees else "✗ differ"
        self._say(
            f"check d{output}/d{name}: ({output}({name}+h) − {output}({name}))/h = {numerical:.6g} (h=1e-6)"
            f" vs backprop {backprop:.6g}: {verdict}"
        )

    def action_check_all(self) -> None:
        from mgtui.screens.check import CheckScreen

        self.app.push_screen(CheckScreen(self.cursor.timeline, self.fresh_output))

    def action_find(self) -> None:
        from mgtui.screens.find import FindScreen  # Input is costly to import; start-up time counts

        timeline = self.cursor.timeline
        self.app.push_screen(FindScreen(timeline), self._found)

    def _found(self, node: int | None) -> None:
        if node is None:
            return
        self.follow = False
        self.graph_tree.reveal(node)
        if self.picture:
            self.query_one(PictureView).reveal(node)
        else:
            self.graph_tree.focus()
        self._say(f"found {self.cursor.timeline.name(node)}: . and , step to the steps that touch it")

    # --- other views -----------------------------------------------------------------------------

    def action_toggle_picture(self) -> None:
        values = len(self.cursor.timeline.nodes)
        if not self.picture and values > PICTURE_LIMIT:
            self._say(f"the picture is for small graphs (up to {PICTURE_LIMIT} values; this one has {values:,})")
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
        return True

    def action_training(self) -> None:
        if self.opened_from_training:
            self.dismiss()
        else:
            self.app.switch_mode("training")
