"""Fuzz: whatever a learner puts in a label, a title or a find query, mgtui shows it without
crashing and without writing a control character raw — through ``--print`` (plain and styled,
tree, picture, check) and through the app (tree, step panel, picture, find).

Labels are drawn from all of Unicode's control, format, separator and surrogate characters, from
markup-looking text, from random bytes (as a ``bytes`` label, and decoded to every C0/C1 control),
and from anything at all. Find queries go in as a paste (any text) and as typed keys, brackets
and all.
"""

from __future__ import annotations

import io
import re
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from textual import events
from textual.widgets import Input

from engine import Value
from engine.stepping import Cursor, Timeline
from mgtui.app import MgtuiApp
from mgtui.cli import main
from mgtui.headless import check_lines, print_graph, print_picture
from mgtui.scenario import ScenarioError, load
from mgtui.session import Session
from tests.own_values import Mini

NOT_SHOWN = ("Cc", "Cf", "Cs", "Zl", "Zp")
MARKUP = ["[", "]", "[/]", "[bold]", "[/bold]", "[@click=app.quit]", "[link=https://x]", "\\[", "[b]x[/i]", "$x", "{0}"]

controls = st.characters(categories=NOT_SHOWN)
markup = st.sampled_from(MARKUP)
anything = st.characters()
text = st.lists(st.one_of(controls, markup, anything), max_size=10).map("".join)
from_bytes = st.binary(max_size=12).flatmap(
    lambda raw: st.sampled_from([raw, raw.decode("latin-1"), raw.decode("utf-8", "surrogateescape")])
)
labels = st.lists(st.one_of(text, from_bytes, st.none(), st.integers()), min_size=5, max_size=5)

SGR = re.compile(r"\x1b\[[0-9;]*m")  # Rich's own styling on a terminal: the only escapes allowed


def raw_controls(output: str) -> set[str]:
    """Characters a terminal would obey rather than show, outside Rich's styling (newlines end lines)."""
    return {ch for ch in SGR.sub("", output) if ch != "\n" and unicodedata.category(ch) in NOT_SHOWN}


def graph_of(kind: type, names: list[object]) -> object:
    """``(a·b + c)·f`` with e = a·b, as the lecture builds it, every node labelled from `names`."""
    a, b, c, f = (kind(x, label=name) for x, name in zip((2.0, -3.0, 10.0, -2.0), names))
    e = a * b
    e.label = names[4]
    return (e + c) * f


def printed(timeline: Timeline, title: str, terminal: bool) -> str:
    console = Console(file=io.StringIO(), force_terminal=terminal, width=80, highlight=False)
    for position in (0, timeline.seed_step + 1, len(timeline)):
        print_graph(Cursor(timeline, position), title, console)
        print_picture(Cursor(timeline, position), title, console)
    for line in check_lines(timeline, [])[0]:
        console.print(line)
    return console.file.getvalue()


@settings(max_examples=150, deadline=None)
@given(names=labels, title=text, kind=st.sampled_from([Value, Mini]), terminal=st.booleans())
def test_print_writes_no_control_character_raw(names, title, kind, terminal):
    timeline = Timeline(graph_of(kind, names))
    assert raw_controls(printed(timeline, title, terminal)) == set()


def scenario_source(names: list[object], title: str, kind: str = "engine") -> str:
    """A scenario file whose docstring is `title` and whose graph() labels its nodes with `names`."""
    value = "from engine import Value" if kind == "engine" else "from tests.own_values import Mini as Value"
    return (
        f"{title!r}\n\n{value}\n\n\ndef graph():\n"
        f"    a, b, c, f = (Value(x, label=n) for x, n in zip((2.0, -3.0, 10.0, -2.0), {names[:4]!r}))\n"
        f"    e = a * b\n    e.label = {names[4]!r}\n    return (e + c) * f\n"
    )


def write(folder: Path, source: str) -> Path:
    path = folder / "fuzzed.py"
    path.write_text(source, encoding="utf-8", errors="surrogatepass")  # a lone surrogate: not UTF-8, refused
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=labels, title=text, kind=st.sampled_from(["engine", "own"]))
def test_the_command_prints_any_label_and_title(tmp_path, capsys, names, title, kind):
    path = write(tmp_path, scenario_source(names, title, kind))
    for mode in (["--print"], ["--print", "--picture"], ["--check"]):
        status = main([str(path), *mode])
        out, err = capsys.readouterr()
        assert status in (0, 1, 2), err  # 2: a lone surrogate in the title makes it no UTF-8 file
        assert raw_controls(out) == set() and raw_controls(err) == set()


def on_screen(app: MgtuiApp) -> set[str]:
    """Control characters in what the app would write: the text of every segment on screen."""
    strips = app.screen._compositor.render_strips()
    return {ch for strip in strips for segment in strip for ch in segment.text if unicodedata.category(ch) in NOT_SHOWN}


typed = st.text(st.one_of(st.characters(categories=("L", "N", "P", "S", "Zs")), st.sampled_from("[]/")), max_size=8)


@settings(max_examples=12, deadline=None)
@given(names=labels, title=text, kind=st.sampled_from(["engine", "own"]), pasted=text, query=typed)
async def test_the_app_shows_any_label_and_query_without_a_control_character(names, title, kind, pasted, query):
    with tempfile.TemporaryDirectory() as folder:
        try:
            session = Session.open(load(write(Path(folder), scenario_source(names, title, kind))))
        except ScenarioError:  # a title holding a lone surrogate: no UTF-8 file (the test above covers it)
            return
    app = MgtuiApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert on_screen(app) == set()
        for keys in (["n", "n"], ["e"], ["v"], ["v", "r"]):
            await pilot.press(*keys)
            assert on_screen(app) == set()
        await pilot.press("slash")
        box = app.screen.query_one(Input)
        app.post_message(events.Paste(pasted))  # as a terminal's paste arrives: at the app, which forwards it
        await pilot.pause()
        assert on_screen(app) == set()
        box.value = ""
        await pilot.press(*query)
        assert on_screen(app) == set()
        await pilot.press("enter")
        assert on_screen(app) == set()
    assert app.return_code in (None, 0)
