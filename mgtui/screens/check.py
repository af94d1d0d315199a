"""`C`: the final grads checked end to end, side by side — the lecture's last section, for any graph.

The pass's own grads (a learner's ``_backward`` closures stepped node by node, or the engine's)
beside mgtui's engine on the same graph, the numerical derivative, PyTorch (when installed)
and the graph's own ``backward()`` run once on a fresh graph. The checks run in a worker: PyTorch
alone takes a second to import.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from engine.check import Comparison, end_to_end
from engine.stepping import Timeline
from engine.text import one_line
from mgtui import present

MAX_ROWS = 24  # nodes listed: every one that differs somewhere first, then the leaves with the largest grads


class CheckScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,C", "close", "Close")]

    def __init__(self, timeline: Timeline, fresh_output: Callable[[], object] | None) -> None:
        super().__init__()
        self.timeline = timeline
        self.fresh_output = fresh_output

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="check-dialog"):
            yield Static(Text("checking the final grads end to end…", style="italic"), id="check-report")
            yield Static(Text("escape, q or C closes this", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#check-dialog").border_title = "end-to-end check"
        self._run_checks()

    @work(thread=True, exclusive=True, group="check-all")
    def _run_checks(self) -> None:
        try:
            comparisons = end_to_end(self.timeline, self.fresh_output)
        except Exception as error:  # the graph's own code, run again: report it here, never crash
            self.app.call_from_thread(self._show_failure, error)
            return
        self.app.call_from_thread(self._show, comparisons)

    def _show_failure(self, error: Exception) -> None:
        self.query_one("#check-report", Static).update(Text(f"the check failed: {one_line(error)}", style="bold red"))

    def _show(self, comparisons: list[Comparison]) -> None:
        self.query_one("#check-report", Static).update(Group(self._verdicts(comparisons), self._table(comparisons)))

    def _verdicts(self, comparisons: list[Comparison]) -> Text:
        text = Text()
        steps = len(self.timeline.findings)
        if steps:
            steps_text = "1 step disagrees" if steps == 1 else f"{steps} steps disagree"
            text.append(f"{present.BAD} {steps_text} with the chain rule (w: go to the next)\n", "bold red")
        for comparison in comparisons:
            mark, style = {"agree": (present.FINAL, "green"), "differ": ("✗", "bold red"), "unavailable": ("–", "dim")}[
                comparison.status
            ]
            text.append(f"{mark} ", style)
            text.append(f"{comparison.against}: ", "bold")
            text.append(f"{comparison.detail}\n")
        text.rstrip()
        return text

    def _table(self, comparisons: list[Comparison]) -> Table:
        """One row per node worth seeing: its grad by each measure, a differing number marked ✗."""
        timeline = self.timeline
        measured = [c for c in comparisons if c.rows]
        by_measure = [{node: (theirs, agrees) for node, _, theirs, agrees in c.rows} for c in measured]
        mine = "yours" if timeline.observed else "stepped"
        table = Table(show_edge=False, pad_edge=False, expand=True)
        table.add_column("grad of", no_wrap=True, overflow="ellipsis", max_width=16)
        table.add_column(mine, justify="right", no_wrap=True)
        for comparison in measured:
            table.add_column(_short_name(comparison.against), justify="right", no_wrap=True)
        for node in self._nodes_to_list(measured):
            cells = [Text(timeline.name(node)), Text(present.number(timeline.grads[node]).strip())]
            for values in by_measure:
                if node not in values:
                    cells.append(Text("–", style="dim"))
                    continue
                theirs, agrees = values[node]
                cell = Text(present.number(theirs).strip())
                if not agrees:
                    cell.append(" ✗", style="bold red")
                cells.append(cell)
            table.add_row(*cells)
        return table

    def _nodes_to_list(self, measured: list[Comparison]) -> list[int]:
        timeline = self.timeline
        differing = [node for c in measured for node, _, _, agrees in c.rows if not agrees]
        leaves = sorted(
            (i for i, operands in enumerate(timeline.operands) if not operands),
            key=lambda i: -abs(timeline.grads[i]),
        )
        return list(dict.fromkeys([*differing, *leaves]))[:MAX_ROWS]

    def action_close(self) -> None:
        self.workers.cancel_group(self, "check-all")
        self.dismiss(None)


def _short_name(against: str) -> str:
    return {"mgtui's engine": "engine", "the numerical derivative": "numerical", "PyTorch": "torch"}.get(
        against, against.replace("your ", "").replace("()", "")
    )
