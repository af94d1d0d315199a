"""`?`: every key of the screen below, as it is bound right now (keymaps included)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

TREE_KEYS = (
    ("↑ ↓", "move in the tree (stops following the steps)"),
    ("enter", "expand/collapse; on a ↪ reference: go to the node in full"),
    ("shift+← ", "go to the parent row"),
    ("u", "re-root the view higher up (after ⤵ deeper)"),
    ("tab", "next panel"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.below = screen

    def _keys_of(self, screen: Screen) -> Table:
        table = Table(title="Keys", expand=True, show_edge=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("what it does")
        seen = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            keys = [k for k, a in screen.active_bindings.items() if a.binding.action == binding.action]
            display = " ".join(self.app.get_key_display(screen.active_bindings[k].binding) for k in keys)
            table.add_row(display, binding.description + ("" if active.enabled else " (not here)"))
        for key, what in TREE_KEYS:
            table.add_row(key, what)
        return table

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(self._keys_of(self.below))
            yield Static("escape, q or ? closes this", classes="dim")

    def action_close(self) -> None:
        self.dismiss(None)
