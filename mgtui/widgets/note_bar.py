"""A line of its own for what the app has to say about the last key (a check's result, find's match,
the autoplay speed): never cut off under a full step panel, and gone when there is nothing to say."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class NoteBar(Static):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = ""
        self.display = False

    def say(self, text: str) -> None:
        if text == self.text:
            return
        self.text = text
        self.update(Text(text))  # plain text: a label that looks like markup is shown, not parsed
        self.display = bool(text)
