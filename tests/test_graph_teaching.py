"""The graph view as a teacher uses it at 80×24 (and 60×20): long sums as one row, marks that mean one
thing, find through a hundred samples, the numerical check, the lecture's nudge, nothing cut off."""

from __future__ import annotations

import re

import pytest

from mgtui.app import MgtuiApp
from mgtui.screens.graph import GraphScreen
from mgtui.widgets.graph_tree import GraphTree
from tests.screen import screen_text, settle
from tests.test_graph_view import SIZE, app_for, cursor, tree_row

KEYS = {"[": "left_square_bracket", "]": "right_square_bracket", "/": "slash", ".": "full_stop", " ": "space"}


def keys(text: str) -> list[str]:
    """What typing `text` presses."""
    return [KEYS.get(ch, ch) for ch in text]


def graph_screen(app: MgtuiApp) -> GraphScreen:
    screen = next(s for s in reversed(app.screen_stack) if isinstance(s, GraphScreen))
    return screen


def tree_of(app: MgtuiApp) -> GraphTree:
    return graph_screen(app).query_one(GraphTree)


def node_named(app: MgtuiApp, name: str) -> int:
    timeline = graph_screen(app).cursor.timeline
    return next(i for i in range(len(timeline.nodes)) if timeline.name(i) == name)


def select(app: MgtuiApp, name: str) -> None:
    """Put the tree's cursor on a node, as a user moving there does (the tree stops following)."""
    graph_screen(app).follow = False
    tree_of(app).reveal(node_named(app, name))


def note_text(app: MgtuiApp) -> str:
    """The note line(s) under the step panel, as on screen, joined."""
    region = graph_screen(app).note_bar.region
    return " ".join(line.strip() for line in screen_text(app).splitlines()[region.y : region.bottom])


def tree_lines(app: MgtuiApp) -> list[str]:
    """The tree panel's rows as drawn."""
    region = tree_of(app).region
    return [line[region.x : region.right] for line in screen_text(app).splitlines()[region.y : region.bottom]]


def panel_text(app: MgtuiApp) -> str:
    region = graph_screen(app).step_panel.region
    return "\n".join(screen_text(app).splitlines()[region.y : region.bottom])


# --- big graphs open where the story is ---------------------------------------------------------


async def test_moons_opens_at_the_output_and_o_goes_back_there():
    app = app_for("moons")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = tree_of(app)
        timeline = cursor(app).timeline
        assert tree.view_root == timeline.output_index
        assert tree.selected_node() == timeline.output_index
        assert "loss  +" in tree_lines(app)[1]  # the first row, under the border
        await pilot.press("n")  # the first forward step is deep down, in sample 0's first neuron
        await pilot.pause()
        assert tree.view_root != timeline.output_index
        await pilot.press("o")
        await pilot.pause()
        assert tree.view_root == timeline.output_index and tree.selected_node() == timeline.output_index


async def test_a_long_sum_is_one_row_and_each_of_its_steps_says_which_term_it_adds():
    app = app_for("moons")
    async with app.run_test(size=SIZE) as pilot:
        tree = tree_of(app)
        layout, timeline = tree.layout_model, cursor(app).timeline
        head = node_named(app, "margin_sum99")
        assert len(layout.chains[head]) == 100 and len(layout.children(head)) == 101  # margin0 + 0, then 99 more
        assert max(layout.depth) < 20  # the 100-add chain no longer makes the tree 100 levels deep
        add = node_named(app, "margin_sum36")  # the 37th add: margin_sum35 + margin36
        cursor(app).seek(timeline.backward_step_of(add) + 1)
        await pilot.pause()
        assert tree.selected_node() == head  # the add has no row of its own: its sum's row is followed
        row = tree.row_text(tree._occurrences[head][0]).plain  # scrolled off: the tree shows the term fed
        assert row.startswith("▶ margin_sum99  Σ  ") and row.endswith("term 37/100")
        marked = [line for line in tree_lines(app) if "◀" in line]
        assert len(marked) == 1 and "margin36 " in marked[0]  # the one term this add passes gradient to
        assert "term 37 of 100 of the sum margin_sum99" in panel_text(app)
        assert "margin_sum35.grad += 1 · margin_sum36.grad" in panel_text(app)


async def test_a_sum_s_row_steps_through_all_of_its_adds_with_full_stop():
    app = app_for("tiny_mlp")
    async with app.run_test(size=SIZE) as pilot:
        tree = tree_of(app)
        act = node_named(app, "s0.L0.n0.act")
        select(app, "s0.L0.n0.act")
        await pilot.pause()
        await pilot.press("full_stop")
        first = cursor(app).last_step
        assert tree.layout_model.row_node[first.node] == act  # sum0 = b + w0·x0: the first add
        assert first.node != act


# --- marks that mean one thing ------------------------------------------------------------------


async def test_the_receiving_mark_is_on_the_one_edge_of_a_reused_node_that_got_gradient():
    app = app_for("reuse")  # f = (a·b)·(a + b): a and b drawn in full under d, as ↪ under e
    async with app.run_test(size=SIZE) as pilot:
        timeline = cursor(app).timeline
        d, e = node_named(app, "d"), node_named(app, "e")
        cursor(app).seek(timeline.backward_step_of(d) + 1)
        await pilot.pause()
        marked = [line for line in tree_lines(app) if "◀" in line]
        assert len(marked) == 2 and not any("↪" in line for line in marked)
        cursor(app).seek(timeline.backward_step_of(e) + 1)
        await pilot.pause()
        marked = [line for line in tree_lines(app) if "◀" in line]
        assert len(marked) == 2 and all("↪" in line for line in marked)  # e's edges, to a and b drawn elsewhere


async def test_not_yet_is_the_only_meaning_of_the_dot_and_leaves_have_their_own_mark():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        topo = graph_screen(app).topo_list.region
        rows = [line[topo.x : topo.right] for line in screen_text(app).splitlines()[topo.y + 1 : topo.y + 8]]
        assert [row[1] for row in rows] == ["○", "○", " ", "○", " ", "○", " "]  # a b e c d f L: leaves ○
        assert all(row.count("·") == (0 if row[1] == "○" else 1) for row in rows)  # · only: not computed yet


async def test_literals_read_as_their_value_in_the_tree_the_list_and_the_steps():
    app = app_for("neuron_exp")  # e = (2 * n).exp(); o = (e - 1) / (e + 1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        tree = tree_of(app)
        two = node_named(app, "2")
        assert tree.row_text(tree._occurrences[two][0]).plain == "2  2.0000  grad 0.2203 ✓"
        assert "○2    " in screen_text(app)  # in the topological list
        timeline = cursor(app).timeline
        assert timeline.step(timeline.forward_step_of(timeline.consumers(two)[0])).text[0].startswith("#10 = n · 2 =")


# --- the numerical check and the node's own steps -----------------------------------------------


async def test_c_before_backprop_got_there_says_the_grad_is_not_computed_yet():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        select(app, "a")
        await pilot.pause()
        await pilot.press("c")
        await settle(pilot)
        text = note_text(app)
        assert "check dL/da: (L(a+h) − L(a))/h = 6" in text
        assert "backprop has not computed a.grad yet (final at step 7)" in text
        assert "vs backprop" not in text
        cursor(app).seek(6)
        await pilot.pause()
        await pilot.press("c")
        await settle(pilot)
        assert "backprop so far" not in note_text(app)  # a gets its only contribution at the last step
        assert "has not computed a.grad yet" in note_text(app)
        cursor(app).seek(7)
        await pilot.pause()
        await pilot.press("c")
        await settle(pilot)
        assert "vs backprop 6: ✓ agree" in note_text(app)


async def test_full_stop_stops_where_a_step_reads_the_node_and_says_when_nothing_is_left():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        select(app, "a")
        await pilot.pause()
        await pilot.press("full_stop")
        assert cursor(app).position == 1  # e = a · b reads a
        await pilot.press("full_stop")
        assert cursor(app).position == 7  # e passes gradient to a
        await pilot.press("full_stop")
        assert cursor(app).position == 7
        assert "no step after this one involves a" in screen_text(app)


# --- find -----------------------------------------------------------------------------------------


async def test_find_goes_through_a_hundred_samples_and_the_check_shows_after_it():
    app = app_for("moons")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket", "n")  # the loss's backward step
        await pilot.press("slash", *keys("L1.n3.act"), "enter")
        await pilot.pause()
        assert "s0.L1.n3.act, 1 of 100 (enter: next)" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert "s1.L1.n3.act, 2 of 100 (enter: next)" in screen_text(app)
        tree = tree_of(app)
        assert graph_screen(app).cursor.timeline.name(tree.selected_node()) == "s1.L1.n3.act"
        prompt = next(line for line in screen_text(app).splitlines() if "Find a label" in line)
        assert len(prompt.rstrip()) <= 80
        await pilot.press("escape")
        await pilot.pause()
        assert "found s1.L1.n3.act, 2 of 100" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        text = note_text(app)  # on screen at 80×24, under a full step panel
        assert "check dloss/ds1.L1.n3.act" in text
        assert "backprop has not computed s1.L1.n3.act.grad yet" in text


async def test_find_reads_what_is_typed_as_text_and_an_empty_enter_closes_it(write_scenario):
    path = write_scenario(
        '''
        """Markup-looking labels."""
        from engine import Value

        def graph():
            x = Value(2.0, label="[bold]x[/]")
            y = x * 3
            y.label = "[red]y"
            return y
        '''
    )
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *keys("zz[/]"), "enter")
        await pilot.pause()
        assert "no node labelled 'zz[/]'" in screen_text(app)
        await pilot.press(*["backspace"] * 5, *keys("[bold]"), "enter")
        await pilot.pause()
        assert "[bold]x[/], 1 of 1" in screen_text(app)
        await pilot.press(*["backspace"] * 6, "enter")  # enter on an empty box closes it
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        assert "[bold]x[/]  2.0000" in screen_text(app)  # the label drawn as it is
        assert "found [bold]x[/], 1 of 1" in screen_text(app)


# --- the lecture's nudge ------------------------------------------------------------------------


async def test_the_nudge_takes_L_from_minus_8_to_the_lecture_s_number_and_z_undoes_it():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        timeline = cursor(app).timeline
        recorded = list(timeline.values)
        data = [node.data for node in timeline.nodes]
        await pilot.press("h")
        assert "not all final yet" in screen_text(app)  # before the backward pass, no direction to nudge in
        await pilot.press("e", "h")
        await settle(pilot)
        nudged = graph_screen(app).nudged
        assert nudged.output_after == -7.286496 and nudged.h == 0.01
        text = panel_text(app)
        assert "L: -8.0 → -7.286496" in text
        assert "a 2.0 → 2.06,  b -3.0 → -3.04,  c 10.0 → 9.98,  f -2.0 → -1.96" in text
        assert "the grads predicted +0.72  (h · Σ grad² = 0.01 · 72.0)" in text
        assert "nudged by h=0.01 (z undoes)" in screen_text(app).splitlines()[0]
        await pilot.press("z")
        await pilot.pause()
        assert graph_screen(app).nudged is None
        assert "L  *  -8.0000  grad 1.0000 ✓" in tree_row(app, "L")
        assert cursor(app).value(node_named(app, "L")) == -8.0
        assert list(timeline.values) == recorded and [node.data for node in timeline.nodes] == data
        assert "e (*): each operand gets the other one's value" in panel_text(app)


async def test_a_nudge_of_the_selected_leaf_shows_its_own_effect_and_h_can_change():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        select(app, "a")
        await pilot.pause()
        await pilot.press("H")
        await settle(pilot)
        assert "L: -8.0 → -7.64   changed by +0.36" in panel_text(app)
        assert "(h · grad² = 0.01 · 36.0)" in panel_text(app)
        await pilot.press("greater_than_sign")  # h = 0.1: the nudge shown is redone
        await settle(pilot)
        nudged = graph_screen(app).nudged
        assert nudged.h == 0.1 and nudged.leaves == (node_named(app, "a"),)
        assert "L: -8.0 → -4.4" in panel_text(app)  # a = 2.6: (2.6·-3 + 10)·-2; the grad predicted +3.6
        await pilot.press("p")  # stepping leaves the nudge
        assert graph_screen(app).nudged is None


async def test_a_nudge_never_reaches_the_picture_or_the_scenario_s_values():
    app = app_for("expression")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "h")
        await settle(pilot)
        assert graph_screen(app).nudged is not None
        await pilot.press("v")
        await pilot.pause()
        text = screen_text(app)
        assert "-8.0000" in text and "-7.2865" not in text and "2.0600" not in text
        output = cursor(app).timeline.output
        assert output.data == -8.0


# --- nothing important off screen ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["expression", "neuron", "tiny_mlp", "moons"])
async def test_at_60x20_every_panel_keeps_its_border(name):
    app = app_for(name)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("right_square_bracket", "n", "n", "n")
        await pilot.pause()
        for line in screen_text(app).splitlines()[1:-1]:
            if line[:1] in "╭│╰":
                assert line.rstrip()[-1] in "╮│╯", line
                assert line.count("╭") == line.count("╮") and line.count("╰") == line.count("╯"), line


async def test_at_80x24_deep_rows_of_moons_keep_their_grad_column():
    app = app_for("moons")
    async with app.run_test(size=SIZE) as pilot:
        timeline = cursor(app).timeline
        deep = node_named(app, "s37.L0.n5.w1x")
        cursor(app).seek(timeline.backward_step_of(deep) + 1)
        await pilot.pause()
        rows = [line for line in tree_lines(app)[1:-1] if "↪" not in line and line.strip("│ ")]
        assert len(rows) >= 5 and any("▶ s37.L0.n5.w1x" in row for row in rows)
        for row in rows:  # data and grad, then ✓ / ⚠ / an open-deeper arrow, then the border
            number = r"(-?\d\.\d+(e[-+]\d+)?|·)"
            assert re.search(rf"{number} {{1,2}}(grad )?{number}( ✓)?( ⚠)?( +⤵)?( +term \d+/\d+)?\s*.?│$", row), row


# --- pictures -------------------------------------------------------------------------------------


def test_snapshot_the_lecture_s_nudge(snap_compare):
    async def nudge(pilot) -> None:
        await pilot.press("e", "h")
        await settle(pilot)  # the forward pass again runs in a worker

    assert snap_compare(app_for("expression"), terminal_size=SIZE, run_before=nudge)


def test_snapshot_a_backward_step_at_60x20(snap_compare):
    assert snap_compare(app_for("neuron"), press=["right_square_bracket", "n", "n", "n"], terminal_size=(60, 20))


def test_snapshot_a_folded_sum_s_step_in_the_tiny_mlp(snap_compare):
    # the loss Σ's last add (sq_err3 joins the sum): the Σ row marked, the term it adds marked ◀
    assert snap_compare(app_for("tiny_mlp"), press=["right_square_bracket", "n", "n"], terminal_size=SIZE)
