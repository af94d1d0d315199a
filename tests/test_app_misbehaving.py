"""The app with misbehaving scenario code: a reload that takes long, input() while the app has the
keyboard, a paste of control characters, a terminal resized to almost nothing."""

from __future__ import annotations

import asyncio

import pytest
from textual import events
from textual.widgets import Input

from mgtui.app import MgtuiApp
from mgtui.scenario import load, resolve
from mgtui.session import Session
from mgtui.terminal import full_screen_problem, keyboard_owned_by_app
from tests.screen import screen_text
from tests.test_graph_view import SIZE

SLOW_AFTER_EDIT = '''
"""Sleeps in graph() once edited."""
import time
from engine import Value

DELAY = 0.0


def graph():
    time.sleep(DELAY)
    return Value(2.0, label="a") * 3.0
'''


async def until(pilot, condition, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out; screen:\n{screen_text(pilot.app)}"
        await asyncio.sleep(0.05)
    await pilot.pause()


async def test_a_reload_whose_code_takes_long_says_so_then_shows_the_new_graph(write_scenario):
    path = write_scenario(SLOW_AFTER_EDIT)
    app = MgtuiApp(Session.open(load(path)), watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)  # the watcher is up
        path.write_text(path.read_text().replace("DELAY = 0.0", "DELAY = 2.5"))
        await until(pilot, lambda: "still runs" in app.reload_error)
        assert "⚠ reloading after saving scenario.py: your code still runs" in screen_text(app)
        await until(pilot, lambda: "reloaded after saving scenario.py" in screen_text(app))
        assert app.reload_error == ""


def test_input_while_the_app_has_the_keyboard_is_an_error_not_a_stolen_key():
    with keyboard_owned_by_app(), pytest.raises(RuntimeError, match="input\\(\\) cannot read while mgtui's app"):
        input("your learning rate? ")


async def test_a_paste_reaches_find_as_one_printable_line():
    app = MgtuiApp(Session.open(load(resolve("expression"))))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        app.post_message(events.Paste("a\x1b[2J\u202eb\nsecond line"))
        await pilot.pause()
        assert app.screen.query_one(Input).value == "a\\x1b[2J\\u202eb"


@pytest.mark.parametrize("size", [(1, 1), (12, 3), (30, 8)])
async def test_a_tiny_terminal_does_not_crash_the_views(size):
    app = MgtuiApp(Session.open(load(resolve("neuron"))))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.resize_terminal(*size)
        for key in ("n", "e", "v", "question_mark", "escape", "v", "slash", "escape", "q"):
            await pilot.press(key)
    assert app.return_code in (None, 0)


class FakeStream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("ttys", "term", "says"),
    [
        ((True, True, True), "xterm-256color", None),
        ((True, False, True), "xterm", "standard output is not a terminal"),
        ((False, True, True), "xterm", "standard input is not a terminal"),
        ((True, True, False), "xterm", "standard error is not a terminal"),
        ((True, True, True), "dumb", "TERM=dumb"),
    ],
)
def test_where_the_full_screen_app_can_run(ttys, term, says):
    problem = full_screen_problem(tuple(FakeStream(t) for t in ttys), {"TERM": term})
    assert problem == says if says is None else says in problem


async def test_back_from_a_stop_the_app_draws_the_whole_screen_again():
    app = MgtuiApp(Session.open(load(resolve("expression"))))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        asked: list[tuple[bool, bool]] = []
        app.refresh = lambda *, repaint=True, layout=False, **_: asked.append((repaint, layout))  # type: ignore[method-assign]
        app.app_resume_signal.publish(app)  # what Textual publishes when the process continues
        await pilot.pause()
        assert (True, True) in asked
