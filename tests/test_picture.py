"""The lecture's picture: its layout's invariants, and the view driven by keys at 80×24 and 120×40."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from engine.stepping import Cursor, Timeline
from mgtui.app import MgtuiApp
from mgtui.cli import main
from mgtui.picture_draw import PICTURE_LIMIT, PictureLayout, box_state, highlighted, plain_lines
from mgtui.picture_layout import isotonic_median
from mgtui.picture_routes import EAST, HORIZONTAL, VERTICAL
from mgtui.scenario import bundled_paths, load, resolve
from mgtui.screens.graph import GraphScreen
from mgtui.session import Session
from mgtui.widgets.picture import PictureView
from tests.picture_checks import bad_cells, check_drawing, lines_inside, overlapping, reached_ops
from tests.screen import screen_text

SIZE = (80, 24)
BIG = (120, 40)
OPS = ("+", "*", "tanh", "**2", "exp")


def timeline_of(name: str) -> Timeline:
    return Session.open(load(resolve(name))).timeline


def app_for(name_or_path: str, **kwargs) -> MgtuiApp:
    return MgtuiApp(Session.open(load(resolve(str(name_or_path)))), **kwargs)


def picture(app: MgtuiApp) -> PictureView:
    return app.screen.query_one(PictureView)


def picture_text(app: MgtuiApp) -> str:
    """The picture's panel as on screen, border included."""
    region = picture(app).region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


# --- the layout, on every bundled small graph and on random ones ------------------------------------


@st.composite
def small_dags(draw) -> tuple[list[tuple[int, ...]], list[str], list[str], int]:
    """A random graph of up to 24 values: operands in topological order, everything feeding the last."""
    count = draw(st.integers(1, 24))
    operands: list[tuple[int, ...]] = []
    for i in range(count):
        arity = draw(st.integers(0, 2)) if i else 0
        operands.append(tuple(draw(st.integers(0, i - 1)) for _ in range(arity)))
    keep = {count - 1}
    for i in reversed(range(count)):
        if i in keep:
            keep.update(operands[i])
    order = sorted(keep)
    index = {node: k for k, node in enumerate(order)}
    operands = [tuple(index[o] for o in operands[node]) for node in order]
    ops = [draw(st.sampled_from(OPS)) if o else "" for o in operands]
    labels = [draw(st.text("abxw12.*+ ", min_size=1, max_size=18)) for _ in operands]
    return operands, ops, labels, draw(st.integers(3, 10))


@settings(max_examples=300, deadline=None)
@given(small_dags())
def test_random_graphs_draw_without_overlaps_and_every_line_connects_its_ends(dag):
    operands, ops, labels, numbers = dag
    layout = PictureLayout(operands, ops, labels, len(operands) - 1, numbers)
    for form in ("compact", "record"):
        check_drawing(layout.drawing(form))


SMALL_SCENARIOS = [p.stem for p in bundled_paths() if p.stem not in ("tiny_mlp", "moons")]


@pytest.mark.parametrize("name", SMALL_SCENARIOS)
def test_bundled_small_scenarios_draw_without_overlaps_and_every_line_connects_its_ends(name):
    layout = PictureLayout.of(timeline_of(name))
    for form in ("compact", "record"):
        check_drawing(layout.drawing(form))


def test_a_graph_that_forces_a_dogleg_still_draws_cleanly():
    """Two lines that each need the other's row (a cycle of constraints): one takes a detour."""
    operands = [(), (), (0, 0), (1,), (2, 3), (1, 4), (5, 0)]
    layout = PictureLayout(operands, ["", "", "*", "tanh", "+", "*", "+"], list("abcdefg"), 6, 4)
    assert any(net.dogleg >= 0 for route in layout.routes if route for net in route.nets)
    check_drawing(layout.drawing("compact"))


def test_the_checks_catch_overlaps_stray_lines_and_broken_ones():
    """The invariant checks are not vacuous: break a good drawing four ways, each is caught."""
    layout = PictureLayout.of(timeline_of("expression"))
    good = layout.drawing("compact")
    check_drawing(good)
    a, b = 0, 1

    moved = PictureLayout.of(timeline_of("expression")).drawing("compact")
    moved.layout.layering.top[b] = moved.layout.layering.top[a] + 1  # b's box onto a's
    assert overlapping(moved)

    stray = PictureLayout.of(timeline_of("expression")).drawing("compact")
    x, y, _, _ = stray.box_of(a)
    stray.wires[x + 2, y + 1] = [HORIZONTAL]
    assert lines_inside(stray)

    cut = PictureLayout.of(timeline_of("expression")).drawing("compact")
    trunk = next(cell for cell, masks in cut.wires.items() if masks == [VERTICAL])
    del cut.wires[trunk]
    assert bad_cells(cut)
    assert not reached_ops(cut, a) or not reached_ops(cut, b)

    touching = PictureLayout.of(timeline_of("expression")).drawing("compact")
    junction = next(cell for cell, masks in touching.wires.items() if masks[0] & EAST and masks[0] & VERTICAL)
    touching.wires[junction].append(HORIZONTAL)
    assert bad_cells(touching)


def test_the_expression_is_the_lectures_picture_and_fits_80_by_24():
    timeline = timeline_of("expression")
    drawing = PictureLayout.of(timeline).drawing("compact")
    assert drawing.width <= 78 and drawing.height <= 11  # the graph panel inside its border at 80×24
    assert "\n".join(plain_lines(drawing, Cursor(timeline, len(timeline)))) == (
        "┌◀a       ┐\n"
        "│  2.0000 ├───┐      ┌▶e       ┐\n"
        "└  6.0000✓┘   ├▶(*)─▶│ -6.0000 ├───┐      ┌ d       ┐\n"
        "            ┌─┘      └ -2.0000✓┘   ├▶(+)─▶│  4.0000 ├───┐      ┌ L       ┐\n"
        "┌◀b       ┐ │                    ┌─┘      └ -2.0000✓┘   ├▶(*)─▶│ -8.0000 │\n"
        "│ -3.0000 ├─┘        ┌ c       ┐ │                    ┌─┘      └  1.0000✓┘\n"
        "└ -4.0000✓┘          │ 10.0000 ├─┘        ┌ f       ┐ │\n"
        "                     └ -2.0000✓┘          │ -2.0000 ├─┘\n"
        "                                          └  4.0000✓┘"
    )


def test_the_record_form_is_draw_dots_box():
    timeline = timeline_of("double")
    drawing = PictureLayout.of(timeline).drawing("record")
    assert "\n".join(plain_lines(drawing, Cursor(timeline, 1))) == (
        "┌───┬───────────┬────────────┐         ┌───┬───────────┬────────────┐\n"
        "│◀a │data 3.0000│grad      · ├───▶(+)─▶│▶b │data 6.0000│grad      · │\n"
        "└───┴───────────┴────────────┘         └───┴───────────┴────────────┘"
    )


def test_every_position_fits_the_same_boxes():
    """Numbers have the width of the widest the pass will show: stepping never changes a box's size."""
    timeline = timeline_of("neuron_exp")
    layout = PictureLayout.of(timeline)
    cursor = Cursor(timeline)
    for form in ("compact", "record"):
        drawing = layout.drawing(form)
        for position in range(len(timeline) + 1):
            cursor.seek(position)
            marks = highlighted(cursor)
            for node in range(len(timeline.nodes)):
                state = box_state(cursor, node, marks)
                for row in range(3):
                    assert sum(len(text) for text, _ in drawing.box_row(node, row, state)) == drawing.box_width[node]


def test_leaves_sit_just_before_their_first_consumer():
    layering = PictureLayout.of(timeline_of("expression")).layering
    names = ["a", "b", "e", "c", "d", "f", "L"]
    layer = {name: layering.element_layer[i] for i, name in enumerate(names)}
    assert layer == {"a": 0, "b": 0, "e": 1, "c": 1, "d": 2, "f": 2, "L": 3}


def test_long_labels_are_cut():
    x = Value(1.0, label="a rather long label indeed")
    y = x.tanh()
    y.label = "y"
    layout = PictureLayout.of(Timeline(y))
    assert layout.labels[0] == "a rather long…"
    check_drawing(layout.drawing("compact"))


def test_isotonic_median_keeps_order_and_prefers_straight_lines():
    assert isotonic_median([[(0.0, 1.0)], [(5.0, 1.0)]], [0, 0]) == [0.0, 5.0]  # in order: each where it wants
    assert isotonic_median([[(0.0, 3.0)], [(-5.0, 1.0)]], [0, 0]) == [0.0, 0.0]  # pooled: the heavier wins
    # Pooled with a tie (any row from 1 to 3 is as good): stay as near where they are as allowed.
    assert isotonic_median([[(3.0, 1.0)], [(1.0, 1.0)]], [0, 0]) == [1.0, 1.0]
    assert isotonic_median([[(3.0, 1.0)], [(1.0, 1.0)]], [9, 9]) == [3.0, 3.0]


# --- the view ---------------------------------------------------------------------------------------


async def test_v_shows_the_picture_in_place_of_the_tree_and_back():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        screen = app.screen
        assert isinstance(screen, GraphScreen) and screen.picture
        text = screen_text(app)
        assert "picture: label / data / grad" in text
        assert "├▶(*)─▶│       · ├" in text  # e's box: not computed yet
        assert "topological order" not in text
        assert screen.focused is picture(app)
        await pilot.press("v")
        assert not screen.picture
        assert "topological order" in screen_text(app)
        assert "picture:" not in screen_text(app)


async def test_steps_fill_in_numbers_in_place_and_mark_the_step():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        view = picture(app)
        drawing, size = view.drawing, view.virtual_size
        await pilot.press("n")  # e = a · b
        text = picture_text(app)
        assert "┌◀a       ┐" in text and "┌◀b       ┐" in text  # the operands it read
        assert "├▶(*)─▶│ -6.0000 ├" in text and "┌▶e       ┐" in text  # the node computed
        await pilot.press("n", "n", "n")  # d, L, then the seed
        text = picture_text(app)
        assert "┌▶L       ┐" in text and "◀" not in text  # the seed reads no operand
        assert "└  1.0000✓┘" in text
        await pilot.press("e")
        text = picture_text(app)
        assert "└  6.0000✓┘" in text and "└ -4.0000✓┘" in text  # a.grad, b.grad
        await pilot.press("p")
        assert "└       · ┘   ├▶(*)" in picture_text(app)  # a.grad undone
        assert view.drawing is drawing and view.virtual_size == size  # numbers changed, nothing moved


async def test_the_picture_scrolls_to_the_step_and_with_the_keys():
    app = app_for("neuron")  # wider and taller than the panel at 80×24
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        view = picture(app)
        assert view.virtual_size.width > view.size.width
        await pilot.press("right_square_bracket", "n")  # the seed: o, at the far right
        await pilot.pause()
        o = view.drawing.box_of(9)
        assert view.scroll_offset.x <= o[0] and o[0] + o[2] <= view.scroll_offset.x + view.size.width
        assert "┌▶o" in picture_text(app)
        await pilot.press("r")  # the start shows the first step to come: x1*w1, at the left
        await pilot.pause()
        assert view.scroll_offset.x == 0
        await pilot.press("right", "right", "down")
        assert view.scroll_offset == (8, 1)  # a few columns per ←/→, a row per ↑/↓
        await pilot.press("left")
        assert view.scroll_offset == (4, 1)
        await pilot.press("end")
        assert view.scroll_offset.y == view.max_scroll_y


async def test_operands_too_far_apart_to_show_with_the_step_still_come_into_view_sideways(write_scenario):
    path = write_scenario(
        '''
        """The lecture's MLP on its first sample."""
        from engine.data import LECTURE_XS, LECTURE_YS
        from engine.nn import MLP
        from engine.train import Trainer, Training

        def graph():
            model = MLP(3, [4, 4, 1], activation="tanh", seed=1337)
            training = Training(model, LECTURE_XS, LECTURE_YS, loss="sse", learning_rate=0.1, epochs=1)
            return Trainer(training).loss_graph(0)
        '''
    )
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "right_square_bracket", "n")  # the seed: the loss, at the far right
        view = picture(app)
        assert view.scroll_offset.x > 0
        await pilot.press("e")  # the last step: L0.n0.w0x passes its grad to L0.n0.w0 and x0.0, at the left
        step = view.cursor.last_step
        boxes = [view.drawing.box_of(o) for o in step.operands]
        assert max(y + h for _, y, _, h in boxes) - min(y for _, y, _, _ in boxes) > view.size.height
        left = view.scroll_offset.x
        for x, _, w, _ in boxes:  # both operands' columns are on screen, if not both their rows
            assert left <= x and x + w <= left + view.size.width


async def test_the_picture_marks_nan_inf_and_flagged_nodes(write_scenario):
    path = write_scenario(
        '''
        """Overflow."""
        from engine import Value

        def graph():
            big = Value(1e308, label="big")
            inf = big * 10
            inf.label = "inf"
            nan = inf - inf
            nan.label = "nan"
            return nan
        '''
    )
    app = app_for(path)
    async with app.run_test(size=BIG) as pilot:
        await pilot.press("v", "e")
        text = picture_text(app)
        assert "inf      ⚠┐" in text and "nan      ⚠┐" in text and "│       inf ├" in text
        assert "big       ┐" in text  # 1e308 itself is fine


async def test_a_node_the_checker_flags_is_marked():
    session = Session.open(load(resolve("expression")))
    session.timeline.flagged_nodes.add(4)  # d: as if a user's own Value class computed its step wrongly
    app = MgtuiApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        assert "┌ d      ⚠┐" in picture_text(app)
        assert "┌ e       ┐" in picture_text(app)


async def test_the_key_bar_still_fits_80_columns_with_the_picture_key():
    app = app_for("tiny_mlp")  # a training scenario: t Training is on the bar too
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = screen_text(app).splitlines()[-1]
        assert "v Draw" in bar and bar.rstrip().endswith("q Quit")


async def test_big_graphs_stay_in_the_tree_with_a_note():
    app = app_for("tiny_mlp")
    assert len(app.session.timeline.nodes) > PICTURE_LIMIT
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        assert not app.screen.picture
        assert not app.screen.query(PictureView)
        assert f"the picture is for small graphs (up to {PICTURE_LIMIT} values; this one has 362)" in screen_text(app)


async def test_a_wide_terminal_gets_draw_dots_record_boxes():
    app = app_for("double")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "e")
        assert "│◀a │data 3.0000│grad 2.0000✓├" in picture_text(app)
        assert "picture: label │ data │ grad" in picture_text(app)


async def test_the_picture_follows_a_resize_into_the_compact_form():
    app = app_for("expression")
    async with app.run_test(size=(200, 30)) as pilot:
        await pilot.press("v", "e")
        assert "│◀a │data  2.0000│grad  6.0000✓├" in picture_text(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "└  6.0000✓┘" in picture_text(app)
        assert picture(app).drawing.form == "compact"


async def test_find_in_the_picture_scrolls_to_the_node():
    app = app_for("neuron")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "e")
        view = picture(app)
        assert "┌ w2" not in picture_text(app)  # the last step is x1*w1's, at the top
        await pilot.press("slash", *"w2", "enter", "escape")
        await pilot.pause()
        x, y, w, h = view.drawing.box_of(4)  # w2, at the bottom left: the end showed the far right
        left, top = view.scroll_offset
        assert left <= x and x + w <= left + view.size.width and top <= y and y + h <= top + view.size.height
        assert "┌ w2" in picture_text(app)
        assert app.screen.focused is view


async def test_the_picture_flag_opens_the_app_in_the_picture():
    app = MgtuiApp(Session.open(load(resolve("expression"))), start_in_picture=True)  # mgtui expression --picture
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.picture
        assert "┌ a       ┐" in picture_text(app)


# --- --print --picture -------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_print_picture_writes_the_picture_at_the_position_steps_names(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    status, out, err = run(capsys, "expression", "--print", "--picture", "--steps", "4")
    assert status == 0 and not err
    lines = out.splitlines()
    assert lines[1].startswith("position 4/7 (seed)")
    assert "boxes: label / data / grad" in lines[1]
    assert "last step: L.grad = 1.0" in out
    assert "├▶(*)─▶│ -8.0000 │" in out and "└  1.0000✓┘" in out  # L computed and seeded
    assert "└       · ┘   ├▶(*)─▶" in out  # a.grad: not yet
    assert all(len(line) <= 80 for line in lines[5:])


def test_print_picture_marks_a_final_grad_the_chain_rule_does_not_give(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    status, out, _ = run(capsys, "planted_bugs", "--print", "--picture")
    assert status == 0
    assert "└ 0.2929✗┘" in out and "└ 1.0000✓┘" in out  # a and n inherit the bugs; o's seed is right


def test_print_picture_uses_the_record_form_when_the_console_is_wide(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    status, out, _ = run(capsys, "expression", "--print", "--picture")
    assert status == 0
    assert "│◀a │data  2.0000│grad  6.0000✓├" in out
    assert "boxes: label │ data │ grad" in out


def test_print_picture_of_a_big_graph_prints_the_tree_and_says_why(capsys):
    status, out, err = run(capsys, "tiny_mlp", "--print", "--picture")
    assert status == 0
    assert f"the picture is for small graphs (up to {PICTURE_LIMIT} values; this one has 362)" in err
    assert "L0.n0.w0" in out and "├──" in out  # the tree


def test_picture_with_train_is_an_error(capsys):
    status, _, err = run(capsys, "tiny_mlp", "--train", "--picture")
    assert status == 2
    assert "--picture applies to the graph, not to --train" in err


# --- snapshots: what the picture looks like ----------------------------------------------------------


@pytest.mark.parametrize("size", [SIZE, BIG], ids=["80x24", "120x40"])
@pytest.mark.parametrize("when", ["forward_done", "end"])
@pytest.mark.parametrize("name", ["expression", "neuron"])
def test_snapshot_picture(snap_compare, name, when, size):
    keys = ["v", "right_square_bracket"] if when == "forward_done" else ["v", "e"]
    assert snap_compare(app_for(name), press=keys, terminal_size=size)


@pytest.mark.parametrize("name", ["expression", "neuron"])
def test_snapshot_picture_no_color(snap_compare, monkeypatch, name):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(app_for(name), press=["v", "right_square_bracket", "n", "n"], terminal_size=SIZE)
