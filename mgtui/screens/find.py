"""`/`: find a node by its label (or by its short id, ``#12``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label

from engine.stepping import Timeline


def find_node(timeline: Timeline, query: str) -> int | None:
    """The node whose label matches `query`: exactly, else case-insensitively, else as a prefix."""
    query = query.strip()
    if not query:
        return None
    if query.startswith("#") and query[1:].isdigit():
        index = int(query[1:])
        return index if 0 <= index < len(timeline.nodes) else None
    names = timeline.labels
    for matches in (
        lambda name: name == query,
        lambda name: name.lower() == query.lower(),
        lambda name: name.lower().startswith(query.lower()),
        lambda name: query.lower() in name.lower(),
    ):
        found = next((i for i, name in enumerate(names) if name and matches(name)), None)
        if found is not None:
            return found
    return None


class FindScreen(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, timeline: Timeline) -> None:
        super().__init__()
        self.timeline = timeline

    def compose(self) -> ComposeResult:
        labels = sorted({label for label in self.timeline.labels if label})
        with Vertical(id="find-dialog"):
            yield Label("Find a node by label (or #id); enter to go, escape to cancel")
            yield Input(placeholder="label, e.g. a", suggester=SuggestFromList(labels, case_sensitive=False))
            yield Label("", id="find-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        node = find_node(self.timeline, event.value)
        if node is None:
            self.query_one("#find-error", Label).update(f"no node labelled {event.value!r}")
            return
        self.dismiss(node)

    def action_cancel(self) -> None:
        self.dismiss(None)
