"""The bottom line: the screen's main keys, as they are bound right now.

Textual's Footer builds a widget per key and recomposes on every bindings change, which was a
third of mgtui's start-up; one line of text says the same thing.
"""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static


class KeyBar(Static):
    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.show_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.show_keys()

    def show_keys(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            style = "" if active.enabled else "dim"
            text.append(self.app.get_key_display(binding), style=f"bold {style}".strip())
            text.append(f" {binding.description}  ", style=style)
        self.update(text.rstrip() or text, layout=False)
