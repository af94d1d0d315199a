"""`/`: find nodes by label (or by short id, ``#12``), one match after another.

Enter goes to the next match ("3 of 100") and leaves the box open; enter on an empty box, or
escape, closes it. What is typed is text, never markup: ``zz[/]`` is looked for, not parsed.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label

from engine.stepping import Timeline


def find_nodes(timeline: Timeline, query: str) -> list[int]:
    """The nodes whose label matches `query`, in topological order: exactly, else case-insensitively,
    else as a prefix, else anywhere in the label (the first of these that matches anything)."""
    query = query.strip()
    if not query:
        return []
    if query.startswith("#") and query[1:].isdigit():
        index = int(query[1:])
        return [index] if 0 <= index < len(timeline.nodes) else []
    labels = timeline.labels
    folded = query.lower()
    for matches in (
        lambda label: label == query,
        lambda label: label.lower() == folded,
        lambda label: label.lower().startswith(folded),
        lambda label: folded in label.lower(),
    ):
        found = [i for i, label in enumerate(labels) if label and matches(label)]
        if found:
            return found
    return []


class FindScreen(ModalScreen[str | None]):
    """A box at the bottom, the graph above it: each enter shows the next match there.

    Dismissed with what was found last ("s3.L1.n3.act, 4 of 100"), or None.
    """

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, timeline: Timeline, go: Callable[[int], None]) -> None:
        super().__init__()
        self.timeline = timeline
        self.go = go  # shows a match in the graph view below
        self.query_text = ""
        self.matches: list[int] = []
        self.index = -1
        self.found: str | None = None

    def compose(self) -> ComposeResult:
        labels = sorted({label for label in self.timeline.labels if label})
        with Vertical(id="find-dialog"):
            yield Label("Find a label (or #12): enter → next match; escape or empty enter → close", markup=False)
            yield Input(placeholder="label, e.g. a", suggester=SuggestFromList(labels, case_sensitive=False))
            yield Label("", id="find-status", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        if not query:
            self.dismiss(self.found)
            return
        if query != self.query_text:
            self.query_text, self.matches, self.index = query, find_nodes(self.timeline, query), -1
        status = self.query_one("#find-status", Label)
        if not self.matches:
            status.update(Text(f"no node labelled {query!r}", style="bold red"))
            return
        self.index = (self.index + 1) % len(self.matches)
        node = self.matches[self.index]
        self.found = f"{self.timeline.name(node)}, {self.index + 1} of {len(self.matches)}"
        status.update(Text(f"{self.found} (enter: next)"))
        self.go(node)

    def action_close(self) -> None:
        self.dismiss(self.found)
