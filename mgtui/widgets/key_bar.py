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
        """One entry per action; bindings in a group share one: ``+/- lr ×2 ÷2``."""
        entries: dict[object, tuple[list[str], str, bool]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show:
                continue
            entry = binding.group or binding.action
            keys, _, _ = entries.setdefault(entry, ([], binding.group.description if binding.group else "", True))
            key = self.app.get_key_display(binding)
            if key not in keys:
                keys.append(key)
            description = entries[entry][1] or binding.description
            entries[entry] = (keys, description, entries[entry][2] and active.enabled)
        text = Text(no_wrap=True, overflow="ellipsis")
        for keys, description, enabled in entries.values():
            style = "" if enabled else "dim"
            text.append("/".join(keys), style=f"bold {style}".strip())
            text.append(f" {description}  ", style=style)
        text.rstrip()
        self.update(text, layout=False)
