"""`?`: every key of the screen below, as it is bound right now (keymaps included)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

TREE_NOTES = (
    ("enter", "on a ↪ reference: go to the node drawn in full; on a ⤵ row: open the deeper part"),
    ("", "moving in the tree stops it following the steps; f follows again"),
    (
        "",
        "marks: ▶ the step's node, ◀ what it read or fed, ✓ grad final (✗ final but not what the chain rule"
        " gives), · not computed yet, ↪ drawn in full elsewhere, Σ a long sum as one row (its terms below it),"
        " ⚠ NaN/inf or a step against the chain rule",
    ),
)
# "this view" in the order a lesson uses the keys: stepping first, then playing, looking, nudging.
ORDER = ("step", "play", "tree", "node", "graph", "nudge", "view")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.below = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(self.keys_table())
            yield Static(Text("escape, q or ? closes this", style="dim"))

    def keys_table(self) -> Table:
        """The keys in three groups: this view's, the app's, then the focused panel's own."""
        screen, app = self.below, self.app
        table = Table(title="Keys", expand=True, show_edge=False, show_header=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("what it does")
        groups: dict[str, list[tuple[str, str]]] = {"this view": [], "everywhere": [], "the focused panel": []}
        seen: set[str] = set()

        def lesson_order(active) -> tuple[int, bool, bool]:
            """Ours in the lesson's order, the key bar's first; Textual's own (focus, copy: no id) last."""
            group = (active.binding.id or "").partition(".")[0]
            rank = ORDER.index(group) if group in ORDER else len(ORDER)
            return rank, active.binding.id is None, not active.binding.show

        for active in sorted(screen.active_bindings.values(), key=lesson_order):
            binding = active.binding
            if not binding.description or (binding.action, active.node) in seen:
                continue
            seen.add((binding.action, active.node))
            keys = [k for k, a in screen.active_bindings.items() if a.binding.action == binding.action]
            if all(key.startswith("super+") for key in keys):
                continue  # no terminal sends the super key
            display = " ".join(dict.fromkeys(app.get_key_display(screen.active_bindings[k].binding) for k in keys))
            what = (binding.tooltip or binding.description) + ("" if active.enabled else " (not available here)")
            group = "the focused panel"
            if active.node is screen:
                group = "this view"
            elif active.node is app:
                group = "everywhere"
            groups[group].append((display, what))
        if screen.focused is not None and screen.focused.id == "graph-tree":
            groups["the focused panel"].extend(TREE_NOTES)
        for title, rows in groups.items():
            if rows:
                table.add_row(Text(title, style="bold underline"), "")
                for display, what in rows:
                    table.add_row(display, what)
        return table

    def action_close(self) -> None:
        self.dismiss(None)
