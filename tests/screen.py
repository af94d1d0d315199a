"""Helpers for UI tests: the screen as plain text, as a user would read it."""

from __future__ import annotations

from textual.app import App


def screen_text(app: App) -> str:
    """Every row of the current screen (modal screens included), as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)
