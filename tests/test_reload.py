"""Reload on save: edit the scenario (or the class it imports), save, and the app shows the new pass."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import sys
from pathlib import Path

from mgtui.app import MgtuiApp
from mgtui.scenario import bundled_dir, load
from mgtui.session import Session
from tests.screen import screen_text
from tests.test_graph_view import SIZE, cursor

CORRECT, WRONG = "self.grad += (1 - t**2) * out.grad", "self.grad += (1 - t) * out.grad"


def lesson(tmp_path: Path) -> Path:
    """own_value.py and the lecture_value.py it imports, copied where the test may edit them."""
    for name in ("own_value.py", "lecture_value.py"):
        shutil.copy(bundled_dir() / name, tmp_path / name)
    return tmp_path / "own_value.py"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


async def until(pilot, condition, timeout: float = 10.0) -> None:
    """Wait (in app time) until `condition()` holds: a save reaches the app in well under a second."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting; screen:\n{screen_text(pilot.app)}"
        await asyncio.sleep(0.05)
    await pilot.pause()


async def test_saving_the_imported_class_reloads_and_keeps_the_step(tmp_path):
    scenario = lesson(tmp_path)
    app = MgtuiApp(Session.open(load(scenario)), watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"nnnnnnn")  # to o's backward step
        assert cursor(app).position == 7 and not cursor(app).timeline.findings
        edit(tmp_path / "lecture_value.py", CORRECT, WRONG)
        await until(pilot, lambda: cursor(app).timeline.findings)
        assert cursor(app).position == 7
        text = screen_text(app)
        assert "reloaded after saving lecture_value.py: same graph, same step" in text
        assert "⚠ wrong local derivative" in text


async def test_a_save_that_changes_the_graph_starts_over_with_a_note(tmp_path):
    scenario = lesson(tmp_path)
    app = MgtuiApp(Session.open(load(scenario)), watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        edit(scenario, "    o = n.tanh()", "    o = (n * 2).tanh()")
        await until(pilot, lambda: len(cursor(app).timeline.nodes) == 12)
        assert cursor(app).position == 0
        assert "reloaded after saving own_value.py: the graph changed shape, so it starts" in screen_text(app)


async def test_a_broken_save_shows_its_error_and_keeps_the_last_good_graph(tmp_path):
    scenario = lesson(tmp_path)
    app = MgtuiApp(Session.open(load(scenario)), watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n")
        timeline = cursor(app).timeline
        edit(scenario, "    return o\n", "    return o +\n")
        await until(pilot, lambda: app.reload_error)
        assert app.reload_error.startswith(f"{scenario}:28: syntax error")
        assert screen_text(app).splitlines()[0].startswith(f" ⚠ {str(scenario)[:20]}")
        assert cursor(app).timeline is timeline and cursor(app).position == 2  # still there, still usable
        await pilot.press("n")
        assert cursor(app).position == 3
        edit(scenario, "    return o +\n", "    return o\n")
        await until(pilot, lambda: not app.reload_error)
        assert "own value class" in screen_text(app).splitlines()[0].lower()


async def test_no_watch_means_no_reload(tmp_path):
    scenario = lesson(tmp_path)
    app = MgtuiApp(Session.open(load(scenario)), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        edit(tmp_path / "lecture_value.py", CORRECT, WRONG)
        await asyncio.sleep(1.0)
        await pilot.pause()
        assert not cursor(app).timeline.findings
        assert not any(w.group == "watch" for w in app.workers)


def live_values() -> int:
    """How many of the lesson class's Values are alive (the app freezes what it holds: thaw first)."""
    gc.unfreeze()
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o).__name__ == "Value" and type(o).__module__ == "lecture_value")


async def save_and_wait(pilot, scenario: Path, k: int) -> None:
    """Save the scenario with only a comment changed, and wait until the app shows the reload."""
    app = pilot.app
    old = app.session
    text = scenario.read_text()
    scenario.write_text(text.replace(f"# save {k - 1}\n", "") + f"# save {k}\n")
    await until(pilot, lambda: app.session is not old and cursor(app).timeline is app.session.timeline)


async def test_fifty_saves_leave_memory_and_open_files_where_they_were(tmp_path):
    scenario = lesson(tmp_path)
    app = MgtuiApp(Session.open(load(scenario)), watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        for k in range(3):  # warm up: the first reloads import what reloading needs
            await save_and_wait(pilot, scenario, k)
        before = (live_values(), len(os.listdir("/proc/self/fd")), len(sys.modules))
        for k in range(3, 53):
            await save_and_wait(pilot, scenario, k)
        after = (live_values(), len(os.listdir("/proc/self/fd")), len(sys.modules))
        assert after == before
        assert before[0] == 10  # one graph's Values: the one on screen
        assert cursor(app).at_end  # and it kept its place through all of them
