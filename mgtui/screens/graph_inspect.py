"""Looking at one node in the graph view: its steps (`.` `,`), its grad checked numerically (`c`),
find by label (`/`), the steps a learner's own code got wrong (`w` `W`) and the end-to-end check (`C`)."""

from __future__ import annotations

from textual import work
from textual.binding import Binding
from textual.screen import Screen

from engine.stepping import Cursor
from mgtui import present
from mgtui.widgets.graph_tree import GraphTree


class Inspection(Screen):
    """The inspecting part of the graph view, mixed into `GraphScreen` (which gives it `cursor`,
    `graph_tree`, `say`, `follow` and `show_found`)."""

    BINDINGS = [
        Binding(
            "full_stop",
            "next_touching",
            "Next step of node",
            show=False,
            key_display=".",
            id="step.touching",
            tooltip="To the next step that computes, reads or passes gradient to the node under the tree's cursor",
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
            tooltip="Find nodes by label (or #id): enter goes to the next match, escape closes",
        ),
    ]

    cursor: Cursor
    graph_tree: GraphTree

    # --- the steps of one node -------------------------------------------------------------------

    def _selected_nodes(self) -> tuple[int, ...]:
        """The node under the tree's cursor; for a folded sum's row, each of its adds."""
        node = self.graph_tree.selected_node()
        if node is None:
            return ()
        return tuple(self.graph_tree.layout_model.chains.get(node, (node,)))

    def action_next_touching(self) -> None:
        nodes = self._selected_nodes()
        if nodes and not self.cursor.next_touching(*nodes):
            self.say(f"no step after this one involves {self.cursor.timeline.name(nodes[-1])}")

    def action_previous_touching(self) -> None:
        nodes = self._selected_nodes()
        if nodes and not self.cursor.previous_touching(*nodes):
            self.say(f"no step before this one involves {self.cursor.timeline.name(nodes[-1])}")

    def action_next_flagged(self) -> None:
        if not self.cursor.next_flagged():
            self.say(self._no_more_flags("after"))

    def action_previous_flagged(self) -> None:
        if not self.cursor.previous_flagged():
            self.say(self._no_more_flags("before"))

    def _no_more_flags(self, where: str) -> str:
        if not self.cursor.timeline.findings:
            return "every step follows the chain rule: nothing is marked ⚠"
        return f"no step {where} this one disagrees with the chain rule"

    # --- the numerical check ---------------------------------------------------------------------

    def action_check(self) -> None:
        node = self.graph_tree.selected_node()
        if node is None:
            return
        self.say(f"checking {self.cursor.timeline.name(node)} numerically…")
        self._check(node)

    @work(thread=True, exclusive=True, group="check")
    def _check(self, node: int) -> None:
        timeline = self.cursor.timeline
        try:
            numerical = timeline.numerical_grad(node)
        except (ValueError, ArithmeticError) as error:
            self.app.call_from_thread(self.say, f"numerical check failed: {error}")
            return
        self.app.call_from_thread(self._show_check, node, numerical)

    def _show_check(self, node: int, numerical: float) -> None:
        """The measured slope beside what backprop has at this position: not yet, so far, or final."""
        cursor, timeline = self.cursor, self.cursor.timeline
        name, output = timeline.name(node), timeline.name(timeline.output_index)
        measured = f"check d{output}/d{name}: ({output}({name}+h) − {output}({name}))/h = {numerical:.6g} (h=1e-6)"
        grad = cursor.grad(node)
        final_at = timeline.last_touch[node] + 1
        if grad is None:
            self.say(f"{measured}; backprop has not computed {name}.grad yet (final at step {final_at})")
        elif not cursor.grad_is_final(node):
            self.say(f"{measured}; backprop so far {grad:.6g}, not final until step {final_at}")
        else:
            error = abs(numerical - grad)
            agrees = error <= 1e-4 * max(1.0, abs(grad))
            verdict = f"{present.FINAL} agree" if agrees else "✗ differ"
            self.say(f"{measured} vs backprop {grad:.6g}: {verdict}")

    def action_check_all(self) -> None:
        from mgtui.screens.check import CheckScreen

        self.app.push_screen(CheckScreen(self.cursor.timeline, self.fresh_output))

    # --- find ------------------------------------------------------------------------------------

    def action_find(self) -> None:
        from mgtui.screens.find import FindScreen  # Input is costly to import; start-up time counts

        self.app.push_screen(FindScreen(self.cursor.timeline, self.show_found), self._found)

    def _found(self, found: str | None) -> None:
        if found:
            self.say(f"found {found}: . and , step to the steps that touch it, c checks its grad")
