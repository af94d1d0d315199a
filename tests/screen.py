"""Helpers for UI tests: the screen as plain text, as a user would read it."""

from __future__ import annotations

from textual.app import App


def screen_text(app: App) -> str:
    """Every row of the current screen (modal screens included), as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


async def settle(pilot) -> None:
    """Wait until no worker runs (cancelled ones included), then for the screen to repaint."""
    import asyncio

    while any(not worker.is_finished for worker in pilot.app.workers):
        await asyncio.sleep(0.01)
    await pilot.pause()
